"""The units table as a declared contract: every column's name, dtype, unit, meaning, analysis and citation.

One row per recorded unit (the centre unit of one channel of one layer). The columns are declared once, here;
the characterisation fills them, :func:`write_units` and :func:`read_units` are the only writer and reader,
and the data dictionary (``docs/units.md``), the report's methods table and the Parquet field metadata are
generated from the declarations.

>>> from v1lab.units import column
>>> column("peak_sf_cpd").unit
'cycles/deg'
>>> column("ori_vm_kappa").analysis
'fit:ori_vm'
"""

from __future__ import annotations

from v1lab.errors import UnitsTableError
from v1lab.units._columns import FIT_PREFIXES, MEASURED_COLUMNS, Column, all_columns, fit_columns
from v1lab.units._io import FORMATS, check_columns, conform, empty_table, flag, read_units, write_units

__all__ = [
    "Column", "COLUMNS", "MEASURED_COLUMNS", "FIT_PREFIXES", "FLAG_COLUMNS", "CATEGORY_COLUMNS", "CLASS_COLUMNS",
    "METRIC_COLUMNS",
    "COMPARED_COLUMNS", "FORMATS", "column", "columns_of", "fit_columns", "check_columns", "conform", "empty_table",
    "flag",
    "read_units", "write_units", "data_dictionary",
]

#: Every declared column, in table order.
COLUMNS: tuple[Column, ...] = all_columns()
_BY_NAME = {c.name: c for c in COLUMNS}

#: Yes/no class columns. ``responsive`` is counted over all units, the others over responsive units.
FLAG_COLUMNS = tuple(c.name for c in MEASURED_COLUMNS if c.kind == "flag")
#: Class-label columns, counted over responsive units.
CATEGORY_COLUMNS = tuple(c.name for c in MEASURED_COLUMNS if c.kind == "category")
#: Every class column: a change of one is a change of a unit's label.
CLASS_COLUMNS = FLAG_COLUMNS + CATEGORY_COLUMNS
#: Metrics summarised by median and IQR over responsive units in the population tables.
METRIC_COLUMNS = tuple(c.name for c in MEASURED_COLUMNS if c.summarised)
#: Numeric measured columns (metrics and the amplitudes they are made of) that two runs must agree on.
COMPARED_COLUMNS = tuple(c.name for c in MEASURED_COLUMNS if c.kind in ("metric", "measure"))


def column(name: str) -> Column:
    """The declaration of one column; :class:`UnitsTableError` naming close matches for an unknown name."""
    if name not in _BY_NAME:
        import difflib

        close = difflib.get_close_matches(name, list(_BY_NAME), n=3)
        raise UnitsTableError(f"units column {name!r} is not declared; expected one of v1lab.units.COLUMNS"
                              + (f" (did you mean {', '.join(close)}?)" if close else ""))
    return _BY_NAME[name]


def columns_of(analysis: str) -> tuple[str, ...]:
    """Names of the columns one analysis fills (see :attr:`Column.analysis`)."""
    return tuple(c.name for c in COLUMNS if analysis in [a.strip() for a in c.analysis.split(",")])


def data_dictionary() -> str:
    """The contract as a Markdown table (``docs/units.md`` holds this text; a test keeps them equal)."""
    lines = ["| column | dtype | unit | description | filled by | source |", "|---|---|---|---|---|---|"]
    for c in MEASURED_COLUMNS:
        description = c.description.replace("|", "\\|")
        lines.append(f"| `{c.name}` | {c.dtype} | {c.unit} | {description} | {c.analysis} | {c.citation} |")
    for prefix, (model, role) in FIT_PREFIXES.items():
        names = ", ".join(f"`{n}`" for n in (*model.names, *model.derived_names))
        lines.append(f"| `{prefix}_*` | float64 / string | | {model.name} fit of the {role} curve: {names}, each "
                     f"parameter with `_ci_low` / `_ci_high`, then `_r2`, `_status`, `_reason` | fit:{prefix} | "
                     f"{fit_columns(prefix)[0].citation} |")
    return "\n".join(lines) + "\n"
