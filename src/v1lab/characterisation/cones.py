"""Cone-isolating stimuli (colour x phase at one or more gratings, and uniform fields): signed cone weights and
the cone-opponency class of each unit (:mod:`v1lab.metrics.cone_weights`).

Each unit is measured at one *pattern* of the set: a grating (orientation, SF) or the uniform fields (SF 0 or
none). With ``optimum`` (the unit's preferred orientation and SF from the luminance sweep) it is the grating
nearest to it, nearest in log SF first, then in orientation (an exact match in a closed-loop set, which holds
the same colour x phase grid at each distinct optimum); a low-pass unit (SF NaN or 0) takes the uniform fields.
Without ``optimum``, or for a low-pass unit in a set without fields, it is the pattern with the largest mean
response over its stimuli (all colours and phases). A stimulus of cone contrasts ``-d`` at phase ``phi`` is the
stimulus ``d`` at ``phi + 180``, so every direction is folded onto the sign with its largest cone contrast
positive; uniform fields of both polarities thereby become two phases, 0 and 180 deg. Cone contrasts come from
the stimulus parameters, or are recomputed from the DKL direction and contrast where a recorded set does not
carry them (around the reference grey unless ``mean_luminance`` is given: another grey scales every cone
contrast by one factor, which the L1 normalisation of the weights removes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab.characterisation._grid import Grid, SetResponses
from v1lab.characterisation._role import RoleResult
from v1lab.errors import AnalysisError
from v1lab.metrics.cone_weights import cone_opponency, cone_weights
from v1lab.stimuli import colorimetry

__all__ = ["analyse_cones"]

_CONES = ("l_cone_contrast", "m_cone_contrast", "s_cone_contrast")
_VARYING = ("phase_deg", "contrast", "dkl_azimuth_deg", "dkl_elevation_deg", "color_direction", "orientation_deg",
            "sf_cpd")


def _column(params: pd.DataFrame, name: str, default: float = np.nan) -> np.ndarray:
    return params[name].to_numpy(float) if name in params else np.full(len(params), default)


def _peak_cone_contrasts(params: pd.DataFrame) -> np.ndarray:
    """(N, 3) cone contrasts at each stimulus's peak: the recorded columns where given, else from the DKL
    direction, the contrast and the background (``mean_luminance``, default the reference grey), as the stimulus
    families compute them."""
    cones = np.stack([_column(params, c) for c in _CONES], axis=1)
    az, el = _column(params, "dkl_azimuth_deg"), _column(params, "dkl_elevation_deg")
    grey = _column(params, "mean_luminance", colorimetry.REFERENCE_GREY)
    ok = np.isfinite(az) & np.isfinite(el) & ~np.all(np.isfinite(cones), axis=1)
    if ok.any():
        amplitude, _ = colorimetry.modulation_rgb(az[ok], el[ok], grey[ok])
        amplitude = amplitude * _column(params, "contrast", 1.0)[ok, None]
        lms0 = np.repeat(grey[ok, None], 3, axis=1) @ colorimetry.RGB_TO_LMS.T
        computed = (amplitude @ colorimetry.RGB_TO_LMS.T) / lms0
        cones[ok] = np.where(np.abs(computed) < 1e-12, 0.0, computed)   # silenced cones: zeros, as recorded
    return cones


def _folded(params: pd.DataFrame, uniform: np.ndarray) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """``params`` with ``colour_key`` (the folded direction) and ``phase_key``, and each key's cone contrasts."""
    cones = _peak_cone_contrasts(params)
    if not np.all(np.isfinite(cones)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(cones), axis=1))[0])
        raise AnalysisError(f"cone-isolating stimuli: stimulus {bad} has no colour direction (cone contrasts or "
                            "dkl_azimuth_deg / dkl_elevation_deg); expected one for every stimulus")
    sign = np.sign(cones[np.arange(len(cones)), np.argmax(np.abs(cones), axis=1)])
    folded = cones * sign[:, None]
    vectors: dict[str, np.ndarray] = {}
    keys = []
    for row in folded:   # one key per direction, equal to 1e-9 (d and -d differ by rounding)
        key = next((k for k, v in vectors.items() if np.max(np.abs(v - row)) <= 1e-9), f"{len(vectors):04d}")
        vectors.setdefault(key, row)
        keys.append(key)
    phase = np.where(uniform, 0.0, np.nan_to_num(_column(params, "phase_deg", 0.0)))
    phase_key = np.mod(phase + np.where(sign < 0, 180.0, 0.0), 360.0)
    return params.assign(colour_key=keys, phase_key=phase_key), vectors


def _nearest(patterns: pd.DataFrame, orientation: float, sf: float) -> int:
    """Index of the grating pattern nearest in log2 SF, then in orientation (mod 180); -1 if none."""
    if patterns.empty:
        return -1
    octaves = np.abs(np.log2(patterns["sf_cpd"].to_numpy(float) / sf))
    candidates = np.flatnonzero(octaves <= octaves.min() + 1e-9)
    if np.isfinite(orientation):
        delta = np.abs(np.mod(patterns["orientation_deg"].to_numpy(float)[candidates] - orientation + 90, 180) - 90)
        candidates = candidates[np.argsort(delta, kind="stable")]
    return int(candidates[0])


