"""Reading the per-unit table (``units.csv``): column checks, flags, layer depth order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab.errors import UnitsTableError

__all__ = [
    "FLAG_COLUMNS", "CATEGORY_COLUMNS", "METRIC_COLUMNS", "check_units", "flag", "layer_depths",
]

#: Boolean class columns. ``responsive`` is counted over all units, the others over responsive units.
FLAG_COLUMNS = ("responsive", "orientation_selective", "simple", "single_opponent", "double_opponent")
#: Categorical class columns, counted over responsive units.
CATEGORY_COLUMNS = ("cell_class", "color_class")
#: Continuous metrics summarised by median and IQR over responsive units with finite values.
METRIC_COLUMNS = (
    "circular_variance", "orientation_bandwidth_deg", "orthogonal_preferred_ratio", "modulation_ratio",
    "peak_sf_cpd", "sf_bandwidth_oct", "surround_suppression_index", "chromatic_ratio",
)
_KEYS = ("model", "layer")
_TRUE = {"true", "1", "yes", "t", "1.0"}
_FALSE = {"false", "0", "no", "f", "0.0", "", "nan", "none", "<na>"}


def check_units(units: pd.DataFrame, columns=()) -> pd.DataFrame:
    """Raise :class:`UnitsTableError` unless ``units`` has ``model``, ``layer``, ``responsive`` and ``columns``."""
    if not isinstance(units, pd.DataFrame):
        raise UnitsTableError(f"units: expected a pandas DataFrame (units.csv), got {type(units).__name__}")
    need = [*_KEYS, "responsive", *columns]
    missing = [c for c in need if c not in units.columns]
    if missing:
        raise UnitsTableError(f"units table: missing column(s) {missing}; has {list(units.columns)}")
    return units


def flag(series: pd.Series) -> pd.Series:
    """A boolean column read from CSV (True/False, 1/0, 'true'/'false'); missing values count as False."""
    if pd.api.types.is_bool_dtype(series):  # numpy bool, or pandas' nullable "boolean" (<NA> -> False)
        return series.fillna(False).astype(bool)
    text = series.map(lambda v: "" if pd.isna(v) else str(v)).str.strip().str.lower()
    bad = sorted(set(text[~text.isin(_TRUE | _FALSE)]))
    if bad:
        raise UnitsTableError(f"units table: column `{series.name}` holds {bad[:5]}; expected True/False or 1/0")
    return text.isin(_TRUE)


def layer_depths(units: pd.DataFrame, layer_order=None) -> pd.Series:
    """Depth index (0, 1, ...) of each unit's layer within its model.

    ``layer_order`` (a sequence of layer names, or ``{model: sequence}``) gives the order; by default a
    model's layers are ordered by first appearance in the table (``units.csv`` is written in network
    order).
    """
    depth = pd.Series(np.nan, index=units.index)
    for model, rows in units.groupby("model", sort=False):
        order = layer_order.get(model) if isinstance(layer_order, dict) else layer_order
        if order is None:
            order = list(pd.unique(rows["layer"]))
        missing = sorted(set(rows["layer"]) - set(order))
        if missing:
            raise UnitsTableError(f"layer_order for model {model!r}: lacks layer(s) {missing}")
        depth[rows.index] = rows["layer"].map({name: i for i, name in enumerate(order)})
    return depth.astype(int)
