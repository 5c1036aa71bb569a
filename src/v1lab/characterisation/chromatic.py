"""Isoluminant gratings (colour x SF x orientation x phase) and luminance gratings matched to their cone contrast.

The chromatic peak amplitude is the numerator of the chromatic ratio (Johnson, Hawken & Shapley 2001); the
chromatic SF curve, taken like the luminance one, gives the peak SF and the observed shape that separates
single- from double-opponent cells (Johnson et al. 2008): band-pass when the curve falls to 1/sqrt(2) of its
peak on both sides within the sweep, low-pass when only above it, undetermined when its high side is not
observed (a v1lab convention, docs/metrics.md); with >= 3 DKL azimuths the preferred axis is read from them.
Matched luminance gratings (Johnson et al. 2001 equated luminance and chromatic gratings for cone contrast)
replace the luminance sweep in the denominator of the chromatic ratio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab import metrics as M
from v1lab.characterisation._grid import GRATING, Grid, SetResponses, argmax_each, components
from v1lab.characterisation._role import FitRequest, RoleResult
from v1lab.errors import AnalysisError

__all__ = ["analyse_chromatic", "analyse_matched_luminance", "check_equated", "sf_shape"]

_COLOUR = ("color_direction", "dkl_azimuth_deg", "dkl_elevation_deg")
_CONES = ("l_cone_contrast", "m_cone_contrast", "s_cone_contrast")


def _with_colour_key(part: SetResponses) -> tuple[SetResponses, dict]:
    """The set with a ``colour_key`` parameter (one level per colour direction) and each level's azimuth."""
    params = part.params
    parts = [params[c].map(str) if c in params else pd.Series("nan", index=params.index) for c in _COLOUR]
    params = params.assign(colour_key=parts[0] + "|" + parts[1] + "|" + parts[2])
    az = params.groupby("colour_key")["dkl_azimuth_deg"].first() if "dkl_azimuth_deg" in params else None
    azimuth = {k: (az[k] if az is not None else np.nan) for k in params["colour_key"].unique()}
    return SetResponses(part.name, part.values, params), azimuth


def analyse_chromatic(part: SetResponses, blank: np.ndarray) -> RoleResult:
    """Columns of the ``chromatic_gratings`` analysis."""
    keyed, azimuth_of = _with_colour_key(part)
    grid = Grid(keyed, ("colour_key",) + GRATING, varying=_COLOUR)
    f0, f1 = grid.harmonics()                                     # (U, C, S, O)
    amp = components(f0, f1, blank)
    oris = grid.level("orientation_deg")
    azimuths = np.array([azimuth_of[k] for k in grid.levels["colour_key"]], dtype=float)
    units = np.arange(len(blank))
    sfs = grid.level("sf_cpd")
    peak = argmax_each(amp)                                       # (U, 4): (c, s, o, component)
    sf_curves = amp[units, peak[:, 0], :, peak[:, 2], peak[:, 3]]  # (U, S)
    out = pd.DataFrame({"chromatic_peak_amplitude": np.nanmax(amp.reshape(len(units), -1), axis=1),
                        "chromatic_peak_sf_cpd": np.nan, "chromatic_sf_shape": pd.NA,
                        "chromatic_orientation_bandwidth_deg": np.nan})
    if sfs.size >= 3 and np.all(sfs > 0):
        out["chromatic_peak_sf_cpd"] = M.peak_spatial_frequency(sf_curves, sfs)
        out["chromatic_sf_shape"] = sf_shape(sf_curves, sfs)
    if oris.size >= 3 and np.all(np.isfinite(oris)):   # orientation curve at the (colour, SF) of the largest F0
        at = argmax_each(f0)
        out["chromatic_orientation_bandwidth_deg"] = M.orientation_bandwidth(f0[units, at[:, 0], at[:, 1]], oris)
    ok = np.isfinite(azimuths)
    if np.unique(azimuths[ok]).size >= 3:
        per_level = np.nanmax(amp.reshape(len(units), azimuths.size, -1), axis=2)
        out["preferred_dkl_azimuth_deg"] = [M.preferred_dkl_azimuth(r[ok], azimuths[ok], axial=True)
                                            for r in per_level]
    return RoleResult(out, curves={"chromatic_sf": FitRequest(sf_curves, sfs)})


def sf_shape(curves: np.ndarray, sfs: np.ndarray) -> pd.Series:
    """``band-pass``, ``low-pass`` or ``undetermined`` per curve (module docstring); ``<NA>`` without a positive
    response."""
    below, above, _ = M.spatial_frequency_falloff(curves, sfs)
    positive = np.nanmax(curves, axis=1) > 0
    shape = np.where(below & above, "band-pass", np.where(above, "low-pass", "undetermined"))
    return pd.Series(np.where(positive, shape, None), dtype="string")


def analyse_matched_luminance(part: SetResponses, blank: np.ndarray) -> RoleResult:
    """Column of the ``matched_luminance_gratings`` analysis: its peak amplitude max(F0 - blank, F1)."""
    grid = Grid(part, GRATING)
    amp = components(*grid.harmonics(), blank)
    return RoleResult(pd.DataFrame({"matched_luminance_peak_amplitude":
                                    np.nanmax(amp.reshape(len(blank), -1), axis=1)}))


def _rms_cone_contrast(responses, name: str) -> float:
    """Largest RMS cone contrast sqrt((c_L^2 + c_M^2 + c_S^2) / 3) over the stimuli of one set."""
    if not all(c in responses.coords for c in _CONES):
        return float("nan")
    mask = np.asarray(responses["set"].values == name)
    cones = np.stack([np.asarray(responses[c].values, dtype=float)[mask] for c in _CONES])
    return float(np.nanmax(np.sqrt(np.nanmean(cones ** 2, axis=0))))


def check_equated(responses, luminance_set: str, chromatic_set: str, rtol: float = 0.05) -> None:
    """Johnson et al. (2001) compare luminance and isoluminant gratings equated for cone contrast: raise
    :class:`AnalysisError` when the two sets' RMS cone contrasts differ by more than ``rtol``."""
    lum, chrom = _rms_cone_contrast(responses, luminance_set), _rms_cone_contrast(responses, chromatic_set)
    if np.isnan(lum) or np.isnan(chrom):
        return  # cone contrasts not recorded (hand-built responses): the caller vouches for the equating
    if not np.isclose(lum, chrom, rtol=rtol):
        raise AnalysisError(
            f"stimulus sets '{luminance_set}' and '{chromatic_set}': RMS cone contrast {lum:.4g} vs {chrom:.4g}; "
            f"the chromatic ratio needs them equated (Johnson et al. 2001): give a luminance sweep at contrast "
            f"{chrom / lum:.4g} of this one as analyses.roles.matched_luminance_gratings")
