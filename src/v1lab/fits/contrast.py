"""Naka-Rushton fit of a contrast-response function.

.. math:: R(c) = b + R_{max} \\frac{c^n}{c^n + c_{50}^n}

(Naka & Rushton 1966, J. Physiol. 185, 536-555; applied to V1 by Albrecht & Hamilton 1982,
J. Neurophysiol. 48, 217-237). Contrast :math:`c` is Michelson contrast in [0, 1].
"""

from __future__ import annotations

import numpy as np

from v1lab.fits._core import CurveModel, fit_least_squares, nan_range
from v1lab.fits._batch import FitBatch
from v1lab.fits._result import FitResult

__all__ = ["naka_rushton", "fit_naka_rushton", "fit_naka_rushton_many", "NAKA_RUSHTON"]

NAMES = ("baseline", "r_max", "c50", "n")


def naka_rushton(contrast, baseline, r_max, c50, n):
    """The model above."""
    c = np.abs(np.asarray(contrast, dtype=float))
    cn = c ** n
    return baseline + r_max * cn / (cn + c50 ** n)


def _starts(curves: np.ndarray, contrasts: np.ndarray) -> np.ndarray:
    """Per curve: baseline and height from its range; (c50, n) = (0.1, 1) and (0.3, 2.5)."""
    lo, hi = nan_range(curves)
    return np.stack([np.stack(np.broadcast_arrays(lo, np.maximum(hi - lo, 1e-6) * 1.2, c50, n), axis=-1)
                     for c50, n in ((0.1, 1.0), (0.3, 2.5))], axis=1)


#: The Naka-Rushton model: ``r_max >= 0``, ``c50`` in [1e-3, 10], ``n`` in [0.2, 10].
NAKA_RUSHTON = CurveModel(name="naka_rushton", names=NAMES, func=naka_rushton, starts=_starts,
                          bounds=lambda c: ((-np.inf, 0.0, 1e-3, 0.2), (np.inf, np.inf, 10.0, 10.0)))


def fit_naka_rushton(responses, contrasts, *, ci_level: float = 0.95) -> FitResult:
    """Least-squares Naka-Rushton fit of one curve (:func:`fit_naka_rushton_many` of one row)."""
    return fit_naka_rushton_many(np.asarray(responses, dtype=float).ravel()[None], contrasts, ci_level=ci_level)[0]


def fit_naka_rushton_many(curves, contrasts, *, ci_level: float = 0.95) -> FitBatch:
    """Naka-Rushton fits (:data:`NAKA_RUSHTON`) of the rows of ``curves``, all sampled at ``contrasts``."""
    return fit_least_squares(NAKA_RUSHTON, curves, contrasts, ci_level=ci_level)
