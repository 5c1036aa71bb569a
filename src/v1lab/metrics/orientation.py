"""Orientation tuning: circular variance, preferred orientation, bandwidth, orthogonal/preferred ratio.

All four take one orientation tuning curve: the mean response over phase (F0) at each orientation, at the
preferred spatial frequency, as in Ringach, Shapley & Hawken (2002) and its Brain-Score re-implementation
(Marques, Schrimpf & DiCarlo 2021, ``brainscore_vision/benchmarks/marques2020/benchmarks/ringach2002_benchmark.py``
and ``benchmark_helpers/properties_common.py`` in the ``brain-score/vision`` repository).
Orientation is axial: 0 and 180 deg are the same grating.

References
----------
Ringach, D. L., Shapley, R. M. & Hawken, M. J. (2002). Orientation selectivity in macaque V1: diversity and
laminar dependence. J. Neurosci. 22(13), 5639-5651.
Marques, T., Schrimpf, M. & DiCarlo, J. J. (2021). Multi-scale hierarchical neural network models that bridge
from single neurons in the primate primary visual cortex to object recognition behavior. bioRxiv
2021.03.01.433495.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

from v1lab.errors import AnalysisError
from v1lab.metrics._angles import wrap_deg
from v1lab.metrics._checks import orientation_grid, paired

__all__ = [
    "circular_variance",
    "preferred_orientation",
    "orientation_bandwidth",
    "orthogonal_preferred_ratio",
    "HANNING_WEIGHTS",
]

#: Brain-Score's "hanning" smoothing window for orientation curves, ``[0, 2/5, 1, 2/5, 0]`` normalised to sum 1.
HANNING_WEIGHTS = np.array([2 / 5, 1.0, 2 / 5]) / (1.0 + 4 / 5)


def _vector_sum(responses, orientations_deg, axis):
    r = np.asarray(responses, dtype=float)
    theta = np.deg2rad(np.asarray(orientations_deg, dtype=float))
    r = np.moveaxis(r, axis, -1)
    if r.shape[-1] != theta.shape[-1]:
        raise AnalysisError(
            f"`responses` has {r.shape[-1]} orientations along axis {axis} but `orientations_deg` has "
            f"{theta.shape[-1]}; expected the same number"
        )
    return r, np.sum(r * np.exp(2j * theta), axis=-1)


def circular_variance(responses, orientations_deg, *, axis: int = -1):
    r"""Circular variance of an orientation tuning curve (Ringach et al. 2002).

    .. math:: CV = 1 - \frac{\left|\sum_k r_k\, e^{2 i \theta_k}\right|}{\sum_k |r_k|}

    The doubled angle makes orientation axial (period 180 deg). CV is 0 for a response at a single orientation
    and 1 for a flat curve; it does not change when all responses are scaled by the same factor.

    Parameters
    ----------
    responses : array_like
        Responses (any units) along ``axis``, one per orientation; Ringach et al. and Brain-Score use the mean
        response over phase (F0) without subtracting the spontaneous rate.
    orientations_deg : array_like
        Orientations in degrees, same length as ``responses`` along ``axis``.
    axis : int
        Axis of ``responses`` that runs over orientation.

    Returns
    -------
    float or ndarray
        CV in [0, 1]; NaN where every response is 0.

    Examples
    --------
    >>> round(float(circular_variance([1.0, 1.0, 1.0, 1.0], [0, 45, 90, 135])), 12)
    1.0
    >>> round(float(circular_variance([0.0, 3.0, 0.0, 0.0], [0, 45, 90, 135])), 12)
    0.0
    """
    r, vec = _vector_sum(responses, orientations_deg, axis)
    total = np.sum(np.abs(r), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = 1.0 - np.abs(vec) / total
    cv = np.where(total > 0, cv, np.nan)
    return cv[()] if cv.ndim == 0 else cv


def preferred_orientation(responses, orientations_deg, *, axis: int = -1):
    r"""Preferred orientation from the vector sum of the tuning curve, in degrees in [0, 180).

    .. math:: \theta_{pref} = \tfrac{1}{2} \arg \sum_k r_k\, e^{2 i \theta_k} \pmod{180}

    (Ringach et al. 2002, the same vector sum as :func:`circular_variance`). Rotating every orientation by
    :math:`\delta` rotates the result by :math:`\delta` (mod 180). The wrap is exact, so a curve tuned to
    0 deg can come out a rounding error below 180 deg: compare orientations on the axial circle.

    Returns
    -------
    float or ndarray
        Degrees in [0, 180); NaN where the vector sum is zero (e.g. a flat curve).

    Examples
    --------
    >>> round(float(preferred_orientation([0.0, 1.0, 3.0, 1.0], [0, 45, 90, 135])), 6)
    90.0
    """
    r, vec = _vector_sum(responses, orientations_deg, axis)
    scale = np.sum(np.abs(r), axis=-1)
    pref = wrap_deg(np.rad2deg(np.angle(vec)) / 2.0, 180.0)
    pref = np.where(np.abs(vec) > 1e-12 * np.maximum(scale, 1e-300), pref, np.nan)
    return pref[()] if pref.ndim == 0 else pref


def _smooth_periodic(r: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Circular convolution of periodic curves (last axis) with a short symmetric window."""
    half = len(weights) // 2
    return sum(w * np.roll(r, k - half, axis=-1) for k, w in enumerate(weights))


