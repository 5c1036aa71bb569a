"""Do two characterisations of the same units agree? Metric by metric, to a relative tolerance, and class by class.

Used to check that a faster way of recording (memory order, folded batch norm, another device) leaves the
results of :func:`v1lab.characterise.characterise_layer` unchanged to ``rtol`` (issue 8 asks 1e-3), and by
``v1lab agree RUN_A RUN_B`` (:func:`compare_runs`) to compare two runs of one protocol layer by layer.

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

from pathlib import Path

import numpy as np
import pandas as pd

from v1lab.errors import RunFolderError
from v1lab.population._units import CATEGORY_COLUMNS, FLAG_COLUMNS

__all__ = ["CLASS_COLUMNS", "COMPARED_METRICS", "compare_characterisations", "compare_runs", "read_units"]

_KEYS = ["model", "layer", "channel"]

#: Yes/no and categorical class columns of ``units.csv`` (those of the population tables): they must not change.
CLASS_COLUMNS = FLAG_COLUMNS + CATEGORY_COLUMNS
#: Numeric columns of ``units.csv`` compared to the tolerance (the fits' columns are not among them).
COMPARED_METRICS = ("preferred_orientation_deg", "circular_variance", "orientation_bandwidth_deg",
                    "orthogonal_preferred_ratio", "modulation_ratio", "peak_sf_cpd", "sf_bandwidth_oct",
                    "surround_suppression_index", "gsf_deg", "chromatic_ratio", "uniform_field_ratio",
                    "preferred_dkl_azimuth_deg", "blank", "peak_response_above_blank", "luminance_peak_amplitude",
                    "matched_luminance_peak_amplitude", "chromatic_peak_amplitude", "uniform_peak_response",
                    "chromatic_sf_low_ratio", "chromatic_orientation_bandwidth_deg")
_PERIOD = {"preferred_orientation_deg": 180.0, "preferred_dkl_azimuth_deg": 360.0}


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
    for col in COMPARED_METRICS:
        if col in reference and col in other:
            a, b = reference[col].to_numpy(float), other[col].to_numpy(float)
            finite = np.isfinite(a)
            nonzero = np.abs(a[finite & (a != 0)])
            scale = float(np.median(nonzero)) if nonzero.size else 0.0
            both = finite & np.isfinite(b)
            diff = np.abs(b[both] - a[both])
            if col in _PERIOD:
                diff = np.minimum(diff % _PERIOD[col], _PERIOD[col] - diff % _PERIOD[col])
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


def read_units(run_dir) -> pd.DataFrame:
    """A run folder's unit table: ``units.parquet`` when present (exact floats), else ``units.csv``."""
    path = Path(run_dir)
    for name, read in (("units.parquet", pd.read_parquet), ("units.csv", pd.read_csv)):
        if (path / name).is_file():
            try:
                return read(path / name)
            except (OSError, ValueError) as exc:
                raise RunFolderError(f"{path / name}: unreadable ({str(exc).splitlines()[0]})") from None
    raise RunFolderError(f"{path}: no units.parquet or units.csv; expected a run folder written by `v1lab run`")


def compare_runs(run_a, run_b, *, rtol: float = 1e-3) -> pd.DataFrame:
    """:func:`compare_characterisations` of two runs, layer by layer (column scales per layer).

    Units are matched by ``(model, layer, channel)``; both runs must hold the same units. Returns the rows of
    :func:`compare_characterisations` with ``model`` and ``layer`` columns in front.
    """
    a, b = read_units(run_a), read_units(run_b)
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
