"""Von Mises fit of an orientation tuning curve (axial: period 180 deg).

.. math:: R(\\theta) = b + a\\, e^{\\kappa [\\cos 2(\\theta - \\mu) - 1]}

the circular-normal model of orientation tuning (Swindale 1998, Biol. Cybern. 78, 45-56; on the doubled angle a
single von Mises describes both lobes of a direction-tuned "double von Mises" with equal peaks). The half-width
of the fitted curve at :math:`1/\\sqrt{2}` of its height above :math:`b` is
:math:`\\tfrac12 \\arccos(1 - \\ln 2 / (2\\kappa))` (NaN when :math:`\\kappa < \\ln 2 / 4`).
"""

from __future__ import annotations

import numpy as np

from v1lab.fits._core import CurveModel, fit_least_squares, nan_range
from v1lab.fits._batch import FitBatch
from v1lab.fits._result import FitResult

__all__ = ["von_mises", "von_mises_jacobian", "von_mises_bandwidth", "fit_von_mises", "fit_von_mises_many", "VON_MISES"]

NAMES = ("baseline", "amplitude", "kappa", "pref_deg")


def von_mises(theta_deg, baseline, amplitude, kappa, pref_deg):
    """The model above; ``theta_deg`` and ``pref_deg`` in degrees."""
    return baseline + amplitude * np.exp(kappa * (np.cos(2 * np.deg2rad(np.asarray(theta_deg) - pref_deg)) - 1))


def von_mises_jacobian(theta_deg, baseline, amplitude, kappa, pref_deg):
    """Partial derivatives (..., n, 4) of :func:`von_mises` with respect to its four parameters (broadcasting)."""
    d = np.deg2rad(np.asarray(theta_deg, dtype=float) - pref_deg)
    c = np.cos(2 * d)
    e = np.exp(kappa * (c - 1))
    return np.stack(np.broadcast_arrays(1.0, e, amplitude * e * (c - 1),
                                        amplitude * e * kappa * np.sin(2 * d) * (2 * np.pi / 180.0)), axis=-1)


def von_mises_bandwidth(kappa) -> float:
    """Half-width (deg) at 1/sqrt(2) of the height above baseline of a von Mises curve with this ``kappa``."""
    arg = 1.0 - np.log(2.0) / (2.0 * kappa)
    return float(0.5 * np.rad2deg(np.arccos(arg))) if arg >= -1.0 else float("nan")


def _starts(curves: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Per curve: baseline and height from its range, preferred orientation at its peak, kappa 0.5, 2, 8."""
    lo, hi = nan_range(curves)
    peak = theta[np.argmax(np.nan_to_num(curves, nan=-np.inf), axis=1)]
    return np.stack([np.stack(np.broadcast_arrays(lo, np.maximum(hi - lo, 1e-6), kappa, peak), axis=-1)
                     for kappa in (0.5, 2.0, 8.0)], axis=1)


def _wrap(p: np.ndarray) -> np.ndarray:
    p[3] = np.mod(p[3], 180.0)
    return p


#: The von Mises model: ``amplitude >= 0``, ``kappa`` in [0.01, 200], ``pref_deg`` reported in [0, 180).
VON_MISES = CurveModel(
    name="von_mises", names=NAMES, func=von_mises, jac=von_mises_jacobian, starts=_starts, post=_wrap,
    bounds=lambda x: ((-np.inf, 0.0, 0.01, -np.inf), (np.inf, np.inf, 200.0, np.inf)),
    derive=lambda prm, x: {"bandwidth_deg": von_mises_bandwidth(prm["kappa"])}, derived_names=("bandwidth_deg",))


def fit_von_mises(responses, orientations_deg, *, ci_level: float = 0.95) -> FitResult:
    """Least-squares von Mises fit of one orientation tuning curve (:func:`fit_von_mises_many` of one row)."""
    return fit_von_mises_many(np.asarray(responses, dtype=float).ravel()[None], orientations_deg,
                              ci_level=ci_level)[0]


def fit_von_mises_many(curves, orientations_deg, *, ci_level: float = 0.95) -> FitBatch:
    """Von Mises fits (:data:`VON_MISES`) of the rows of ``curves``, all sampled at ``orientations_deg``.

    Parameters: ``baseline`` (response units), ``amplitude``, ``kappa`` (concentration), ``pref_deg``; derived:
    ``bandwidth_deg``. Analytic Jacobian. See :func:`v1lab.fits.fit_least_squares` for the algorithm, the CIs
    and the failure rules.
    """
    return fit_least_squares(VON_MISES, curves, orientations_deg, ci_level=ci_level)
