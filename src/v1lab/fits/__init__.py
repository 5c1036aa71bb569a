"""Tuning-curve model fits with confidence intervals and R^2 (one module per tuning dimension).

Every fit returns a :class:`FitResult` (parameters, CIs, R^2, ``success`` and ``reason``, derived quantities,
``summary()``); a fit that cannot be made is returned with ``success=False`` and its reason, never dropped.
CIs are Wald intervals from the ``scipy.optimize.curve_fit`` covariance with Student-t quantiles.
"""

from v1lab.fits._core import CI_METHOD, fit_least_squares
from v1lab.fits._result import FitResult
from v1lab.fits.contrast import fit_naka_rushton, naka_rushton
from v1lab.fits.orientation import fit_von_mises, von_mises, von_mises_bandwidth
from v1lab.fits.size import fit_ratio_of_gaussians, ratio_of_gaussians
from v1lab.fits.spatial_frequency import fit_log_gaussian, log_gaussian

__all__ = [
    "FitResult",
    "CI_METHOD",
    "fit_least_squares",
    "von_mises",
    "von_mises_bandwidth",
    "fit_von_mises",
    "log_gaussian",
    "fit_log_gaussian",
    "ratio_of_gaussians",
    "fit_ratio_of_gaussians",
    "naka_rushton",
    "fit_naka_rushton",
]
