"""Cell classification from per-unit metrics, with documented, citable, protocol-configurable criteria.

:func:`classify_units` reads the metric columns that :func:`v1lab.characterisation.characterise_layer` computes
(one row per unit of one layer) and returns boolean columns and one primary label per unit. Booleans are
pandas' nullable ``boolean`` dtype: ``<NA>`` where the data for a criterion do not exist.

Primary label (first rule that applies): ``unresponsive`` -> ``double-opponent`` -> ``single-opponent`` ->
``non-oriented`` (orientation bandwidth undefined) -> ``simple`` / ``complex`` -> ``unclassified`` (data missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from v1lab.errors import AnalysisError

__all__ = ["ClassificationCriteria", "classify_units", "responsive_units", "response_threshold", "COLOR_CLASSES",
           "CELL_CLASSES"]

COLOR_CLASSES = ("luminance", "colour-luminance", "colour-preferring")
CELL_CLASSES = ("unresponsive", "double-opponent", "single-opponent", "non-oriented", "simple", "complex",
                "unclassified")

_NEEDED = ("peak_response_above_blank", "n_orientations", "orientation_bandwidth_deg", "modulation_ratio",
           "chromatic_ratio", "uniform_field_ratio", "chromatic_sf_shape", "chromatic_orientation_bandwidth_deg",
           "cone_opponency")
_CONE_OPPONENT = ("L-M", "S-(L+M)")


class ClassificationCriteria(BaseModel):
    """Thresholds of the classifier; every default is cited. Protocols override fields by name."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    responsive_fraction_of_max: float = Field(
        5.0 / 243.1, ge=0.0, le=1.0,
        description="A unit is responsive when its largest response above the blank, over every stimulus, "
        "exceeds this fraction of the largest such response in the layer (and responsive_min_margin). Default "
        "5/243.1: Brain-Score's responsiveness cut (5 spikes/s of a 243.1 spikes/s maximum, RESP_THRESH / "
        "SINGLE_MAX_RESP in benchmark_helpers/properties_common.py; Marques et al. 2021).")
    responsive_min_margin: float = Field(
        0.0, ge=0.0,
        description="Absolute margin (response units) that the largest response above the blank must exceed.")
    max_orientation_bandwidth_deg: float | None = Field(
        None, gt=0.0, le=90.0,
        description="Orientation-selective: the orientation bandwidth (half-width at 1/sqrt(2)) is defined and, "
        "if set, at most this many degrees. Default None: defined at all, Brain-Score's or_selective (Ringach "
        "et al. 2002 via Marques et al. 2021).")
    simple_modulation_ratio: float = Field(
        1.0, gt=0.0,
        description="Simple when the modulation ratio F1/F0 (F0 the raw mean response, as in the Ringach 2002 "
        "database and Brain-Score) at the preferred orientation and SF exceeds this; complex otherwise (Skottun "
        "et al. 1991, Vision Res. 31, 1079-1086; whether Skottun et al. subtract the spontaneous rate from F0 "
        "could not be verified).")
    luminance_max_ratio: float = Field(
        0.2, gt=0.0,
        description="Luminance cell when the peak response to isoluminant (L-M) gratings over that to luminance "
        "gratings is below this (Johnson, Hawken & Shapley 2001, Nat. Neurosci. 4, 409-416: luminance-"
        "preferring, sensitivity index < 0.2).")
    colour_preferring_min_ratio: float = Field(
        6.0, gt=0.0,
        description="Colour-preferring cell when that ratio exceeds this (Johnson et al. 2001: sensitivity "
        "index > 6); between the two thresholds: colour-luminance.")
    uniform_field_min_ratio: float = Field(
        0.5, ge=0.0,
        description="Responds to uniform colour fields when the peak uniform-field response over the peak "
        "chromatic-grating response is at least this. Single-opponent cells respond well to uniform colour "
        "fields, double-opponent cells weakly (Johnson et al. 2008, J. Neurosci. 28, 8096-8106; Shapley & "
        "Hawken 2011, Vision Res. 51, 701-717). The value 0.5 is a v1lab convention.")
    double_opponent_requires_orientation: bool = Field(
        False,
        description="Also require orientation selectivity for isoluminant gratings for double-opponent. Off by "
        "default: Johnson et al. 2008 found most, not all, double-opponent cells orientation-selective.")


def response_threshold(peak_above_blank, criteria: ClassificationCriteria | None = None) -> float:
    """The layer's responsiveness threshold: the criteria's share of its largest response above the blank, or
    the margin, whichever is larger (response units)."""
    c = criteria or ClassificationCriteria()
    peak = np.asarray(peak_above_blank, dtype=float)
    layer_max = np.nanmax(peak) if np.any(np.isfinite(peak)) else 0.0
    return float(max(c.responsive_fraction_of_max * max(layer_max, 0.0), c.responsive_min_margin))


def responsive_units(peak_above_blank, criteria: ClassificationCriteria | None = None) -> np.ndarray:
    """Responsive: the largest response above the blank exceeds :func:`response_threshold`."""
    peak = np.asarray(peak_above_blank, dtype=float)
    return np.isfinite(peak) & (peak > response_threshold(peak, criteria))


