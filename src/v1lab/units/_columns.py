"""The declared columns of the units table: one :class:`Column` per column, fits generated from their models."""

from __future__ import annotations

from dataclasses import dataclass

from v1lab import fits as F

__all__ = ["Column", "FIT_PREFIXES", "MEASURED_COLUMNS", "fit_columns", "all_columns"]

_JOHNSON_2001 = "Johnson, Hawken & Shapley 2001, Nat. Neurosci. 4, 409-416"
_JOHNSON_2008 = "Johnson, Hawken & Shapley 2008, J. Neurosci. 28, 8096-8106"
_RINGACH_2002 = "Ringach, Shapley & Hawken 2002, J. Neurosci. 22, 5639-5651"
_DEVALOIS_1982 = "De Valois, Albrecht & Thorell 1982, Vision Res. 22, 545-559"
_CAVANAUGH_2002 = "Cavanaugh, Bair & Movshon 2002, J. Neurophysiol. 88, 2530-2546"
_BRAINSCORE = "Marques, Schrimpf & DiCarlo 2021 (Brain-Score V1 benchmarks)"
_V1LAB = "v1lab convention"
_CONES = "Derrington, Krauskopf & Lennie 1984 (colour space); v1lab convention (docs/metrics.md, Cone weights)"


@dataclass(frozen=True)
class Column:
    """One column of the units table.

    Attributes
    ----------
    name : str
        Column name (unit suffixes: ``_deg``, ``_cpd``, ``_oct``).
    dtype : str
        pandas dtype: ``"string"``, ``"int64"``, ``"float64"`` or ``"boolean"`` (nullable: ``<NA>`` where the
        data for a class do not exist).
    unit : str
        Physical unit: ``deg``, ``cycles/deg``, ``octaves``, ``response`` (the network's activation units),
        ``1`` (dimensionless) or ``""`` (text and flags).
    description : str
        One line: what the column holds.
    analysis : str
        The analysis that fills it: an analysis role of the protocol (``luminance_gratings``, ...),
        ``identity``, ``all sets``, ``ratios`` (from two roles), ``classification`` or ``fit:<prefix>``.
    citation : str
        Where the definition comes from.
    kind : str
        ``identity``, ``flag`` (yes/no class), ``category`` (a class label), ``metric`` (a published tuning
        metric), ``measure`` (an amplitude or other number the metrics are made of), ``count``, ``note`` (text
        about how a value was obtained) or ``fit``.
    period : float or None
        For angles: the period (180 for orientations, 360 for DKL azimuths) on which values are compared.
    summarised : bool
        Summarised by median and IQR in the population tables and tested across depth.
    """

    name: str
    dtype: str
    unit: str
    description: str
    analysis: str
    citation: str = _V1LAB
    kind: str = "metric"
    period: float | None = None
    summarised: bool = False


def _col(name, dtype, unit, description, analysis, citation=_V1LAB, kind="metric", period=None,
         summarised=False) -> Column:
    return Column(name, dtype, unit, description, analysis, citation, kind, period, summarised)


