"""Size and contrast sweeps of gratings: the curve at each unit's preferred SF, orientation and component.

As Brain-Score's ``cavanaugh2002a_benchmark.py``: the curve across the swept parameter at the (SF, orientation,
component) where the amplitude max(F0 - blank, F1) is largest. Size: surround suppression index and grating
summation field (Cavanaugh, Bair & Movshon 2002) and a ratio-of-Gaussians fit; contrast: a Naka-Rushton fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab import metrics as M
from v1lab.characterisation._grid import GRATING, Grid, SetResponses, argmax_each, components
from v1lab.characterisation._role import FitRequest, RoleResult

__all__ = ["analyse_size", "analyse_contrast"]


def _curves(part: SetResponses, blank: np.ndarray, dim: str) -> tuple[np.ndarray, np.ndarray]:
    """(curves (U, X), x (X,)): each unit's amplitude across ``dim`` at its preferred grating and component."""
    grid = Grid(part, (dim,) + GRATING)
    amp = components(*grid.harmonics(), blank)                    # (U, X, S, O, 2)
    peak = argmax_each(amp)                                       # (U, 4): (x, s, o, component)
    units = np.arange(len(blank))
    return amp[units, :, peak[:, 1], peak[:, 2], peak[:, 3]], grid.level(dim)


def analyse_size(part: SetResponses, blank: np.ndarray) -> RoleResult:
    """Columns of the ``size_sweep`` analysis and its ratio-of-Gaussians fit request."""
    curves, sizes = _curves(part, blank, "size_deg")
    out = pd.DataFrame({"surround_suppression_index": np.nan, "gsf_deg": np.nan}, index=range(len(blank)))
    if sizes.size >= 2:
        out["surround_suppression_index"] = [M.surround_suppression_index(c, sizes) for c in curves]
        out["gsf_deg"] = [M.grating_summation_field(c, sizes) for c in curves]
    return RoleResult(out, {"size_rog": FitRequest(curves, sizes)})


def analyse_contrast(part: SetResponses, blank: np.ndarray) -> RoleResult:
    """The ``contrast_sweep`` analysis: a Naka-Rushton fit request (no columns of its own)."""
    curves, contrasts = _curves(part, blank, "contrast")
    return RoleResult(pd.DataFrame(index=range(len(blank))), {"contrast_nr": FitRequest(curves, contrasts)})