def _chosen_patterns(params, values, blank, uniform, optimum) -> tuple[np.ndarray, np.ndarray]:
    """(pattern of each stimulus, chosen pattern of each unit); pattern -1 is the uniform fields."""
    gratings = params.reindex(columns=["orientation_deg", "sf_cpd"])[~uniform]   # a set of fields has neither
    patterns = gratings.drop_duplicates().reset_index(drop=True)
    of_stimulus = np.full(len(params), -1)
    if not patterns.empty:
        lookup = {tuple(p): i for i, p in enumerate(patterns.itertuples(index=False))}
        of_stimulus[~uniform] = [lookup[tuple(p)] for p in gratings.itertuples(index=False)]
    levels = np.unique(of_stimulus)
    mean = np.stack([values[:, of_stimulus == p].mean(axis=1) for p in levels], axis=1) - blank[:, None]
    best = levels[np.argmax(mean, axis=1)]
    if optimum is None:
        return of_stimulus, best
    if len(optimum) != len(blank) or not {"orientation_deg", "sf_cpd"} <= set(optimum.columns):
        raise AnalysisError(f"`optimum`: expected one row per unit ({len(blank)}) with columns orientation_deg "
                            f"and sf_cpd, got {len(optimum)} rows and columns {list(optimum.columns)}")
    chosen = best.copy()
    for u, (ori, sf) in enumerate(optimum[["orientation_deg", "sf_cpd"]].to_numpy(float)):
        if np.isfinite(sf) and sf > 0:
            nearest = _nearest(patterns, ori, sf)
            chosen[u] = nearest if nearest >= 0 else best[u]
        elif uniform.any():
            chosen[u] = -1
    return of_stimulus, chosen


def analyse_cones(part: SetResponses, blank: np.ndarray, optimum: pd.DataFrame | None = None, *,
                  fields: SetResponses | None = None) -> RoleResult:
    """Columns of the ``cone_isolating`` analysis: signed cone weights, their opponency class and fit quality.

    Parameters
    ----------
    part : SetResponses
        Responses to cone-isolating gratings (colour direction x phase, at one or more orientation x SF), and
        optionally uniform fields (rows with ``sf_cpd`` NaN or 0).
    blank : ndarray (U,)
        Each unit's response to the blank screen.
    optimum : pandas.DataFrame, optional
        One row per unit, columns ``orientation_deg`` and ``sf_cpd``: its preferred grating (SF NaN for a
        low-pass unit). Without it each unit is measured at its best pattern in the set.
    fields : SetResponses, optional
        Uniform colour fields recorded as a separate set (family ``color_field``), both polarities of each
        direction; joined to ``part``.

    Returns
    -------
    RoleResult
        ``cone_weight_l``, ``cone_weight_m``, ``cone_weight_s`` (L1-normalised, largest positive),
        ``cone_opponency``, ``cone_fit_r2`` and ``cone_estimator``.
    """
    params, values = part.params.reset_index(drop=True), part.values
    if fields is not None:
        params = pd.concat([params, fields.params.reset_index(drop=True)], ignore_index=True)
        values = np.concatenate([values, fields.values], axis=1)
    uniform = ~(_column(params, "sf_cpd") > 0)
    keyed, vectors = _folded(params, uniform)
    of_stimulus, chosen = _chosen_patterns(params, values, blank, uniform, optimum)
    n = len(blank)
    weights, r2 = np.full((n, 3), np.nan), np.full(n, np.nan)
    estimator = np.full(n, None, dtype=object)
    for pattern in np.unique(chosen):
        units, rows = np.flatnonzero(chosen == pattern), np.flatnonzero(of_stimulus == pattern)
        grid = Grid(SetResponses(part.name, values[np.ix_(units, rows)], keyed.iloc[rows].reset_index(drop=True)),
                    ("colour_key", "phase_key"), varying=_VARYING)
        d = np.stack([vectors[k] for k in grid.levels["colour_key"]])
        phases = grid.level("phase_key")
        for i, u in enumerate(units):
            r = grid.values[i] if phases.size > 1 else grid.values[i, :, 0]
            fit = cone_weights(d, r, phases if phases.size > 1 else None, blank=blank[u])
            weights[u], r2[u], estimator[u] = fit.weights, fit.r_squared, fit.estimator or None
    return RoleResult(pd.DataFrame({
        "cone_weight_l": weights[:, 0], "cone_weight_m": weights[:, 1], "cone_weight_s": weights[:, 2],
        "cone_opponency": pd.array([cone_opponency(w) for w in weights], dtype="string"),
        "cone_fit_r2": r2, "cone_estimator": pd.array(estimator, dtype="string")}))
