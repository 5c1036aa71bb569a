"""Log-Gaussian fit of a spatial-frequency tuning curve.

.. math:: R(f) = b + a\\, \\exp\\!\\left[-\\frac{\\log_2^2 (f / f_0)}{2\\sigma^2}\\right]

(a Gaussian on a log-frequency axis, the usual description of V1 spatial-frequency tuning; e.g. De Valois,
Albrecht & Thorell 1982, Vision Res. 22, 545-559, report bandwidths in octaves). Full bandwidth at
:math:`1/\\sqrt{2}` of the height above :math:`b`: :math:`2\\sigma\\sqrt{\\ln 2}` octaves.
"""

from __future__ import annotations

import numpy as np

from v1lab.fits._core import CI_METHOD, fit_least_squares
from v1lab.fits._result import FitResult

__all__ = ["log_gaussian", "fit_log_gaussian"]

NAMES = ("baseline", "amplitude", "peak_cpd", "sigma_oct")


def log_gaussian(sf_cpd, baseline, amplitude, peak_cpd, sigma_oct):
    """The model above; frequencies in cycles/deg, ``sigma_oct`` in octaves."""
    return baseline + amplitude * np.exp(-np.log2(np.asarray(sf_cpd) / peak_cpd) ** 2 / (2 * sigma_oct ** 2))


def fit_log_gaussian(responses, sf_cpd, *, ci_level: float = 0.95) -> FitResult:
    """Least-squares log-Gaussian fit; derived ``bandwidth_oct`` (full width at 1/sqrt(2), octaves).

    Bounds: ``amplitude >= 0``, ``peak_cpd`` within 3 octaves of the sampled range, ``sigma_oct`` in
    [0.05, 10].
    """
    r = np.asarray(responses, dtype=float).ravel()
    sf = np.asarray(sf_cpd, dtype=float).ravel()
    ok = r.size and r.size == sf.size and np.all(np.isfinite(r)) and np.all(np.isfinite(sf)) and np.all(sf > 0)
    if ok:
        lo_f, hi_f = sf.min() / 8.0, sf.max() * 8.0
        lo, hi = float(r.min()), float(r.max())
        starts = [(lo, max(hi - lo, 1e-6), sf[int(np.argmax(r))], s) for s in (0.5, 1.0, 2.0)]
    elif sf.size and np.all(np.isfinite(sf)) and np.any(sf <= 0):
        return FitResult.failed("log_gaussian", NAMES, f"spatial frequencies must be positive, got {sf.min():g}",
                                n_obs=r.size, ci_method=CI_METHOD, ci_level=ci_level, derived_names=("bandwidth_oct",))
    else:
        lo_f, hi_f, starts = 1e-3, 1e3, [(0.0, 1.0, 1.0, 1.0)]
    return fit_least_squares(
        "log_gaussian", log_gaussian, sf, r, names=NAMES, starts=starts,
        bounds=((-np.inf, 0.0, lo_f, 0.05), (np.inf, np.inf, hi_f, 10.0)),
        derive=lambda prm, x: {"bandwidth_oct": 2 * prm["sigma_oct"] * np.sqrt(np.log(2.0))},
        derived_names=("bandwidth_oct",), ci_level=ci_level,
    )
