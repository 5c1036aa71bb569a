"""Tuning-curve model fits with confidence intervals and R^2 (one module per tuning dimension).

Each model has ``fit_<model>(curve, x)`` for one curve, returning a :class:`FitResult` (parameters, CIs, R^2,
``success`` and ``reason``, derived quantities, ``summary()``), and ``fit_<model>_many(curves, x)`` for the rows
of an array, fitted together by a batched Levenberg-Marquardt (:func:`fit_least_squares`) and returned as one
:class:`FitBatch` (parameter, interval and covariance arrays, status and reason per curve, ``conf_int``,
``predict``, ``to_frame(prefix)``, ``summary()``; indexing it gives a curve's :class:`FitResult`). A fit that
cannot be made has status ``failed`` and its reason, never dropped. Each model is a :class:`CurveModel`
(function, bounds, starts), by name in :data:`MODELS`. CIs are Wald intervals from the
least-squares covariance with Student-t quantiles.
"""

from v1lab.fits._batch import FitBatch
from v1lab.fits._core import CI_METHOD, CurveModel, fit_least_squares
from v1lab.fits._result import FitResult
from v1lab.fits.contrast import NAKA_RUSHTON, fit_naka_rushton, fit_naka_rushton_many, naka_rushton
from v1lab.fits.orientation import VON_MISES, fit_von_mises, fit_von_mises_many, von_mises, von_mises_bandwidth
from v1lab.fits.size import RATIO_OF_GAUSSIANS, fit_ratio_of_gaussians, fit_ratio_of_gaussians_many, ratio_of_gaussians
from v1lab.fits.spatial_frequency import LOG_GAUSSIAN, fit_log_gaussian, fit_log_gaussian_many, log_gaussian

__all__ = [
    "FitResult",
    "FitBatch",
    "CI_METHOD",
    "CurveModel",
    "fit_least_squares",
    "MODELS",
    "von_mises",
    "von_mises_bandwidth",
    "fit_von_mises",
    "fit_von_mises_many",
    "log_gaussian",
    "fit_log_gaussian",
    "fit_log_gaussian_many",
    "ratio_of_gaussians",
    "fit_ratio_of_gaussians",
    "fit_ratio_of_gaussians_many",
    "naka_rushton",
    "fit_naka_rushton",
    "fit_naka_rushton_many",
]

#: Every tuning-curve model by name.
MODELS = {m.name: m for m in (VON_MISES, LOG_GAUSSIAN, RATIO_OF_GAUSSIANS, NAKA_RUSHTON)}
