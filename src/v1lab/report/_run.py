"""Reading a run folder for the report: manifest, protocol, per-unit table and the population tables.

The population and comparison tables are normally written by :func:`v1lab.population.write_tables`; any
that is missing is recomputed here from ``units.csv`` and written into the folder (atomically), so the
report always shows what is on disk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from v1lab._atomic import atomic_path
from v1lab.errors import ReferenceDataError, RunFolderError, V1labError
from v1lab.population import (
    applicable_references,
    compare_with_references,
    depth_tests,
    most_v1_like,
    population_long,
    population_table,
)

__all__ = ["RunData", "TABLES", "load_run", "selected_references"]

#: The population tables of a run folder, in the order the report shows them.
TABLES = ("population", "comparison", "most_v1_like", "depth_tests", "population_long")


@dataclass(frozen=True)
class RunData:
    """Everything the report reads from one run folder.

    ``tables`` maps each name of :data:`TABLES` to its DataFrame (read from ``<name>.csv``);
    ``recomputed`` lists the tables that were missing and have been computed from ``units.csv``;
    ``protocol_text`` is the effective protocol as stored (``protocol.yaml``, else the manifest's copy).
    """

    path: Path
    manifest: dict
    protocol: dict
    protocol_text: str
    units: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    recomputed: tuple[str, ...] = field(default=())


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path}: unreadable CSV ({str(exc).splitlines()[0]})") from None


def selected_references(protocol: dict, units: pd.DataFrame) -> list[str] | None:
    """Shipped references named by the protocol's ``references`` list and usable with ``units``
    (:func:`v1lab.population.applicable_references`); ``None`` (every applicable one) when it names none."""
    try:
        return applicable_references(protocol.get("references") or [], units)
    except ReferenceDataError as exc:
        raise RunFolderError(f"protocol.yaml: field `references`: {exc}") from None


def _recompute(name: str, units: pd.DataFrame, protocol: dict, tables: dict, *, n_boot: int,
               seed: int) -> pd.DataFrame:
    if name == "population":
        return population_table(units)
    if name == "population_long":
        return population_long(units)
    if name == "depth_tests":
        return depth_tests(units)
    if name == "comparison":
        return compare_with_references(units, selected_references(protocol, units), n_boot=n_boot, seed=seed)
    if tables["comparison"].empty:  # no reference applies to these units: nothing to rank
        return pd.DataFrame()
    return most_v1_like(tables["comparison"])  # most_v1_like: from the comparison on disk or just computed


def load_run(run_dir, *, n_boot: int = 1000, seed: int | None = None) -> RunData:
    """Read a run folder; compute and write any missing population table from ``units.csv``.

    Parameters
    ----------
    run_dir : path-like
        A run folder written by ``v1lab run`` (``manifest.json``, ``protocol.yaml``, ``units.csv``).
    n_boot : int
        Bootstrap resamples when ``comparison.csv`` has to be recomputed.
    seed : int, optional
        Seed of that bootstrap; default the run's seed (``manifest.json``), else 0.

    Raises
    ------
    RunFolderError
        When the folder, its manifest or its ``units.csv`` is missing or unreadable.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise RunFolderError(f"{path}: not a folder; expected a run folder written by `v1lab run`")
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise RunFolderError(f"{path}: not a v1lab run folder (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{manifest_path}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise RunFolderError(f"{manifest_path}: expected a JSON object, got {type(manifest).__name__}")
    protocol, protocol_text = _read_protocol(path, manifest)
    units_path = path / "units.csv"
    if not units_path.is_file():
        raise RunFolderError(f"{path}: no units.csv (the run did not finish its analysis; "
                             f"status {manifest.get('status', 'unknown')!r})")
    units = _read_csv(units_path)
    if units.empty:
        raise RunFolderError(f"{units_path}: no units; expected one row per recorded unit")
    if seed is None:
        seed = int(manifest.get("seed") or 0)
    tables, recomputed = {}, []
    for name in ("population", "population_long", "depth_tests", "comparison", "most_v1_like"):
        table_path = path / f"{name}.csv"
        if table_path.is_file():
            tables[name] = _read_csv(table_path)
            continue
        try:
            tables[name] = _recompute(name, units, protocol, tables, n_boot=n_boot, seed=seed)
        except V1labError as exc:
            raise RunFolderError(f"{units_path}: cannot compute {name}.csv ({exc})") from None
        with atomic_path(table_path) as tmp:
            tables[name].to_csv(tmp, index=False)
        tables[name] = _read_csv(table_path)  # what the report shows is what is on disk
        recomputed.append(name)
    return RunData(path=path, manifest=manifest, protocol=protocol, protocol_text=protocol_text, units=units,
                   tables={name: tables[name] for name in TABLES}, recomputed=tuple(recomputed))


def _read_protocol(path: Path, manifest: dict) -> tuple[dict, str]:
    """The effective protocol: ``protocol.yaml``, else the copy in the manifest, else empty."""
    protocol_path = path / "protocol.yaml"
    text = (protocol_path.read_text(encoding="utf-8") if protocol_path.is_file()
            else manifest.get("protocol") or "")
    try:
        protocol = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RunFolderError(f"{protocol_path}: unreadable YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(protocol, dict):
        raise RunFolderError(f"{protocol_path}: expected a mapping, got {type(protocol).__name__}")
    return protocol, text
