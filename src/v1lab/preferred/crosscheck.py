"""Cross-check: do the picture (optimised stimulus) and the label (tuning curves) of a unit agree?

Per unit (:func:`cross_check`):

* orientation difference :math:`\\Delta\\theta = \\min(|\\theta_1 - \\theta_2| \\bmod 180,\\;
  180 - |\\theta_1 - \\theta_2| \\bmod 180) \\in [0, 90]` degrees (orientation is axial, period 180);
  the two agree when :math:`\\Delta\\theta \\le 15` degrees (``tolerance_deg``); compared only for units
  that the tuning curves call orientation-selective and whose image is grating-like enough
  (``grating_r2``, otherwise the image has no orientation and the unit counts as disagreeing);
* spatial-frequency ratio :math:`f_{stim} / f_{tuning}` and its :math:`\\log_2` (octaves);
* colour class of the image (:mod:`v1lab.preferred.measure`) against the tuning-curve ``color_class``
  (``unresponsive`` units are not compared), and the chromatic structure against the opponency labels:
  double-opponent should give "structured", single-opponent "uniform".

* where ``measured`` carries the unit's exact linear receptive field measured by the same estimator
  (``filter_orientation_deg``, ``filter_grating_r2``, optionally ``filter_sf_cpd``; added by
  :func:`~v1lab.preferred.experiment.run_preferred` for a first linear layer): the filter against the label
  (``filter_orientation_*``, the same rule with the filter in place of the image) and the image against the
  filter (``stim_filter_orientation_*``). For a linear-nonlinear unit, :math:`r = g(\\mathbf k \\cdot \\mathbf x)`
  with :math:`g` increasing, the stimulus of fixed energy :math:`\\|\\mathbf x\\| = E` that maximises the response
  is :math:`\\mathbf x^* = E\\, \\mathbf k / \\|\\mathbf k\\|` (Cauchy-Schwarz): the filter is the exact optimum,
  so filter-vs-label is the ceiling of the image-vs-label rate, and image-vs-filter measures the optimiser.

Per layer (:func:`agreement_table`): the fraction of orientation-selective units whose two estimates
agree, with the Wilson score interval (Wilson 1927; :func:`statsmodels.stats.proportion.proportion_confint`,
``method="wilson"``), the same for colour-class agreement and, with the filter columns, for filter vs label
and image vs filter.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *Journal of
the American Statistical Association*, 22(158), 209-212.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from v1lab.errors import UnitsTableError

__all__ = ["orientation_difference", "cross_check", "agreement_table", "UNITS_COLUMNS"]

#: Columns of ``units.csv`` that the cross-check reads.
UNITS_COLUMNS = ("layer", "channel", "orientation_selective", "preferred_orientation_deg", "peak_sf_cpd",
                 "color_class", "single_opponent", "double_opponent")
_MEASURED = ("layer", "channel", "orientation_deg", "sf_cpd", "grating_r2", "color_class", "chromatic_structure")
#: Columns of the filter (exact linear receptive field) measurement; the first two go together.
_FILTER = ("filter_orientation_deg", "filter_grating_r2", "filter_sf_cpd")


def orientation_difference(a_deg, b_deg) -> np.ndarray:
    """Axial (period 180 degrees) absolute difference of orientations, in [0, 90] degrees."""
    d = np.abs(np.asarray(a_deg, float) - np.asarray(b_deg, float)) % 180.0
    return np.minimum(d, 180.0 - d)


def _flag(series: pd.Series) -> pd.Series:
    """A truth column read from CSV (bool, 0/1, 'True'/'False', empty) as nullable boolean."""
    mapping = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}
    return series.map(lambda v: pd.NA if pd.isna(v) else mapping.get(str(v).strip().lower(), pd.NA)).astype("boolean")


def _agree(diff, oriented, tolerance_deg: float, compared) -> pd.arrays.BooleanArray:
    """``diff <= tolerance`` and the picture is grating-like (``oriented``); ``<NA>`` where not ``compared``."""
    diff = np.asarray(diff, float)
    agree = pd.array(np.where(np.isnan(diff), False, diff <= tolerance_deg) & np.asarray(oriented, bool),
                     dtype="boolean")
    agree[~np.asarray(compared, bool)] = pd.NA
    return agree


def cross_check(measured: pd.DataFrame, units: pd.DataFrame, *, tolerance_deg: float = 15.0,
                min_grating_r2: float = 0.1) -> pd.DataFrame:
    """One row per unit: the measured stimulus beside the tuning-curve labels, and whether they agree.

    Parameters
    ----------
    measured : DataFrame
        :func:`~v1lab.preferred.measure.measure_stimulus` output with ``layer`` and ``channel`` columns.
    units : DataFrame
        The tuning-curve table (``units.csv``) with at least :data:`UNITS_COLUMNS`.
    tolerance_deg : float
        Orientation agreement tolerance, degrees.
    min_grating_r2 : float
        Images (and filters) whose plane wave explains less of the variance have no orientation
        (``orientation_agree`` False for orientation-selective units).

    Returns
    -------
    DataFrame
        ``layer``, ``channel``, the measured columns (prefixed ``stim_``), the tuning columns, and
        ``orientation_diff_deg``, ``orientation_agree``, ``sf_ratio``, ``sf_log2_ratio``, ``color_agree``,
        ``opponency_agree`` (nullable booleans: ``<NA>`` where not compared). When ``measured`` has
        ``filter_orientation_deg`` and ``filter_grating_r2`` (and optionally ``filter_sf_cpd``), these columns
        are kept and four are added; without them the four are absent:

        * ``filter_orientation_diff_deg`` (degrees, [0, 90]): filter against the tuning label;
        * ``filter_orientation_agree``: as ``orientation_agree`` with the filter in place of the image
          (``<NA>`` for units that are not orientation-selective; False where the filter's
          ``grating_r2 < min_grating_r2``);
        * ``stim_filter_orientation_diff_deg`` (degrees, [0, 90]): optimised image against the filter;
        * ``stim_filter_orientation_agree``: defined for every unit whose filter is grating-like
          (``filter_grating_r2 >= min_grating_r2``, otherwise ``<NA>``); True when the difference is within
          ``tolerance_deg`` and the image is grating-like too.

    Raises
    ------
    UnitsTableError
        A required column is missing, or ``measured`` has only one of ``filter_orientation_deg`` and
        ``filter_grating_r2``.
    """
    missing = [c for c in UNITS_COLUMNS if c not in units.columns]
    if missing:
        raise UnitsTableError(f"units table: missing column(s) {missing}; expected {list(UNITS_COLUMNS)}")
    missing = [c for c in _MEASURED if c not in measured.columns]
    if missing:
        raise UnitsTableError(f"measured stimuli: missing column(s) {missing}; expected {list(_MEASURED)}")
    present = [c for c in _FILTER[:2] if c in measured.columns]
    if len(present) == 1:
        raise UnitsTableError(f"measured stimuli: filter column {present[0]!r} without its pair; expected both "
                              f"{list(_FILTER[:2])} or neither")
    filter_cols = [c for c in _FILTER if c in measured.columns] if present else []
    stim = measured[list(_MEASURED) + filter_cols].rename(columns={c: f"stim_{c}" for c in _MEASURED[2:]})
    tune = units[list(UNITS_COLUMNS)].copy()
    for col in ("orientation_selective", "single_opponent", "double_opponent"):
        tune[col] = _flag(tune[col])
    out = stim.merge(tune, on=["layer", "channel"], how="left", validate="one_to_one")

    diff = orientation_difference(out["stim_orientation_deg"], out["preferred_orientation_deg"])
    out["orientation_diff_deg"] = diff
    selective = out["orientation_selective"].fillna(False).to_numpy(bool)
    oriented = out["stim_grating_r2"].to_numpy(float) >= min_grating_r2
    out["orientation_agree"] = _agree(diff, oriented, tolerance_deg, selective)
    if filter_cols:
        filter_oriented = out["filter_grating_r2"].to_numpy(float) >= min_grating_r2
        fdiff = orientation_difference(out["filter_orientation_deg"], out["preferred_orientation_deg"])
        out["filter_orientation_diff_deg"] = fdiff
        out["filter_orientation_agree"] = _agree(fdiff, filter_oriented, tolerance_deg, selective)
        sfdiff = orientation_difference(out["stim_orientation_deg"], out["filter_orientation_deg"])
        out["stim_filter_orientation_diff_deg"] = sfdiff
        out["stim_filter_orientation_agree"] = _agree(sfdiff, oriented, tolerance_deg, filter_oriented)
    out["sf_ratio"] = out["stim_sf_cpd"] / out["peak_sf_cpd"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["sf_log2_ratio"] = np.log2(out["sf_ratio"].to_numpy(float))

    comparable = out["color_class"].notna() & (out["color_class"] != "unresponsive")
    color = pd.array(out["stim_color_class"] == out["color_class"], dtype="boolean")
    color[~comparable.to_numpy()] = pd.NA
    out["color_agree"] = color

    expected = np.where(out["double_opponent"].fillna(False), "structured",
                        np.where(out["single_opponent"].fillna(False), "uniform", ""))
    opp = pd.array(out["stim_chromatic_structure"].to_numpy() == expected, dtype="boolean")
    opp[expected == ""] = pd.NA
    out["opponency_agree"] = opp
    return out


def _rate(flags: pd.Series, alpha: float) -> tuple[int, int, float, float, float]:
    values = flags.dropna().astype(bool)
    n, k = int(values.size), int(values.sum())
    if n == 0:
        return 0, 0, np.nan, np.nan, np.nan
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson")
    return n, k, k / n, float(low), float(high)


def agreement_table(cross: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Per layer: agreement rates of orientation and colour class with Wilson ``1 - alpha`` intervals.

    Returns
    -------
    DataFrame
        One row per layer: ``n_orientation_selective``, ``n_orientation_agree``, ``orientation_agree_rate``,
        ``orientation_ci_low``, ``orientation_ci_high``, ``median_orientation_diff_deg`` (selective units),
        ``median_abs_sf_log2_ratio`` (selective units, octaves), ``n_color_compared``, ``n_color_agree``,
        ``color_agree_rate``, ``color_ci_low``, ``color_ci_high``. Where ``cross`` has the filter columns of
        :func:`cross_check`, also the ceiling set by the labels, filter vs label over the orientation-selective
        units (``n_filter_agree``, ``filter_agree_rate``, ``filter_ci_low``, ``filter_ci_high``), and the
        optimiser against the exact receptive field, image vs filter over the orientation-selective units whose
        filter is grating-like (``n_stim_filter_compared``, ``n_stim_filter_agree``, ``stim_filter_agree_rate``,
        ``stim_filter_ci_low``, ``stim_filter_ci_high``).
    """
    rows = []
    for layer, g in cross.groupby("layer", sort=False):
        n, k, rate, lo, hi = _rate(g["orientation_agree"], alpha)
        cn, ck, crate, clo, chi = _rate(g["color_agree"], alpha)
        sel = g["orientation_selective"].fillna(False).to_numpy(bool)
        row = {
            "layer": layer, "n_units": len(g), "n_orientation_selective": n, "n_orientation_agree": k,
            "orientation_agree_rate": rate, "orientation_ci_low": lo, "orientation_ci_high": hi,
            "median_orientation_diff_deg": float(g["orientation_diff_deg"][sel].median()),
            "median_abs_sf_log2_ratio": float(g["sf_log2_ratio"][sel].abs().replace(np.inf, np.nan).median()),
            "n_color_compared": cn, "n_color_agree": ck, "color_agree_rate": crate,
            "color_ci_low": clo, "color_ci_high": chi,
        }
        if "filter_orientation_agree" in g.columns:
            _, fk, frate, flo, fhi = _rate(g["filter_orientation_agree"], alpha)
            sn, sk, srate, slo, shi = _rate(g["stim_filter_orientation_agree"][sel], alpha)
            row.update({
                "n_filter_agree": fk, "filter_agree_rate": frate, "filter_ci_low": flo, "filter_ci_high": fhi,
                "n_stim_filter_compared": sn, "n_stim_filter_agree": sk, "stim_filter_agree_rate": srate,
                "stim_filter_ci_low": slo, "stim_filter_ci_high": shi,
            })
        rows.append(row)
    return pd.DataFrame(rows)