#: Every measured column, in the order the table is written; the fit columns follow (:func:`fit_columns`).
MEASURED_COLUMNS: tuple[Column, ...] = (
    _col("model", "string", "", "model spec the unit belongs to", "identity", kind="identity"),
    _col("layer", "string", "", "layer label (the protocol's label, else the module name)", "identity",
         kind="identity"),
    _col("channel", "int64", "", "channel index of the centre unit in the layer", "identity", kind="identity"),
    _col("responsive", "boolean", "", "largest response above the blank over every stimulus exceeds the "
         "criterion's fraction of the layer's largest", "classification", _BRAINSCORE, kind="flag"),
    _col("orientation_selective", "boolean", "", "orientation bandwidth defined (and within the criterion, if "
         "set), among responsive units", "classification", _RINGACH_2002, kind="flag"),
    _col("preferred_orientation_deg", "float64", "deg", "orientation of the vector sum of the F0 orientation "
         "curve, in [0, 180)", "luminance_gratings", _RINGACH_2002, period=180.0),
    _col("circular_variance", "float64", "1", "1 - |sum r_k exp(2i theta_k)| / sum |r_k| of the F0 "
         "orientation curve at the preferred grating", "luminance_gratings", _RINGACH_2002, summarised=True),
    _col("orientation_bandwidth_deg", "float64", "deg", "half-width at 1/sqrt(2) of the peak of the smoothed, "
         "spline-interpolated F0 orientation curve; NaN when it never falls that low", "luminance_gratings",
         f"{_RINGACH_2002}; {_BRAINSCORE}", summarised=True),
    _col("orthogonal_preferred_ratio", "float64", "1", "response at the preferred orientation + 90 deg over "
         "the response at the preferred (sampled) orientation", "luminance_gratings", _RINGACH_2002,
         summarised=True),
    _col("modulation_ratio", "float64", "1", "F1 / F0 over one cycle of spatial phase at the preferred grating, "
         "F0 the raw mean response (as the Ringach database's maxfirst / maxdc); at most 2 for a non-negative "
         "response", "luminance_gratings", f"Skottun et al. 1991; {_RINGACH_2002} database; {_BRAINSCORE}",
         summarised=True),
    _col("modulation_ratio_above_blank", "float64", "1", "F1 / (F0 - blank) at the same grating: the ratio with "
         "the response to the blank removed from the mean", "luminance_gratings", "Skottun et al. 1991 (variant)"),
    _col("simple", "boolean", "", "modulation ratio (raw F1 / F0) above the criterion (simple) or not (complex), "
         "among responsive units", "classification", "Skottun et al. 1991, Vision Res. 31, 1079-1086",
         kind="flag"),
    _col("peak_sf_cpd", "float64", "cycles/deg", "spatial frequency at the peak of the smoothed, "
         "spline-interpolated (log2 SF) tuning curve", "luminance_gratings", f"{_DEVALOIS_1982}; {_BRAINSCORE}",
         summarised=True),
    _col("peak_sf_at_edge", "boolean", "", "the SF curve peaks at the lowest or highest SF of the sweep (the "
         "peak SF is a bound, not an observed peak)", "luminance_gratings", kind="flag"),
    _col("sf_bandwidth_oct", "float64", "octaves", "log2(f_high / f_low) where the SF curve falls to half its "
         "peak either side (full width at half amplitude); NaN when it does not within the sweep",
         "luminance_gratings", f"{_DEVALOIS_1982} (convention unverified)", summarised=True),
    _col("sf_bandwidth_0707_oct", "float64", "octaves", "the same at 1/sqrt(2) of the peak (Brain-Score's "
         "threshold)", "luminance_gratings", _BRAINSCORE),
    _col("sf_f0_bandwidth_0707_oct", "float64", "octaves", "log2(f_high / f_low) at 1/sqrt(2) of the peak of the "
         "raw F0 SF curve at the (SF, orientation) of the largest F0: the Schiller comparison's curve",
         "luminance_gratings", f"Schiller, Finlay & Volman 1976 via {_BRAINSCORE}"),
    _col("surround_suppression_index", "float64", "1", "(R_peak - R_largest) / R_peak over grating diameters at "
         "the unit's optimal grating, blank subtracted", "size_sweep", _CAVANAUGH_2002, summarised=True),
    _col("gsf_deg", "float64", "deg", "grating summation field: smallest diameter reaching 95 % of the peak",
         "size_sweep", _CAVANAUGH_2002),
    _col("chromatic_ratio", "float64", "1", "peak isoluminant-grating amplitude over peak luminance-grating "
         "amplitude (the matched luminance sweep's when given)", "ratios", _JOHNSON_2001, summarised=True),
    _col("uniform_field_ratio", "float64", "1", "peak uniform-field response above the blank over the peak "
         "isoluminant-grating amplitude", "ratios", _JOHNSON_2008),
    _col("preferred_dkl_azimuth_deg", "float64", "deg", "preferred DKL azimuth: directional from uniform fields "
         "when they sample >= 3 azimuths, else axial from the chromatic gratings",
         "uniform_fields, chromatic_gratings", "Derrington, Krauskopf & Lennie 1984", period=360.0),
    _col("color_class", "string", "", "luminance, colour-luminance or colour-preferring, from the chromatic "
         "ratio", "classification", _JOHNSON_2001, kind="category"),
    _col("chromatic_peak_sf_cpd", "float64", "cycles/deg", "spatial frequency at the peak of the chromatic SF "
         "curve (spline as peak_sf_cpd)", "chromatic_gratings", _JOHNSON_2008),
    _col("chromatic_sf_shape", "string", "", "band-pass (falls to 1/sqrt(2) of its peak on both sides within the "
         "sweep), low-pass (only above the peak) or undetermined (the high side is not observed)",
         "chromatic_gratings", f"{_JOHNSON_2008}; criterion a v1lab convention", kind="category"),
    _col("cone_opponency", "string", "", "non-opponent, L-M or S-(L+M), from the signs of the cone weights of "
         "magnitude >= 0.1", "cone_isolating", _CONES, kind="category"),
    _col("single_opponent", "boolean", "", "colour-responsive, low-pass for colour, strong uniform-field response "
         "(and cone-opponent where cone weights were measured)", "classification", _JOHNSON_2008, kind="flag"),
    _col("double_opponent", "boolean", "", "colour-responsive, observed band-pass for colour, weak uniform-field "
         "response and cone-opponent weights; <NA> without cone weights", "classification", _JOHNSON_2008,
         kind="flag"),
    _col("cell_class", "string", "", "primary label: unresponsive, double-opponent, single-opponent, "
         "non-oriented, simple, complex or unclassified", "classification", kind="category"),
    _col("blank", "float64", "response", "response to the uniform mean-grey screen", "all sets",
         kind="measure"),
    _col("peak_response_above_blank", "float64", "response", "largest response minus the blank over every "
         "stimulus of every set", "all sets", kind="measure"),
    _col("response_threshold", "float64", "response", "the layer's responsiveness threshold: the criterion's "
         "fraction of the layer's largest response above the blank (and its margin)", "classification",
         _BRAINSCORE, kind="measure"),
    _col("n_orientations", "float64", "1", "orientations in the luminance sweep", "luminance_gratings",
         kind="count"),
    _col("optimum_orientation_deg", "float64", "deg", "orientation of the luminance grating of largest F0 (the "
         "sampled optimum, where closed-loop sets are shown)", "luminance_gratings", kind="measure",
         period=180.0),
    _col("optimum_sf_cpd", "float64", "cycles/deg", "spatial frequency of that grating", "luminance_gratings",
         kind="measure"),
    _col("f0_above_blank_at_preferred", "float64", "response", "F0 - blank at the luminance grating of largest "
         "F0: the inclusion quantity of the Ringach and Schiller comparisons", "luminance_gratings",
         _BRAINSCORE, kind="measure"),
    _col("luminance_peak_amplitude", "float64", "response", "largest max(F0 - blank, F1) over the luminance "
         "sweep", "luminance_gratings", _JOHNSON_2001, kind="measure"),
    _col("matched_luminance_peak_amplitude", "float64", "response", "largest max(F0 - blank, F1) over the "
         "luminance sweep at the chromatic sweep's RMS cone contrast", "matched_luminance_gratings",
         _JOHNSON_2001, kind="measure"),
    _col("chromatic_peak_amplitude", "float64", "response", "largest max(F0 - blank, F1) over the isoluminant "
         "sweep", "chromatic_gratings", _JOHNSON_2001, kind="measure"),
    _col("uniform_peak_response", "float64", "response", "largest uniform-field response above the blank",
         "uniform_fields", _JOHNSON_2008, kind="measure"),
    _col("size_peak_amplitude", "float64", "response", "largest max(F0 - blank, F1) of the size curve at the "
         "unit's optimal grating: the inclusion quantity of the Cavanaugh comparison", "size_sweep",
         _CAVANAUGH_2002, kind="measure"),
    _col("chromatic_orientation_bandwidth_deg", "float64", "deg", "orientation bandwidth of the isoluminant F0 "
         "orientation curve", "chromatic_gratings", _JOHNSON_2008, kind="measure"),
    _col("cone_weight_l", "float64", "1", "L-cone weight: the response per unit L-cone contrast, fitted to cone-"
         "isolating and mixed colour stimuli at the unit's optimum; the three weights L1-normalised "
         "(|wL| + |wM| + |wS| = 1), the largest positive, so the relative signs carry the meaning", "cone_isolating",
         _CONES, kind="measure"),
    _col("cone_weight_m", "float64", "1", "M-cone weight, as cone_weight_l", "cone_isolating", _CONES,
         kind="measure"),
    _col("cone_weight_s", "float64", "1", "S-cone weight, as cone_weight_l", "cone_isolating", _CONES,
         kind="measure"),
    _col("cone_fit_r2", "float64", "1", "R^2 of the rank-one cone-weight model across colour directions",
         "cone_isolating", _CONES, kind="measure"),
    _col("cone_estimator", "string", "", "first harmonic (phase-sensitive units) or energy (phase-invariant "
         "units and uniform fields)", "cone_isolating", _V1LAB, kind="note"),
)

