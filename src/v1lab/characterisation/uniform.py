"""Uniform colour fields filling the receptive field: the numerator of the uniform-field ratio, and the preferred
DKL direction when >= 3 azimuths are shown (Johnson, Hawken & Shapley 2008; Derrington, Krauskopf & Lennie 1984)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab import metrics as M
from v1lab.characterisation._grid import SetResponses
from v1lab.characterisation._role import RoleResult

__all__ = ["analyse_uniform"]


def analyse_uniform(part: SetResponses, blank: np.ndarray) -> RoleResult:
    """Columns of the ``uniform_fields`` analysis; uniform fields are directional (azimuth and azimuth + 180
    differ), so the preferred azimuth is a direction, and it replaces the chromatic gratings' axis."""
    above = part.values - blank[:, None]
    params = part.params
    az = (params["dkl_azimuth_deg"].to_numpy(float) if "dkl_azimuth_deg" in params
          else np.full(above.shape[1], np.nan))
    out = pd.DataFrame({"uniform_peak_response": above.max(axis=1)})
    levels = np.unique(az[np.isfinite(az)])
    if levels.size >= 3:
        per = np.stack([above[:, az == a].max(axis=1) for a in levels], axis=1)
        out["preferred_dkl_azimuth_deg"] = [M.preferred_dkl_azimuth(r, levels, axial=False) for r in per]
    return RoleResult(out)
