"""Size and contrast sweeps of gratings: each unit's curve at its optimal grating, and the component it drives.

Closed loop (the set shown at each unit's own optimum, :mod:`~v1lab.characterisation.closed_loop`): the curve is
read at the unit's optimum, on the component (F0 - blank or F1) with the larger response anywhere along it, as
Cavanaugh, Bair & Movshon (2002) measured each cell with its optimal grating. Open loop (one set over a grid of
orientations and SFs for all units): the curve at the (SF, orientation, component) where the amplitude is
largest, as Brain-Score's ``cavanaugh2002a_benchmark.py``. Size: surround suppression index and grating summation
field and a ratio-of-Gaussians fit; contrast: a Naka-Rushton fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab import metrics as M
from v1lab.characterisation._grid import GRATING, Grid, SetResponses, argmax_each, components
from v1lab.characterisation._role import FitRequest, RoleResult
from v1lab.characterisation.closed_loop import at_optimum

__all__ = ["analyse_size", "analyse_contrast"]


def _open_loop(part: SetResponses, blank: np.ndarray, dim: str) -> tuple[np.ndarray, np.ndarray]:
    grid = Grid(part, (dim,) + GRATING)
    amp = components(*grid.harmonics(), blank)                    # (U, X, S, O, 2)
    peak = argmax_each(amp)                                       # (U, 4): (x, s, o, component)
    units = np.arange(len(blank))
    return amp[units, :, peak[:, 1], peak[:, 2], peak[:, 3]], grid.level(dim)


def _closed_loop(part: SetResponses, blank: np.ndarray, dim: str, groups: dict[tuple, list[int]]):
    curves = x = None
    for index, units in groups.items():
        sub = SetResponses(part.name, part.values[:, list(index)], part.params.iloc[list(index)])
        grid = Grid(sub, (dim, "phase_deg"))
        if x is None:
            x = grid.level(dim)
            curves = np.full((len(blank), x.size), np.nan)
        amp = components(*grid.harmonics(), blank)[units]           # (units, X, 2)
        component = argmax_each(amp)[:, 1]
        curves[units] = amp[np.arange(len(units)), :, component]
    return curves, x


def _curves(part, blank, dim, optima):
    """(curves (U, X), x (X,)): NaN rows for units without stimuli at their optimum; closed loop when at least
    one unit has stimuli at its optimum."""
    groups: dict[tuple, list[int]] = {}   # the stimuli at an optimum -> the units whose optimum it is
    for u in range(len(blank) if optima is not None else 0):
        index = at_optimum(part, optima, u)
        if index.size:
            groups.setdefault(tuple(index), []).append(u)
    return _closed_loop(part, blank, dim, groups) if groups else _open_loop(part, blank, dim)


def analyse_size(part: SetResponses, blank: np.ndarray, optima: pd.DataFrame | None = None) -> RoleResult:
    """Columns of the ``size_sweep`` analysis and its ratio-of-Gaussians fit request."""
    curves, sizes = _curves(part, blank, "size_deg", optima)
    out = pd.DataFrame({"surround_suppression_index": np.nan, "gsf_deg": np.nan, "size_peak_amplitude": np.nan},
                       index=range(len(blank)))
    seen = np.all(np.isfinite(curves), axis=1)
    if sizes.size >= 2:
        out.loc[seen, "surround_suppression_index"] = [M.surround_suppression_index(c, sizes) for c in curves[seen]]
        out.loc[seen, "gsf_deg"] = [M.grating_summation_field(c, sizes) for c in curves[seen]]
    out.loc[seen, "size_peak_amplitude"] = curves[seen].max(axis=1)
    return RoleResult(out, {"size_rog": FitRequest(curves, sizes)})


def analyse_contrast(part: SetResponses, blank: np.ndarray, optima: pd.DataFrame | None = None) -> RoleResult:
    """The ``contrast_sweep`` analysis: a Naka-Rushton fit request (no columns of its own)."""
    curves, contrasts = _curves(part, blank, "contrast", optima)
    return RoleResult(pd.DataFrame(index=range(len(blank))), {"contrast_nr": FitRequest(curves, contrasts)})
