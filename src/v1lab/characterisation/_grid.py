"""One stimulus set's responses averaged onto the full grid of the parameters its analysis sweeps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from v1lab import metrics as M
from v1lab.characterisation.roles import STIMULUS_PARAMETERS
from v1lab.errors import AnalysisError

__all__ = ["SetResponses", "Grid", "select", "components", "argmax_each"]

#: The grating axes every grating analysis sweeps, last axis phase.
GRATING = ("sf_cpd", "orientation_deg", "phase_deg")


@dataclass(frozen=True)
class SetResponses:
    """One set's responses: ``values`` (unit, stimulus) and its stimulus parameters, one row per stimulus."""

    name: str
    values: np.ndarray
    params: pd.DataFrame


def select(responses, name: str | None) -> SetResponses | None:
    """The responses to set ``name`` (as float64) from a layer's responses Dataset, or None where the set is absent."""
    if name is None:
        return None
    mask = np.asarray(responses["set"].values == name)
    if not mask.any():
        return None
    index = np.flatnonzero(mask)
    cols = {c: np.asarray(responses[c].values)[index] for c in STIMULUS_PARAMETERS
            if c in responses.coords and responses[c].dims == ("stimulus",)}
    values = np.asarray(responses["responses"].transpose("unit", "stimulus").values, dtype=float)[:, index]
    return SetResponses(name, values, pd.DataFrame(cols))


class Grid:
    """Responses of one set averaged onto a full grid: ``values`` (unit, *dims) and the sorted ``levels``.

    Only the parameters in ``dims`` (and ``varying``, which change together with one of them) may vary within
    the set; repeated stimuli are averaged; every combination of levels must be present.
    """

    def __init__(self, part: SetResponses, dims: tuple[str, ...], varying: tuple[str, ...] = ()):
        params = part.params
        for col in STIMULUS_PARAMETERS:
            if col not in dims and col not in varying and col in params and params[col].nunique(dropna=False) > 1:
                raise AnalysisError(
                    f"stimulus set '{part.name}': parameter '{col}' varies ({params[col].nunique(dropna=False)} "
                    f"values) but this role analyses only {list(dims)}; expected it constant")
        codes, self.levels = [], {}
        for d in dims:
            col = params[d] if d in params else pd.Series(np.nan, index=params.index)
            code, uniq = pd.factorize(col, sort=True, use_na_sentinel=False)
            codes.append(code)
            self.levels[d] = np.asarray(uniq)
        shape = tuple(len(self.levels[d]) for d in dims)
        flat = np.ravel_multi_index(codes, shape)
        sums = np.zeros((part.values.shape[0], int(np.prod(shape))))
        counts = np.bincount(flat, minlength=sums.shape[1])
        np.add.at(sums.T, flat, part.values.T)
        if np.any(counts == 0):
            raise AnalysisError(
                f"stimulus set '{part.name}': the {' x '.join(dims)} grid {shape} misses "
                f"{int(np.sum(counts == 0))} of {counts.size} combinations; expected a full grid")
        self.values = (sums / counts).reshape((part.values.shape[0],) + shape)

    def level(self, dim: str) -> np.ndarray:
        """The sorted values of one swept parameter, as floats."""
        return self.levels[dim].astype(float)

    def harmonics(self) -> tuple[np.ndarray, np.ndarray]:
        """(F0, F1) over the last (phase) axis (:func:`v1lab.metrics.phase_harmonics`); F1 is NaN without a phase
        sweep of at least 3 phases."""
        phases = self.level("phase_deg")
        if phases.size < 3:
            f0 = self.values.mean(axis=-1)
            return f0, np.full_like(f0, np.nan)
        return M.phase_harmonics(self.values, phases)


def components(f0: np.ndarray, f1: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Stack (F0 - blank, F1) on a new last axis: Brain-Score's two response components."""
    b = blank.reshape((-1,) + (1,) * (f0.ndim - 1))
    return np.stack([f0 - b, f1], axis=-1)


def argmax_each(a: np.ndarray) -> np.ndarray:
    """Index tuple (as a row) of the largest non-NaN value of each unit's array ``a[u]``: shape (U, a.ndim - 1)."""
    flat = np.where(np.isnan(a), -np.inf, a).reshape(a.shape[0], -1)
    return np.stack(np.unravel_index(np.argmax(flat, axis=1), a.shape[1:]), axis=1)
