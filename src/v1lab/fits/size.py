"""Ratio-of-Gaussians fit of an area-summation curve (Cavanaugh, Bair & Movshon 2002).

.. math::
    R(d) = \\frac{k_c L(d; w_c)}{1 + k_s L(d; w_s)}, \\qquad L(d; w) = \\operatorname{erf}^2\\!\\left(\\frac{d}{2w}\\right)

with :math:`d` the grating diameter (deg): a Gaussian centre of width :math:`w_c` divided by a Gaussian
surround of width :math:`w_s`. Cavanaugh et al. write :math:`L(x) = (\\tfrac{2}{\\sqrt\\pi}\\int_0^x
e^{-(y/w)^2} dy)^2 = w^2 \\operatorname{erf}^2(x/w)` for the stimulus radius :math:`x`; here :math:`L` is
normalised to 1 for large stimuli, so :math:`k_c, k_s` absorb the factors :math:`w_c^2, w_s^2`.
Derived: ``si`` = :math:`(R_{peak} - R_\\infty)/R_{peak}` with :math:`R_\\infty = k_c/(1+k_s)`, and ``gsf_deg``
= the smallest diameter where the fitted curve reaches 95 % of its peak (read on a grid of step 1/1000 of the
largest diameter tested, up to 4x that diameter).
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from v1lab.fits._core import CurveModel, fit_least_squares, nan_range
from v1lab.fits._batch import FitBatch
from v1lab.fits._result import FitResult

__all__ = ["ratio_of_gaussians", "fit_ratio_of_gaussians", "fit_ratio_of_gaussians_many",
           "RATIO_OF_GAUSSIANS"]

NAMES = ("k_c", "w_c_deg", "k_s", "w_s_deg")
DERIVED = ("si", "gsf_deg")


def ratio_of_gaussians(size_deg, k_c, w_c_deg, k_s, w_s_deg):
    """The model above; diameters and widths in degrees."""
    d = np.asarray(size_deg, dtype=float)
    return k_c * erf(d / (2 * w_c_deg)) ** 2 / (1.0 + k_s * erf(d / (2 * w_s_deg)) ** 2)


def _derive(prm: dict, x: np.ndarray) -> dict:
    grid = np.linspace(0.0, 4.0 * float(np.max(x)), 4001)
    curve = ratio_of_gaussians(grid, *(prm[n] for n in NAMES))
    peak = float(curve.max())
    if not peak > 0:
        return {"si": float("nan"), "gsf_deg": float("nan")}
    plateau = prm["k_c"] / (1.0 + prm["k_s"])
    return {"si": (peak - plateau) / peak, "gsf_deg": float(grid[np.flatnonzero(curve >= 0.95 * peak)[0]])}


def _check(d: np.ndarray) -> str | None:
    return f"diameters must be >= 0, got {d.min():g}" if np.any(d < 0) else None


def _dmax(d: np.ndarray) -> float:
    return float(np.max(d)) if d.size and np.max(d) > 0 else 1.0


def _starts(curves: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Three starts scaled by each curve's peak and the largest diameter."""
    peak, dmax = np.maximum(nan_range(curves)[1], 1e-6), _dmax(d)
    return np.stack([np.stack(np.broadcast_arrays(peak * (1 + ks), wc * dmax, ks, ws * dmax), axis=-1)
                     for wc, ks, ws in ((0.1, 0.5, 0.5), (0.3, 2.0, 1.0), (0.1, 0.05, 2.0))], axis=1)


#: The ratio-of-Gaussians model: ``k_c, k_s >= 0``; widths in [1e-3, 100] x the largest diameter.
RATIO_OF_GAUSSIANS = CurveModel(
    name="ratio_of_gaussians", names=NAMES, func=ratio_of_gaussians, starts=_starts, check_x=_check,
    bounds=lambda d: ((0.0, 1e-3 * _dmax(d), 0.0, 1e-3 * _dmax(d)), (np.inf, 100 * _dmax(d), np.inf, 100 * _dmax(d))),
    derive=_derive, derived_names=DERIVED)


def fit_ratio_of_gaussians(responses, sizes_deg, *, ci_level: float = 0.95) -> FitResult:
    """Least-squares ratio-of-Gaussians fit of one curve (:func:`fit_ratio_of_gaussians_many` of one row)."""
    return fit_ratio_of_gaussians_many(np.asarray(responses, dtype=float).ravel()[None], sizes_deg,
                                       ci_level=ci_level)[0]


def fit_ratio_of_gaussians_many(curves, sizes_deg, *, ci_level: float = 0.95) -> FitBatch:
    """Ratio-of-Gaussians fits (:data:`RATIO_OF_GAUSSIANS`) of area-summation curves (rows, blank subtracted)
    against grating diameter (deg)."""
    return fit_least_squares(RATIO_OF_GAUSSIANS, curves, sizes_deg, ci_level=ci_level)
