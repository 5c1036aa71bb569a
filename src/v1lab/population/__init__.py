"""Population statistics of characterised units and their comparison with biological references.

Input is the per-unit table ``units.csv`` (one row per unit: ``model``, ``layer``, ``channel``, the
class flags and the tuning metrics). Outputs, written by :func:`write_tables`:

* ``population.csv`` / ``population_long.csv``: class fractions with Wilson intervals and metric
  medians/IQRs per model and layer (:func:`population_table`, :func:`population_long`);
* ``depth_tests.csv``: changes across layers, corrected for multiple comparisons (:func:`depth_tests`);
* ``comparison.csv``: Brain-Score-style similarity of each layer to each reference (:func:`compare_with_references`);
* ``most_v1_like.csv``: per-layer summary ranking (:func:`most_v1_like`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from v1lab.runs.atomic import atomic_path
from v1lab.population._comparison import (INCLUSIONS, PPD_GRID, TRANSFORMS, applicable_references,
                                          compare_with_references, describe_convention, included, model_values,
                                          most_v1_like, ppd_sensitivity)
from v1lab.population._depth import depth_tests
from v1lab.population._similarity import SimilarityResult, bootstrap_similarity, ks_similarity, reference_ceiling
from v1lab.population._tables import population_long, population_table

__all__ = [
    "applicable_references",
    "population_table", "population_long", "depth_tests", "compare_with_references", "most_v1_like",
    "model_values", "ks_similarity", "bootstrap_similarity", "reference_ceiling", "SimilarityResult",
    "INCLUSIONS", "PPD_GRID", "TRANSFORMS", "included", "describe_convention", "ppd_sensitivity", "write_tables",
]


def write_tables(units: pd.DataFrame, folder, *, references=None, n_boot: int = 1000, seed: int = 0,
                 layer_order=None, ppd: float = 28.0) -> dict[str, Path]:
    """Write the population and comparison tables for ``units`` into ``folder`` (atomically, CSV).

    Returns ``{table name: path}`` for ``population``, ``population_long``, ``depth_tests``,
    ``comparison``, ``most_v1_like`` and ``ppd_sensitivity`` (``ppd``: the run's pixels per degree).
    """
    comparison = compare_with_references(units, references, n_boot=n_boot, seed=seed)
    tables = {
        "population": population_table(units),
        "population_long": population_long(units),
        "depth_tests": depth_tests(units, layer_order=layer_order),
        "comparison": comparison,
        "most_v1_like": most_v1_like(comparison) if not comparison.empty else pd.DataFrame(),
        "ppd_sensitivity": ppd_sensitivity(units, references, ppd=ppd, n_boot=n_boot, seed=seed),
    }
    paths = {}
    for name, frame in tables.items():
        path = Path(folder) / f"{name}.csv"
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False)
        paths[name] = path
    return paths
