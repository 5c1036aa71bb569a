"""Naka-Rushton fit of a contrast-response function.

.. math:: R(c) = b + R_{max} \\frac{c^n}{c^n + c_{50}^n}

(Naka & Rushton 1966, J. Physiol. 185, 536-555; applied to V1 by Albrecht & Hamilton 1982,
J. Neurophysiol. 48, 217-237). Contrast :math:`c` is Michelson contrast in [0, 1].
"""

from __future__ import annotations

import numpy as np

from v1lab.fits._core import fit_least_squares
from v1lab.fits._result import FitResult

__all__ = ["naka_rushton", "fit_naka_rushton"]

NAMES = ("baseline", "r_max", "c50", "n")


def naka_rushton(contrast, baseline, r_max, c50, n):
    """The model above."""
    c = np.abs(np.asarray(contrast, dtype=float))
    cn = c ** n
    return baseline + r_max * cn / (cn + c50 ** n)


def fit_naka_rushton(responses, contrasts, *, ci_level: float = 0.95) -> FitResult:
    """Least-squares Naka-Rushton fit. Bounds: ``r_max >= 0``, ``c50`` in [1e-3, 10], ``n`` in [0.2, 10]."""
    r = np.asarray(responses, dtype=float).ravel()
    c = np.asarray(contrasts, dtype=float).ravel()
    lo, hi = ((float(r.min()), float(r.max())) if r.size and np.all(np.isfinite(r)) else (0.0, 1.0))
    starts = [(lo, max(hi - lo, 1e-6) * 1.2, c50, n) for c50, n in ((0.1, 1.0), (0.3, 2.5))]
    return fit_least_squares(
        "naka_rushton", naka_rushton, c, r, names=NAMES, starts=starts,
        bounds=((-np.inf, 0.0, 1e-3, 0.2), (np.inf, np.inf, 10.0, 10.0)), ci_level=ci_level,
    )
