"""The luminance grating sweep (SF x orientation x phase): orientation, modulation and SF metrics.

Orientation metrics use the F0 orientation curve at the (SF, orientation) of the largest F0 (Ringach et al. 2002
as in Brain-Score's ``ringach2002_benchmark.py``; F0 not blank-subtracted). The modulation ratio is F1 / F0
there, F0 the raw mean response as in the Ringach database (``maxfirst / maxdc``) and Brain-Score; F1 / (F0 -
blank) has a column of its own. That (SF, orientation) is the unit's optimum, where closed-loop sets are shown.
Peak SF and SF bandwidths use the SF curve at the preferred orientation of whichever component, F0 - blank or
F1, is largest anywhere in the sweep (Brain-Score's ``devalois1982b_benchmark.py``); the Schiller et al. (1976)
bandwidth uses the raw F0 curve at the (SF, orientation) of the largest F0 (Brain-Score's
``schiller1976_benchmark.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab import metrics as M
from v1lab.characterisation._grid import GRATING, Grid, SetResponses, argmax_each, components
from v1lab.characterisation._role import FitRequest, RoleResult

__all__ = ["analyse_luminance"]


def analyse_luminance(part: SetResponses, blank: np.ndarray) -> RoleResult:
    """Columns of the ``luminance_gratings`` analysis and its von Mises and log-Gaussian fit requests."""
    grid = Grid(part, GRATING)
    f0, f1 = grid.harmonics()                                     # (U, S, O)
    amp = components(f0, f1, blank)                               # (U, S, O, 2)
    sfs, oris, phases = grid.level("sf_cpd"), grid.level("orientation_deg"), grid.level("phase_deg")
    units = np.arange(len(blank))
    n_ori = oris.size if np.all(np.isfinite(oris)) else 0
    peak_f0 = argmax_each(f0)                                     # (U, 2): (s, o) of the largest F0
    peak_amp = argmax_each(amp)                                   # (U, 3): (s, o, component)
    ori_curves = f0[units, peak_f0[:, 0]]                         # (U, O)
    sf_curves = amp[units, :, peak_amp[:, 1], peak_amp[:, 2]]     # (U, S)
    nan = np.full(len(units), np.nan)
    out = pd.DataFrame({
        "n_orientations": float(n_ori),
        "luminance_peak_amplitude": np.nanmax(amp.reshape(len(units), -1), axis=1),
        "f0_above_blank_at_preferred": f0[units, peak_f0[:, 0], peak_f0[:, 1]] - blank,
        "optimum_sf_cpd": sfs[peak_f0[:, 0]], "optimum_orientation_deg": oris[peak_f0[:, 1]],
        "preferred_orientation_deg": nan, "circular_variance": nan, "orientation_bandwidth_deg": nan,
        "orthogonal_preferred_ratio": nan, "modulation_ratio": nan, "modulation_ratio_above_blank": nan,
        "peak_sf_cpd": nan, "sf_bandwidth_oct": nan, "sf_bandwidth_0707_oct": nan, "sf_f0_bandwidth_0707_oct": nan,
        "peak_sf_at_edge": pd.array([pd.NA] * len(units), dtype="boolean"),
    })
    fits = {}
    if n_ori >= 3:
        out["circular_variance"] = M.circular_variance(ori_curves, oris)
        out["preferred_orientation_deg"] = M.preferred_orientation(ori_curves, oris)
        out["orientation_bandwidth_deg"] = M.orientation_bandwidth(ori_curves, oris)
        if n_ori % 2 == 0:
            out["orthogonal_preferred_ratio"] = [M.orthogonal_preferred_ratio(c, oris) for c in ori_curves]
        fits["ori_vm"] = FitRequest(ori_curves, oris)
    else:
        fits["ori_vm"] = FitRequest(reason="fewer than 3 orientations in the luminance sweep")
    if phases.size >= 3:
        at_peak = grid.values[units, peak_f0[:, 0], peak_f0[:, 1]]   # (U, P)
        out["modulation_ratio"] = M.modulation_ratio(at_peak, phases)
        out["modulation_ratio_above_blank"] = M.modulation_ratio(at_peak, phases, baseline=blank)
    if sfs.size >= 3 and np.all(sfs > 0):
        out["peak_sf_cpd"] = M.peak_spatial_frequency(sf_curves, sfs)
        out["sf_bandwidth_oct"] = M.spatial_frequency_bandwidth(sf_curves, sfs, threshold=0.5)
        out["sf_bandwidth_0707_oct"] = M.spatial_frequency_bandwidth(sf_curves, sfs)
        out["sf_f0_bandwidth_0707_oct"] = M.spatial_frequency_bandwidth(f0[units, :, peak_f0[:, 1]], sfs)
        positive = np.nanmax(sf_curves, axis=1) > 0
        edge = M.spatial_frequency_falloff(sf_curves, sfs)[2]
        out["peak_sf_at_edge"] = pd.array(np.where(positive, edge, pd.NA), dtype="boolean")
    fits["sf_lg"] = (FitRequest(sf_curves, sfs) if sfs.size >= 3 else
                     FitRequest(reason="fewer than 3 spatial frequencies in the luminance sweep"))
    return RoleResult(out, fits)
