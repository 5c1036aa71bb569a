"""Writing and reading the units table: the one writer and the one reader of ``units.csv`` / ``units.parquet``.

The writer checks the table against the contract (every declared column, no other), casts each column to its
declared dtype and writes the formats asked for, atomically; Parquet files carry each column's unit,
description, analysis and citation as field metadata. The reader takes Parquet when present (exact floats),
else CSV, and returns the declared dtypes either way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from v1lab.errors import UnitsTableError

__all__ = ["FORMATS", "check_columns", "conform", "empty_table", "write_units", "read_units", "flag"]

#: File formats of the units table, in the order the reader prefers them.
FORMATS = ("parquet", "csv")
_TRUE = {"true", "1", "yes", "t", "1.0"}
_FALSE = {"false", "0", "no", "f", "0.0"}
_MISSING = {"", "nan", "none", "<na>"}


def _columns():
    from v1lab.units._columns import all_columns

    return all_columns()


def check_columns(table: pd.DataFrame) -> None:
    """Raise :class:`UnitsTableError` unless ``table`` has exactly the declared columns."""
    declared = [c.name for c in _columns()]
    extra = [c for c in table.columns if c not in declared]
    missing = [c for c in declared if c not in table.columns]
    if extra:
        raise UnitsTableError(f"units table: column(s) {extra} are not declared in v1lab.units; expected only "
                              "declared columns (add a Column to the contract)")
    if missing:
        raise UnitsTableError(f"units table: declared column(s) {missing[:8]} are missing; expected every "
                              "column of v1lab.units")


def flag(series: pd.Series, *, missing=False) -> pd.Series:
    """A yes/no column as pandas' nullable boolean (``True``/``False``/``1``/``0``/text); missing values become
    ``missing`` (``pd.NA`` keeps them missing)."""
    if pd.api.types.is_bool_dtype(series):
        out = series.astype("boolean")
    else:
        text = series.map(lambda v: "" if pd.isna(v) else str(v)).str.strip().str.lower()
        bad = sorted(set(text[~text.isin(_TRUE | _FALSE | _MISSING)]))
        if bad:
            raise UnitsTableError(f"units table: column `{series.name}` holds {bad[:5]}; expected True/False or 1/0")
        out = pd.array([True if t in _TRUE else False if t in _FALSE else pd.NA for t in text], dtype="boolean")
        out = pd.Series(out, index=series.index, name=series.name)
    return out if missing is pd.NA else out.fillna(missing).astype(bool)


def _cast(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == "boolean":
        return flag(series, missing=pd.NA)
    if dtype == "string":
        return series.astype("string").replace({"": pd.NA})
    if dtype == "int64":
        values = pd.to_numeric(series, errors="coerce")
        if values.isna().any():
            raise UnitsTableError(f"units table: column `{series.name}` has missing or non-integer values")
        return values.astype("int64")
    return pd.to_numeric(series, errors="coerce").astype("float64")


def conform(table: pd.DataFrame) -> pd.DataFrame:
    """The table with exactly the declared columns, in contract order, each cast to its declared dtype."""
    check_columns(table)
    return pd.DataFrame({c.name: _cast(table[c.name], c.dtype) for c in _columns()}, index=table.index)


def empty_table(n_rows: int = 0) -> pd.DataFrame:
    """A units table of ``n_rows`` rows with every declared column and every value missing: a start for tables
    built by hand (``channel`` is nullable ``Int64`` until it is filled)."""
    def missing(dtype: str) -> pd.Series:
        if dtype == "float64":
            return pd.Series(float("nan"), index=range(n_rows), dtype="float64")
        return pd.Series(pd.array([pd.NA] * n_rows, dtype="Int64" if dtype == "int64" else dtype))

    return pd.DataFrame({c.name: missing(c.dtype) for c in _columns()})


def _schema_metadata(table: pa.Table) -> pa.Table:
    fields = []
    by_name = {c.name: c for c in _columns()}
    for field in table.schema:
        c = by_name[field.name]
        fields.append(field.with_metadata({"unit": c.unit, "description": c.description, "analysis": c.analysis,
                                           "citation": c.citation}))
    from v1lab import __version__

    meta = {b"v1lab": json.dumps({"version": __version__, "table": "units"}).encode()}
    return table.cast(pa.schema(fields, metadata={**(table.schema.metadata or {}), **meta}))


def write_units(table: pd.DataFrame, folder, formats=("csv", "parquet")) -> list[Path]:
    """Write ``units.<format>`` for each format into ``folder`` (atomically); returns the paths."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UnitsTableError(f"units table formats {list(formats)}; expected some of {list(FORMATS)}")
    from v1lab.runs.atomic import atomic_path

    table = conform(table).reset_index(drop=True)
    paths = []
    for fmt in formats:
        path = Path(folder) / f"units.{fmt}"
        with atomic_path(path) as tmp:
            if fmt == "csv":
                table.to_csv(tmp, index=False)
            else:
                pq.write_table(_schema_metadata(pa.Table.from_pandas(table, preserve_index=False)), tmp)
        paths.append(path)
    return paths


def read_units(path, *, strict: bool = True) -> pd.DataFrame:
    """A units table in declared dtypes: a run folder's ``units.parquet`` when present, else its ``units.csv``,
    or the file ``path`` itself.

    With ``strict=False`` a table written by another v1lab version is read too: its declared columns are cast,
    declared columns it lacks stay absent and columns the contract does not know are kept as read.

    Raises
    ------
    UnitsTableError
        When there is no such file, a file is unreadable, or (strict) its columns are not the contract's.
    """
    path = Path(path)
    candidates = [path] if path.is_file() else [path / f"units.{fmt}" for fmt in FORMATS]
    for file in candidates:
        if not file.is_file():
            continue
        try:
            table = pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
        except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise UnitsTableError(f"{file}: unreadable ({str(exc).splitlines()[0]})") from None
        if table.empty:
            raise UnitsTableError(f"{file}: no units; expected one row per recorded unit")
        if not strict:
            known = {c.name: c.dtype for c in _columns()}
            return table.assign(**{n: _cast(table[n], known[n]) for n in table.columns if n in known})
        try:
            return conform(table)
        except UnitsTableError as exc:
            raise UnitsTableError(f"{file}: {exc}") from None
    raise UnitsTableError(f"{path}: no units.parquet or units.csv; expected a run folder written by `v1lab run` "
                          "or a units table")
