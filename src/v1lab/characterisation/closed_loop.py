"""Closed-loop sets: a stage-2 stimulus set shown at each unit's own optimum, as a physiologist does.

Stage 1 (the luminance grating sweep) gives each unit's optimum: the sampled orientation and SF of its largest
F0 (``optimum_orientation_deg``, ``optimum_sf_cpd``). A closed-loop set (``at: preferred`` in a protocol) is then
shown once per distinct optimum of the responsive units, rounded onto a lattice (``analyses.closed_loop``), so
units that share an optimum share their stimuli; the Cavanaugh, Bair & Movshon (2002) size sweep, for one, used
each cell's optimal grating. Aperture sizes may be given relative to the layer's receptive field. The rounded
optimum of every unit is stored with the responses (``closed_loop_orientation_deg``, ``closed_loop_sf_cpd``), and
the stage-2 analysers read each unit's curve at it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab.characterisation._grid import SetResponses, select
from v1lab.characterisation.luminance import analyse_luminance
from v1lab.classify import responsive_units

__all__ = ["OPTIMUM_VARIABLES", "at_optimum", "closed_loop_optima", "closed_loop_set", "lattice_size",
           "unit_optima"]

#: The unit variables of a responses Dataset that say where each unit's closed-loop stimuli were shown.
OPTIMUM_VARIABLES = ("closed_loop_orientation_deg", "closed_loop_sf_cpd")


def _round(values: np.ndarray, step: float) -> np.ndarray:
    return values if step <= 0 else step * np.round(values / step)


def _rounded(ori: np.ndarray, sf: np.ndarray, lowest_sf: float, closed_loop) -> tuple[np.ndarray, np.ndarray]:
    """Orientations and SFs rounded onto the closed-loop lattice: ``lowest_sf * 2^(k step)`` for SFs, so that
    whole-octave nodes are exact multiples of the lowest SF and a step of 0 leaves each SF as it was sampled."""
    ori = np.mod(_round(ori, closed_loop.orientation_step_deg), 180.0)
    if closed_loop.sf_step_oct <= 0:
        return ori, sf
    return ori, lowest_sf * np.exp2(_round(np.log2(sf / lowest_sf), closed_loop.sf_step_oct))


def lattice_size(orientations, sfs, closed_loop) -> int:
    """How many distinct rounded optima a sweep over ``orientations`` x ``sfs`` can give: the most distinct
    optima a closed-loop set is shown at. Values equal to 9 decimals count once."""
    ori = np.unique(np.asarray(orientations, dtype=float))
    sf = np.unique(np.asarray(sfs, dtype=float))
    o, f = _rounded(ori, sf, sf.min(), closed_loop)
    return int(np.unique(np.round(o, 9)).size * np.unique(np.round(f, 9)).size)


def closed_loop_optima(stage1, roles, criteria, closed_loop) -> pd.DataFrame:
    """Each unit's rounded optimum from the stage-1 responses (one row per unit; NaN for unresponsive units).

    Parameters
    ----------
    stage1 : xarray.Dataset
        The layer's responses to the stage-1 sets (``responses``, ``blank``, ``set`` and parameters).
    roles : AnalysisRoles
        ``luminance_gratings`` names the set that gives the optimum.
    criteria : ClassificationCriteria or None
        Responsiveness (over the stage-1 stimuli).
    closed_loop : ClosedLoop
        Rounding: orientations to multiples of ``orientation_step_deg`` (mod 180), SFs to ``sf_step_oct`` octaves
        on a lattice through the sweep's lowest SF.
    """
    blank = np.asarray(stage1["blank"].values, dtype=float)
    part = select(stage1, roles.luminance_gratings)
    lum = analyse_luminance(part, blank).columns
    values = np.asarray(stage1["responses"].transpose("unit", "stimulus").values, dtype=float)
    live = responsive_units((values - blank[:, None]).max(axis=1), criteria)
    ori, sf = _rounded(lum["optimum_orientation_deg"].to_numpy(float), lum["optimum_sf_cpd"].to_numpy(float),
                       np.nanmin(part.params["sf_cpd"].to_numpy(float)), closed_loop)
    return pd.DataFrame({"closed_loop_orientation_deg": np.where(live, ori, np.nan),
                         "closed_loop_sf_cpd": np.where(live, sf, np.nan)})


def closed_loop_set(template, optima: pd.DataFrame, *, sizes_deg=None):
    """The template set shown at every distinct optimum of ``optima`` (and, with ``sizes_deg``, at each of those
    aperture diameters), as one stimulus set of the template's name; None when no unit has an optimum."""
    distinct = optima.dropna().drop_duplicates().sort_values(list(OPTIMUM_VARIABLES))
    if distinct.empty:
        return None
    sizes = [{}] if sizes_deg is None else [{"size_deg": float(d)} for d in sizes_deg]
    return template.expand([{"orientation_deg": float(o), "sf_cpd": float(f), **size}
                            for o, f in distinct.itertuples(index=False) for size in sizes])


def unit_optima(responses) -> pd.DataFrame | None:
    """The rounded optima stored with a layer's responses, or None for a layer without closed-loop sets."""
    if not all(v in responses.data_vars for v in OPTIMUM_VARIABLES):
        return None
    return pd.DataFrame({v: np.asarray(responses[v].values, dtype=float) for v in OPTIMUM_VARIABLES})


def at_optimum(part: SetResponses, optima: pd.DataFrame, unit: int) -> np.ndarray:
    """Positions of the stimuli of ``part`` shown at ``unit``'s optimum (empty when it has none)."""
    o, f = optima.iloc[unit]
    if not (np.isfinite(o) and np.isfinite(f)):
        return np.array([], dtype=int)
    params = part.params
    return np.flatnonzero(np.isclose(params["orientation_deg"].to_numpy(float), o, rtol=0, atol=1e-9)
                          & np.isclose(params["sf_cpd"].to_numpy(float), f, rtol=1e-9, atol=0))
