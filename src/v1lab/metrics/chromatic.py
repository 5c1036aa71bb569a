"""Chromatic metrics: colour/luminance ratio, uniform-field ratio and preferred DKL direction.

References
----------
Johnson, E. N., Hawken, M. J. & Shapley, R. (2001). The spatial transformation of color in the primary visual
cortex of the macaque monkey. Nat. Neurosci. 4(4), 409-416.
Johnson, E. N., Hawken, M. J. & Shapley, R. (2004). Cone inputs in macaque primary visual cortex.
J. Neurophysiol. 91, 2501-2514 ("classified ... from the ratio of the peak amplitudes of spatial frequency
responses to red/green equiluminant and to black/white (luminance) grating patterns").
Johnson, E. N., Hawken, M. J. & Shapley, R. (2008). The orientation selectivity of color-responsive neurons in
macaque V1. J. Neurosci. 28(32), 8096-8106.
Derrington, A. M., Krauskopf, J. & Lennie, P. (1984). Chromatic mechanisms in lateral geniculate nucleus of
macaque. J. Physiol. 357, 241-265 (the DKL colour space).
"""

from __future__ import annotations

import numpy as np

from v1lab.metrics._angles import wrap_deg
from v1lab.metrics._checks import as_curve, paired

__all__ = ["chromatic_ratio", "uniform_field_ratio", "preferred_dkl_azimuth"]


def _peak_ratio(numerator, denominator, nname: str, dname: str) -> float:
    top = as_curve(np.ravel(numerator), nname).max()
    bottom = as_curve(np.ravel(denominator), dname).max()
    if bottom > 0:
        return float(top / bottom)
    return float("inf") if top > 0 else float("nan")


def chromatic_ratio(chromatic_responses, luminance_responses) -> float:
    r"""Peak response to isoluminant (L-M) gratings over peak response to luminance gratings.

    .. math:: SI_{chrom} = \frac{\max R_{L-M}}{\max R_{lum}}

    Johnson et al. (2001)'s sensitivity index, with the maxima taken over each sweep (orientation x spatial
    frequency) of response amplitudes above the blank (F0 minus blank or F1), gratings equated in cone contrast
    as the stimulus sets define them.

    Returns
    -------
    float
        The ratio; ``inf`` where only the chromatic sweep drives the unit above zero, NaN where neither does.
    """
    return _peak_ratio(chromatic_responses, luminance_responses, "chromatic_responses", "luminance_responses")


def uniform_field_ratio(uniform_responses, chromatic_grating_responses) -> float:
    r"""Peak response to uniform colour fields over the peak response to chromatic gratings.

    .. math:: UF = \frac{\max_c (R_{field}(c) - R_{blank})}{\max R_{L-M\,grating}}

    Single-opponent cells respond well to uniform colour fields (low-pass for colour), double-opponent cells
    weakly (Johnson et al. 2008; Shapley & Hawken 2011, Vision Res. 51, 701-717).

    Returns
    -------
    float
        The ratio; ``inf`` / NaN as in :func:`chromatic_ratio`.
    """
    return _peak_ratio(uniform_responses, chromatic_grating_responses, "uniform_responses",
                       "chromatic_grating_responses")


def preferred_dkl_azimuth(responses, azimuths_deg, *, axial: bool = False) -> float:
    r"""Preferred direction in the isoluminant plane of DKL space, from the vector sum, in degrees.

    .. math:: \phi_{pref} = \frac{1}{m} \arg \sum_k r_k\, e^{i m \phi_k}, \quad m = 1 \text{ (or 2 if axial)}

    Use ``axial=False`` for uniform fields (a colour direction and its opposite differ) and ``axial=True`` for
    gratings, where azimuths :math:`\phi` and :math:`\phi + 180` give the same grating shifted by half a cycle.

    Returns
    -------
    float
        Degrees in [0, 360), or [0, 180) if ``axial``; NaN where the vector sum vanishes.
    """
    r, phi = paired(responses, azimuths_deg, "responses", "azimuths_deg", min_len=2)
    m = 2.0 if axial else 1.0
    vec = np.sum(r * np.exp(1j * m * np.deg2rad(phi)))
    if not np.abs(vec) > 1e-12 * max(np.sum(np.abs(r)), 1e-300):
        return float("nan")
    return float(wrap_deg(np.rad2deg(np.angle(vec)) / m, 360.0 / m))