def _bool(values, defined) -> pd.Series:
    out = pd.array(np.asarray(values, dtype=bool), dtype="boolean")
    out[~np.asarray(defined, dtype=bool)] = pd.NA
    return out


def classify_units(table: pd.DataFrame, criteria: ClassificationCriteria | None = None) -> pd.DataFrame:
    """Boolean class columns and a primary label for each unit (row) of one layer's metric table.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per unit with the columns ``peak_response_above_blank``, ``n_orientations`` (orientations in
        the luminance sweep, 0 or NaN without one), ``orientation_bandwidth_deg``, ``modulation_ratio``,
        ``chromatic_ratio``, ``uniform_field_ratio``, ``chromatic_orientation_bandwidth_deg`` (NaN where not
        measured), ``chromatic_sf_shape`` and ``cone_opponency`` (missing where not measured).
    criteria : ClassificationCriteria, optional
        Thresholds; the cited defaults when omitted.

    Returns
    -------
    pandas.DataFrame
        Same index; columns ``responsive``, ``orientation_selective``, ``simple`` (nullable boolean),
        ``color_class`` (one of :data:`COLOR_CLASSES` or ``<NA>``), ``single_opponent``, ``double_opponent``
        (nullable boolean), ``cell_class`` (one of :data:`CELL_CLASSES`) and ``response_threshold`` (the layer's
        responsiveness threshold, response units).
    """
    c = criteria or ClassificationCriteria()
    missing = [k for k in _NEEDED if k not in table.columns]
    if missing:
        raise AnalysisError(f"metric table: missing column(s) {missing}; expected the columns of characterise_layer")
    responsive = responsive_units(table["peak_response_above_blank"].to_numpy(float), c)

    bw = table["orientation_bandwidth_deg"].to_numpy(float)
    has_ori = np.nan_to_num(table["n_orientations"].to_numpy(float)) >= 3
    ori_sel = np.isfinite(bw) & (bw <= (c.max_orientation_bandwidth_deg or np.inf)) & responsive

    mr = table["modulation_ratio"].to_numpy(float)
    simple = np.isfinite(mr) & (mr > c.simple_modulation_ratio)

    ratio = table["chromatic_ratio"].to_numpy(float)
    has_colour = ~np.isnan(ratio)
    color_class = pd.array([pd.NA] * len(table), dtype="string")
    color_class[has_colour & (ratio < c.luminance_max_ratio)] = "luminance"
    color_class[has_colour & (ratio > c.colour_preferring_min_ratio)] = "colour-preferring"
    middle = has_colour & (ratio >= c.luminance_max_ratio) & (ratio <= c.colour_preferring_min_ratio)
    color_class[middle] = "colour-luminance"
    colour_responsive = has_colour & (ratio >= c.luminance_max_ratio) & responsive

    shape = table["chromatic_sf_shape"].astype("string").fillna("").to_numpy(str)
    lowpass, bandpass, has_shape = shape == "low-pass", shape == "band-pass", shape != ""
    cones = table["cone_opponency"].astype("string").fillna("").to_numpy(str)
    cone_measured, cone_opponent = cones != "", np.isin(cones, _CONE_OPPONENT)
    uf = table["uniform_field_ratio"].to_numpy(float)
    has_uf = ~np.isnan(uf)
    uf_strong = np.where(has_uf, uf >= c.uniform_field_min_ratio, True)   # absent uniform fields: SF shape decides
    uf_weak = np.where(has_uf, uf < c.uniform_field_min_ratio, True)
    single = colour_responsive & lowpass & uf_strong & (cone_opponent | ~cone_measured)
    double = colour_responsive & bandpass & uf_weak & cone_opponent
    if c.double_opponent_requires_orientation:
        double &= np.isfinite(table["chromatic_orientation_bandwidth_deg"].to_numpy(float))
    single_defined = has_colour & (has_shape | ~colour_responsive)
    double_defined = single_defined & (~(colour_responsive & bandpass) | cone_measured)

    label = np.full(len(table), "unclassified", dtype=object)
    ori_known = has_ori
    simple_known = np.isfinite(mr)
    for mask, name in (
        (ori_known & ori_sel & simple_known & ~simple, "complex"),
        (ori_known & ori_sel & simple_known & simple, "simple"),
        (ori_known & ~ori_sel, "non-oriented"),
        (single, "single-opponent"),
        (double, "double-opponent"),
        (~responsive, "unresponsive"),
    ):
        label[mask] = name   # later rules take precedence
    return pd.DataFrame({
        "responsive": _bool(responsive, np.ones(len(table), bool)),
        "orientation_selective": _bool(ori_sel, ori_known),
        "simple": _bool(simple, simple_known & responsive),
        "color_class": color_class,
        "single_opponent": _bool(single, single_defined),
        "double_opponent": _bool(double, double_defined),
        "cell_class": pd.Series(label, index=table.index, dtype="string"),
        "response_threshold": response_threshold(table["peak_response_above_blank"].to_numpy(float), c),
    }, index=table.index)