def orientation_bandwidth(responses, orientations_deg, *, smoothing: bool = True,
                          threshold: float = 1.0 / np.sqrt(2.0)):
    r"""Half-width of the orientation tuning curve at :math:`1/\sqrt{2}` of its peak, in degrees.

    The Ringach et al. (2002) definition as re-implemented by Brain-Score (``calc_bandwidth`` with
    ``filt_type='hanning', thrsh=0.707, mode='half'``; Marques et al. 2021):

    1. smooth the sampled curve with the window ``[2/5, 1, 2/5] / 1.8`` (periodically: Brain-Score tiles the
       curve three times over [-180, 360) and convolves);
    2. interpolate with a cubic spline through the smoothed samples (here periodic; Brain-Score's interpolating
       ``UnivariateSpline`` through the three tiled copies approximates it);
    3. take the peak :math:`R_{max}` of the spline, walk left and right from the peak to the first angles
       :math:`\theta_1 < \theta_{pref} < \theta_2` where the spline falls to :math:`t R_{max}`
       (:math:`t = 1/\sqrt{2}`);
    4. bandwidth :math:`= (\theta_2 - \theta_1) / 2`; NaN when the curve never falls that low within 180 deg.

    Brain-Score reads the spline on a 1-deg grid (crossings rounded outwards to whole degrees); here the
    crossings are interpolated on a 0.05-deg grid, which differs by at most 1 deg.
    For a von Mises curve :math:`e^{\kappa(\cos 2(\theta-\mu) - 1)}` (without smoothing) the result is
    :math:`\tfrac12 \arccos(1 - \ln 2 / (2\kappa))`.

    Parameters
    ----------
    responses, orientations_deg : array_like
        One tuning curve, or curves stacked on the last axis of ``responses`` (..., n): at least 3 orientations,
        evenly spaced over 180 deg (any order, any start).
    smoothing : bool
        Apply step 1 (the Brain-Score convention); ``False`` interpolates the raw samples.
    threshold : float
        Fraction of the peak that defines the width (default :math:`1/\sqrt{2}`).

    Returns
    -------
    float or ndarray
        Half-width in degrees, in (0, 90] (one per curve); NaN where undefined (curve never falls to the
        threshold, or its peak is not positive). Brain-Score calls a unit orientation-selective where this is defined.
    """
    if not 0.0 < threshold < 1.0:
        raise AnalysisError(f"`threshold`: expected a fraction in (0, 1), got {threshold}")
    r, theta, _ = orientation_grid(responses, orientations_deg)
    if smoothing:
        r = _smooth_periodic(r, HANNING_WEIGHTS)
    spline = CubicSpline(np.append(theta, theta[0] + 180.0), np.concatenate([r, r[..., :1]], axis=-1), axis=-1,
                         bc_type="periodic")
    fine_step = 0.05
    n_fine = int(round(180.0 / fine_step))
    values = spline(theta[0] + fine_step * np.arange(n_fine))                 # (..., n_fine), one period
    k = np.argmax(values, axis=-1)[..., None]
    peak = np.take_along_axis(values, k, axis=-1)[..., 0]
    level = threshold * peak
    steps = np.arange(n_fine + 1)                                              # 0 .. 180 deg from the peak
    full = 0.0
    for direction in (1, -1):                                                  # walk right, then left
        side = np.take_along_axis(values, (k + direction * steps) % n_fine, axis=-1) - level[..., None]
        below = side <= 0
        i = np.argmax(below, axis=-1)[..., None]                               # first sample at/below the level
        before = np.take_along_axis(side, np.maximum(i - 1, 0), axis=-1)[..., 0]
        after = np.take_along_axis(side, i, axis=-1)[..., 0]
        # linear interpolation between the last sample above and the first sample at/below the level
        with np.errstate(divide="ignore", invalid="ignore"):
            width = fine_step * (i[..., 0] - 1 + before / (before - after))
        full = full + np.where(below.any(axis=-1), width, np.nan)
    out = np.where((peak > 0) & (full <= 180.0), full / 2.0, np.nan)
    return float(out) if out.ndim == 0 else out


def orthogonal_preferred_ratio(responses, orientations_deg) -> float:
    r"""Response at the orthogonal orientation over the response at the preferred one (Ringach et al. 2002).

    .. math:: OPR = r(\theta_{max} + 90^\circ) / r(\theta_{max})

    where :math:`\theta_{max}` is the sampled orientation with the largest response (Brain-Score's
    ``calc_orthogonal_preferred_ratio``: raw samples, no smoothing).

    Returns
    -------
    float
        The ratio; NaN where the peak response is not positive.

    Raises
    ------
    AnalysisError
        When the orientation 90 deg away from the peak was not sampled.
    """
    r, theta = paired(responses, orientations_deg, "responses", "orientations_deg", min_len=2)
    theta = wrap_deg(theta, 180.0)
    k = int(np.argmax(r))
    target = wrap_deg(theta[k] + 90.0, 180.0)
    dist = np.abs((theta - target + 90.0) % 180.0 - 90.0)
    j = int(np.argmin(dist))
    if dist[j] > 1e-6:
        raise AnalysisError(
            f"`orientations_deg`: the orthogonal orientation {target:g} deg (of the peak at {theta[k]:g} deg) "
            f"was not sampled; expected an even number of orientations evenly spaced over 180 deg"
        )
    if not r[k] > 0:
        return float("nan")
    return float(r[j] / r[k])
