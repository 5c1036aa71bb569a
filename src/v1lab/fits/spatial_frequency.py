"""Log-Gaussian fit of a spatial-frequency tuning curve.

.. math:: R(f) = b + a\\, \\exp\\!\\left[-\\frac{\\log_2^2 (f / f_0)}{2\\sigma^2}\\right]

(a Gaussian on a log-frequency axis, the usual description of V1 spatial-frequency tuning; e.g. De Valois,
Albrecht & Thorell 1982, Vision Res. 22, 545-559, report bandwidths in octaves). Full bandwidth at
:math:`1/\\sqrt{2}` of the height above :math:`b`: :math:`2\\sigma\\sqrt{\\ln 2}` octaves.
"""

from __future__ import annotations

import numpy as np

from v1lab.fits._core import CurveModel, fit_least_squares, nan_range
from v1lab.fits._batch import FitBatch
from v1lab.fits._result import FitResult

__all__ = ["log_gaussian", "fit_log_gaussian", "fit_log_gaussian_many", "LOG_GAUSSIAN"]

NAMES = ("baseline", "amplitude", "peak_cpd", "sigma_oct")


def log_gaussian(sf_cpd, baseline, amplitude, peak_cpd, sigma_oct):
    """The model above; frequencies in cycles/deg, ``sigma_oct`` in octaves."""
    return baseline + amplitude * np.exp(-np.log2(np.asarray(sf_cpd) / peak_cpd) ** 2 / (2 * sigma_oct ** 2))


def _check(sf: np.ndarray) -> str | None:
    return f"spatial frequencies must be positive, got {sf.min():g}" if np.any(sf <= 0) else None


def _starts(curves: np.ndarray, sf: np.ndarray) -> np.ndarray:
    """Per curve: baseline and height from its range, the peak at its maximum, ``sigma_oct`` 0.5, 1, 2."""
    lo, hi = nan_range(curves)
    peak = sf[np.argmax(np.nan_to_num(curves, nan=-np.inf), axis=1)]
    return np.stack([np.stack(np.broadcast_arrays(lo, np.maximum(hi - lo, 1e-6), peak, s), axis=-1)
                     for s in (0.5, 1.0, 2.0)], axis=1)


#: The log-Gaussian model: ``amplitude >= 0``, ``peak_cpd`` within 3 octaves of the sampled range,
#: ``sigma_oct`` in [0.05, 10].
LOG_GAUSSIAN = CurveModel(
    name="log_gaussian", names=NAMES, func=log_gaussian, starts=_starts, check_x=_check,
    bounds=lambda sf: ((-np.inf, 0.0, sf.min() / 8.0, 0.05), (np.inf, np.inf, sf.max() * 8.0, 10.0)),
    derive=lambda prm, x: {"bandwidth_oct": 2 * prm["sigma_oct"] * np.sqrt(np.log(2.0))},
    derived_names=("bandwidth_oct",))


def fit_log_gaussian(responses, sf_cpd, *, ci_level: float = 0.95) -> FitResult:
    """Least-squares log-Gaussian fit of one curve (:func:`fit_log_gaussian_many` of one row)."""
    return fit_log_gaussian_many(np.asarray(responses, dtype=float).ravel()[None], sf_cpd, ci_level=ci_level)[0]


def fit_log_gaussian_many(curves, sf_cpd, *, ci_level: float = 0.95) -> FitBatch:
    """Log-Gaussian fits (:data:`LOG_GAUSSIAN`) of the rows of ``curves``, all sampled at ``sf_cpd``.

    Derived ``bandwidth_oct`` (full width at 1/sqrt(2), octaves).
    """
    return fit_least_squares(LOG_GAUSSIAN, curves, sf_cpd, ci_level=ci_level)