#: Fit column prefix -> (tuning-curve model, the analysis whose curve it fits).
FIT_PREFIXES: dict[str, tuple[F.CurveModel, str]] = {
    "ori_vm": (F.VON_MISES, "luminance_gratings"),
    "sf_lg": (F.LOG_GAUSSIAN, "luminance_gratings"),
    "size_rog": (F.RATIO_OF_GAUSSIANS, "size_sweep"),
    "contrast_nr": (F.NAKA_RUSHTON, "contrast_sweep"),
}

_FIT_CITATION = "v1lab batched Levenberg-Marquardt (docs/metrics.md)"


def fit_columns(prefix: str) -> tuple[Column, ...]:
    """The columns of one fit, in the order :meth:`v1lab.fits.FitBatch.to_frame` writes them."""
    model, role = FIT_PREFIXES[prefix]
    analysis = f"fit:{prefix}"
    cols = []
    for name in model.names:
        cols.append(_col(f"{prefix}_{name}", "float64", "", f"{model.name} parameter {name} (fitted to the "
                         f"{role} curve)", analysis, _FIT_CITATION, kind="fit"))
        for end in ("low", "high"):
            cols.append(_col(f"{prefix}_{name}_ci_{end}", "float64", "", f"{end} end of the 95 % Wald interval "
                             f"of {name}", analysis, _FIT_CITATION, kind="fit"))
    for name in model.derived_names:
        cols.append(_col(f"{prefix}_{name}", "float64", "", f"{name} of the fitted {model.name} curve", analysis,
                         _FIT_CITATION, kind="fit"))
    cols += [_col(f"{prefix}_r2", "float64", "1", "R^2 of the fit", analysis, _FIT_CITATION, kind="fit"),
             _col(f"{prefix}_status", "string", "", "ok, failed, skipped or no data", analysis, kind="fit"),
             _col(f"{prefix}_reason", "string", "", "why the fit failed or was not made, or its caveat", analysis,
                  kind="fit")]
    return tuple(cols)


def all_columns() -> tuple[Column, ...]:
    """Every declared column: the measured ones, then each fit's."""
    return MEASURED_COLUMNS + tuple(c for prefix in FIT_PREFIXES for c in fit_columns(prefix))
