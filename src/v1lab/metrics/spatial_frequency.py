r"""Spatial-frequency tuning: peak spatial frequency and bandwidth in octaves.

Convention: De Valois, Albrecht & Thorell (1982) and Schiller, Finlay & Volman (1976) as re-implemented by
Brain-Score (``calc_spatial_frequency_tuning`` with ``filt_type='smooth', thrsh=0.707`` in
``brainscore_vision/benchmark_helpers/properties_common.py``; Marques et al. 2021): the sampled curve is
smoothed with the window ``[1/5, 1, 1/5] / 1.4`` (end samples repeated), interpolated with a cubic spline in
:math:`\log_2` spatial frequency, and read on a fine grid between the lowest and highest sampled frequency.

References
----------
De Valois, R. L., Albrecht, D. G. & Thorell, L. G. (1982). Spatial frequency selectivity of cells in macaque
visual cortex. Vision Res. 22, 545-559.
Schiller, P. H., Finlay, B. L. & Volman, S. F. (1976). Quantitative studies of single-cell properties in monkey
striate cortex. III. Spatial frequency. J. Neurophysiol. 39(6), 1334-1351.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

from v1lab.errors import AnalysisError
from v1lab.metrics._checks import sorted_unique

__all__ = ["peak_spatial_frequency", "spatial_frequency_bandwidth", "spatial_frequency_falloff", "SMOOTH_WEIGHTS"]

#: Brain-Score's "smooth" window ``[0, 1/5, 1, 1/5, 0]`` normalised to sum 1.
SMOOTH_WEIGHTS = np.array([1 / 5, 1.0, 1 / 5]) / 1.4
_GRID_STEP_OCT = 0.002


def _sf_spline(responses, sf_cpd, smoothing: bool):
    """The log2-SF grid (G,) and the spline through the (smoothed) curve(s) on it (..., G)."""
    r, sf = sorted_unique(responses, sf_cpd, "responses", "sf_cpd", min_len=3, stack=True)
    if np.any(sf <= 0):
        raise AnalysisError(f"`sf_cpd`: expected positive spatial frequencies, got {sf.tolist()}")
    if smoothing:   # Brain-Score's window, end samples repeated
        padded = np.concatenate((r[..., :1], r, r[..., -1:]), axis=-1)
        r = sum(w * padded[..., k:k + r.shape[-1]] for k, w in enumerate(SMOOTH_WEIGHTS))
    x = np.log2(sf)
    spline = CubicSpline(x, r, axis=-1, bc_type="not-a-knot")
    grid = np.linspace(x[0], x[-1], max(int(np.ceil((x[-1] - x[0]) / _GRID_STEP_OCT)) + 1, 2))
    return grid, spline(grid)


def _scalar(out: np.ndarray):
    return float(out) if out.ndim == 0 else out


def peak_spatial_frequency(responses, sf_cpd, *, smoothing: bool = True):
    r"""Spatial frequency of the peak of the smoothed, spline-interpolated tuning curve, in cycles/deg.

    .. math:: f_{peak} = 2^{\arg\max_x S(x)}, \quad x = \log_2 f

    with :math:`S` the cubic spline through the smoothed samples (module docstring). Brain-Score reads
    :math:`S` on 100 points; here on a 0.002-octave grid, refined by the vertex of the parabola through the grid
    maximum and its two neighbours (so the peak does not move in 0.14 % steps).

    Parameters
    ----------
    responses : array_like
        Response amplitude at each spatial frequency (at least 3), e.g. F0 minus the blank, or F1; or curves
        stacked on the last axis (..., n).
    sf_cpd : array_like
        Spatial frequencies in cycles per degree, positive and distinct (any order).
    smoothing : bool
        Apply the Brain-Score ``smooth`` window (default) or interpolate the raw samples.

    Returns
    -------
    float or ndarray
        Cycles per degree, within the sampled range (one per curve); NaN where the curve has no positive value.
    """
    grid, values = _sf_spline(responses, sf_cpd, smoothing)
    k = np.argmax(values, axis=-1)
    peak = np.take_along_axis(values, k[..., None], axis=-1)[..., 0]
    # the vertex of the parabola through the grid maximum and its neighbours: the peak between grid points
    inner = np.clip(k, 1, grid.size - 2)
    left, mid, right = (np.take_along_axis(values, (inner + d)[..., None], axis=-1)[..., 0] for d in (-1, 0, 1))
    curvature = left - 2.0 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where((k == inner) & (curvature < 0), 0.5 * (left - right) / curvature, 0.0)
    x = grid[k] + np.clip(shift, -0.5, 0.5) * (grid[1] - grid[0])
    return _scalar(np.where(peak > 0, 2.0 ** x, np.nan))


def spatial_frequency_bandwidth(responses, sf_cpd, *, smoothing: bool = True,
                                threshold: float = 1.0 / np.sqrt(2.0)):
    r"""Full bandwidth of the spatial-frequency tuning curve at :math:`1/\sqrt{2}` of its peak, in octaves.

    .. math:: B = \log_2 (f_{high} / f_{low})

    where :math:`f_{low} < f_{peak} < f_{high}` are the nearest frequencies on either side of the peak at which
    the interpolated curve falls to ``threshold`` times the peak (crossings interpolated linearly on the grid).
    Brain-Score reports the same two crossings as :math:`100 f_{low}/f_{high}` (Schiller et al. 1976); octaves
    are the unit of De Valois et al. (1982). A log-Gaussian
    :math:`e^{-(\log_2 f/f_0)^2 / 2\sigma^2}` has :math:`B = 2\sigma\sqrt{\ln 2}`.

    Parameters as :func:`peak_spatial_frequency`.

    Returns
    -------
    float or ndarray
        Octaves (one per curve); NaN where the curve does not fall to the threshold on both sides within the
        sampled range (low-pass or high-pass within the sweep), or has no positive value.
    """
    if not 0.0 < threshold < 1.0:
        raise AnalysisError(f"`threshold`: expected a fraction in (0, 1), got {threshold}")
    grid, values = _sf_spline(responses, sf_cpd, smoothing)
    k = np.argmax(values, axis=-1)[..., None]
    peak = np.take_along_axis(values, k, axis=-1)[..., 0]
    side = values - threshold * peak[..., None]
    below = side <= 0
    index = np.arange(grid.size)
    # nearest grid point at/below the level on each side of the peak (-1 / G where there is none)
    left = np.max(np.where(below & (index <= k), index, -1), axis=-1)
    right = np.min(np.where(below & (index >= k), index, grid.size), axis=-1)
    found = (left >= 0) & (right < grid.size)
    left, right = np.clip(left, 0, grid.size - 2), np.clip(right, 1, grid.size - 1)
    edges = []
    for at, beside in ((left, left + 1), (right, right - 1)):   # crossing between the sample at/below and its
        a = np.take_along_axis(side, at[..., None], axis=-1)[..., 0]     # neighbour towards the peak (above)
        b = np.take_along_axis(side, beside[..., None], axis=-1)[..., 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            edges.append(grid[beside] + b / (b - a) * (grid[at] - grid[beside]))
    return _scalar(np.where(found & (peak > 0), edges[1] - edges[0], np.nan))


def spatial_frequency_falloff(responses, sf_cpd, *, smoothing: bool = True, threshold: float = 1.0 / np.sqrt(2.0)):
    r"""Whether the tuning curve is observed to fall off below and above its peak, and whether its peak is at an
    end of the sweep.

    On the spline of :func:`peak_spatial_frequency`, with :math:`x^*` its peak: the curve *falls below* when
    :math:`S(x) \le \theta S(x^*)` for some sampled :math:`x < x^*`, and *falls above* likewise for :math:`x > x^*`
    (:math:`\theta` = ``threshold``, :math:`1/\sqrt{2}` by default, the level of the bandwidths). A band-pass
    curve falls on both sides; a low-pass one only above; a curve that does not fall above its peak within the
    sweep has an unobserved high side (its peak may lie beyond the highest frequency tested).

    Returns
    -------
    (falls_below, falls_above, at_edge) : tuple of bool arrays (one value per curve)
        ``at_edge``: the peak lies at the lowest or highest sampled frequency. All False where the curve has no
        positive value.
    """
    if not 0.0 < threshold < 1.0:
        raise AnalysisError(f"`threshold`: expected a fraction in (0, 1), got {threshold}")
    grid, values = _sf_spline(responses, sf_cpd, smoothing)
    k = np.argmax(values, axis=-1)[..., None]
    peak = np.take_along_axis(values, k, axis=-1)
    below = values <= threshold * peak
    index = np.arange(grid.size)
    positive = peak[..., 0] > 0
    falls_below = np.any(below & (index < k), axis=-1) & positive
    falls_above = np.any(below & (index > k), axis=-1) & positive
    at_edge = ((k[..., 0] == 0) | (k[..., 0] == grid.size - 1)) & positive
    return falls_below, falls_above, at_edge
