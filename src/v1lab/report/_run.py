"""What the report reads from a run folder: the run (:class:`v1lab.runs.Run`) and its population tables.

The population and comparison tables are normally written by :func:`v1lab.population.write_tables`; any that
is missing is recomputed here from the units table and written into the folder (atomically), so the report
always shows what is on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from v1lab.errors import ReferenceDataError, RunFolderError, V1labError
from v1lab.population import (
    applicable_references,
    compare_with_references,
    depth_tests,
    most_v1_like,
    population_long,
    population_table,
    ppd_sensitivity,
)
from v1lab.runs import Run, atomic_path

__all__ = ["RunData", "TABLES", "read_run_data", "selected_references"]

#: The population tables of a run folder, in the order the report shows them.
TABLES = ("population", "comparison", "most_v1_like", "ppd_sensitivity", "depth_tests", "population_long")


@dataclass(frozen=True)
class RunData:
    """Everything the report reads from one run folder.

    ``tables`` maps each name of :data:`TABLES` to its DataFrame (read from ``<name>.csv``);
    ``recomputed`` lists the tables that were missing and have been computed from the units table.
    """

    run: Run
    tables: dict[str, pd.DataFrame]
    recomputed: tuple[str, ...] = field(default=())

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def units(self) -> pd.DataFrame:
        return self.run.units


def selected_references(protocol: dict, units: pd.DataFrame) -> list[str] | None:
    """Shipped references named by the protocol's ``references`` list and usable with ``units``
    (:func:`v1lab.population.applicable_references`); ``None`` (every applicable one) when it names none."""
    try:
        return applicable_references(protocol.get("references") or [], units)
    except ReferenceDataError as exc:
        raise RunFolderError(f"protocol.yaml: field `references`: {exc}") from None


def _recompute(name: str, run: Run, tables: dict, *, n_boot: int, seed: int) -> pd.DataFrame:
    units = run.units
    if name == "population":
        return population_table(units)
    if name == "population_long":
        return population_long(units)
    if name == "depth_tests":
        return depth_tests(units, layer_order=run.layers or None)
    if name == "comparison":
        return compare_with_references(units, selected_references(run.protocol, units), n_boot=n_boot, seed=seed)
    if name == "ppd_sensitivity":
        return ppd_sensitivity(units, selected_references(run.protocol, units),
                               ppd=float(run.protocol.get("ppd", 28.0)), n_boot=n_boot, seed=seed)
    if tables["comparison"].empty:  # no reference applies to these units: nothing to rank
        return pd.DataFrame()
    return most_v1_like(tables["comparison"])  # most_v1_like: from the comparison on disk or just computed


def read_run_data(run_dir, *, n_boot: int = 1000, seed: int | None = None) -> RunData:
    """Open a run folder for the report; compute and write any missing population table from the units table.

    Parameters
    ----------
    run_dir : path-like
        A run folder written by ``v1lab run`` (``manifest.json``, ``protocol.yaml``, the units table).
    n_boot : int
        Bootstrap resamples when ``comparison.csv`` has to be recomputed.
    seed : int, optional
        Seed of that bootstrap; default the run's seed (``manifest.json``), else 0.

    Raises
    ------
    RunFolderError
        When the folder, its manifest or its units table is missing or unreadable.
    """
    run = Run(run_dir)
    try:
        run.units
    except RunFolderError as exc:
        raise RunFolderError(f"{exc} (status {run.status!r})") from None
    seed = int(run.manifest.get("seed") or 0) if seed is None else seed
    tables, recomputed = {}, []
    for name in ("population", "population_long", "depth_tests", "comparison", "most_v1_like", "ppd_sensitivity"):
        path = run.path / f"{name}.csv"
        if not path.is_file():
            try:
                frame = _recompute(name, run, tables, n_boot=n_boot, seed=seed)
            except V1labError as exc:
                raise RunFolderError(f"{run.path}: cannot compute {name}.csv ({exc})") from None
            with atomic_path(path) as tmp:
                frame.to_csv(tmp, index=False)
            recomputed.append(name)
        tables[name] = run.table(name)  # what the report shows is what is on disk
    return RunData(run=run, tables={name: tables[name] for name in TABLES}, recomputed=tuple(recomputed))
