"""Do two characterisations of the same units agree? Metric by metric, to a relative tolerance, and class by class.

Used to check that a faster way of recording (memory order, folded batch norm, another device) leaves the
results of :func:`v1lab.characterisation.characterise_layer` unchanged to ``rtol`` (issue 8 asks 1e-3), and by
``v1lab agree RUN_A RUN_B`` (:func:`compare_runs`) to compare two runs of one protocol layer by layer. The
columns compared are the units contract's (:data:`v1lab.units.COMPARED_COLUMNS` to the tolerance,
:data:`v1lab.units.CLASS_COLUMNS` exactly); runs of two v1lab versions are compared on the columns both have.

A metric value :math:`b` agrees with the reference :math:`a` when

.. math:: |b - a| \\le r \\, \\max(|a|, s_c),

where :math:`s_c` is the column's scale, the median of :math:`|a|` over the reference's finite non-zero values
(non-zero: in deep layers most units are silent at the blank, and a column of mostly exact zeros would
otherwise have no scale). Far below the column's typical size a value is compared on that size, not on
itself: a metric that is a small difference of two responses changes by more than 1e-3 of itself under any
change of float32 summation order (the uniform-field ratio of two resnet50-caffe layer1 units that hardly
respond to uniform fields, -5.6e-5 and -1.7e-4 where the column's median is 0.23, moved by 1.3 % and 0.4 % of
itself when batch norm was folded), so no two devices would agree on it relatively. Angles are compared on the
circle (orientation modulo 180 deg, DKL azimuth modulo 360 deg). NaN against a number is a disagreement. Class
columns must be equal unit by unit (missing values equal each other).
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from v1lab.errors import RunFolderError, UnitsTableError
from v1lab.units import CLASS_COLUMNS, COMPARED_COLUMNS, read_units
from v1lab.units import column as declared

__all__ = ["compare_characterisations", "compare_runs"]

_KEYS = ["model", "layer", "channel"]


def compare_characterisations(reference: pd.DataFrame, other: pd.DataFrame, *, rtol: float = 1e-3) -> pd.DataFrame:
    """One row per column present in both unit tables (same units, same order).

    Returns
    -------
    DataFrame
        ``column``, ``kind`` ("metric" or "class"), ``compared`` (values), ``disagree`` (values beyond the
        tolerance, NaN against a number, or a changed class), ``max_scaled_difference``
        (:math:`\\max |b - a| / \\max(|a|, s_c)` over values finite in both; NaN for classes).
    """
    if len(reference) != len(other):
        raise ValueError(f"unit tables of {len(reference)} and {len(other)} rows; expected the same units")
    rows = []
    for col in COMPARED_COLUMNS:
        if col in reference and col in other:
            a, b = reference[col].to_numpy(float), other[col].to_numpy(float)
            finite = np.isfinite(a)
            nonzero = np.abs(a[finite & (a != 0)])
            scale = float(np.median(nonzero)) if nonzero.size else 0.0
            both = finite & np.isfinite(b)
            diff = np.abs(b[both] - a[both])
            period = declared(col).period
            if period:
                diff = np.minimum(diff % period, period - diff % period)
            scaled = diff / np.maximum(np.maximum(np.abs(a[both]), scale), np.finfo(float).tiny)
            rows.append({"column": col, "kind": "metric", "compared": int(finite.sum()),
                         "disagree": int((scaled > rtol).sum() + (np.isnan(a) != np.isnan(b)).sum()),
                         "max_scaled_difference": float(scaled.max()) if scaled.size else 0.0})
    for col in CLASS_COLUMNS:
        if col in reference and col in other:
            a, b = (t[col].astype(object).where(t[col].notna(), None).tolist() for t in (reference, other))
            rows.append({"column": col, "kind": "class", "compared": len(a),
                         "disagree": sum(x != y for x, y in zip(a, b)), "max_scaled_difference": np.nan})
    return pd.DataFrame(rows, columns=["column", "kind", "compared", "disagree", "max_scaled_difference"])


def compare_runs(run_a, run_b, *, rtol: float = 1e-3) -> pd.DataFrame:
    """:func:`compare_characterisations` of two runs, layer by layer (column scales per layer).

    Units are matched by ``(model, layer, channel)``; both runs must hold the same units. Returns the rows of
    :func:`compare_characterisations` with ``model`` and ``layer`` columns in front.
    """
    try:
        a, b = read_units(run_a, strict=False), read_units(run_b, strict=False)
    except UnitsTableError as exc:
        raise RunFolderError(str(exc)) from None
    for table, run in ((a, run_a), (b, run_b)):
        missing = [k for k in _KEYS if k not in table]
        if missing:
            raise RunFolderError(f"{run}: unit table without column(s) {missing}")
    merged = a[_KEYS].merge(b[_KEYS], how="outer", indicator=True)
    if (merged["_merge"] != "both").any():
        odd = merged[merged["_merge"] != "both"].iloc[0]
        raise RunFolderError(f"{run_a} and {run_b} hold different units (e.g. {odd['model']} {odd['layer']} channel "
                             f"{odd['channel']}); expected two runs of the same protocol")
    b = b.set_index(_KEYS).loc[pd.MultiIndex.from_frame(a[_KEYS])].reset_index()
    parts = []
    for (model, layer), group in a.groupby(["model", "layer"], sort=False):
        result = compare_characterisations(group.reset_index(drop=True), b.loc[group.index].reset_index(drop=True),
                                           rtol=rtol)
        parts.append(result.assign(model=model, layer=layer)[["model", "layer", *result.columns]])
    return pd.concat(parts, ignore_index=True)
