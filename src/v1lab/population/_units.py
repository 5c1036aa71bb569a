"""The units table as the population statistics read it: required columns and the layers' depth order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab.errors import UnitsTableError

__all__ = ["check_units", "layer_depths"]

_KEYS = ("model", "layer")


def check_units(units: pd.DataFrame, columns=()) -> pd.DataFrame:
    """Raise :class:`UnitsTableError` unless ``units`` has ``model``, ``layer``, ``responsive`` and ``columns``."""
    if not isinstance(units, pd.DataFrame):
        raise UnitsTableError(f"units: expected a pandas DataFrame (units.csv), got {type(units).__name__}")
    need = [*_KEYS, "responsive", *columns]
    missing = [c for c in need if c not in units.columns]
    if missing:
        raise UnitsTableError(f"units table: missing column(s) {missing}; has {list(units.columns)}")
    return units


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
