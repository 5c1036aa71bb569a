"""Area summation: surround suppression index and grating summation field (Cavanaugh, Bair & Movshon 2002).

Computed on the sampled area-summation curve (response vs grating diameter at the preferred orientation and
spatial frequency), the convention of Brain-Score's ``calc_size_tuning`` (Marques et al. 2021), which applies
Cavanaugh et al.'s definitions to the samples rather than to a fitted ratio-of-Gaussians curve; for the
fitted version see :func:`v1lab.fits.fit_ratio_of_gaussians`.

References
----------
Cavanaugh, J. R., Bair, W. & Movshon, J. A. (2002). Nature and interaction of signals from the receptive field
center and surround in macaque V1 neurons. J. Neurophysiol. 88(5), 2530-2546.
"""

from __future__ import annotations

import numpy as np

from v1lab.errors import AnalysisError
from v1lab.metrics._checks import sorted_unique

__all__ = ["surround_suppression_index", "grating_summation_field"]


def surround_suppression_index(responses, sizes_deg) -> float:
    r"""Surround suppression index (Cavanaugh et al. 2002).

    .. math:: SI = \frac{R_{peak} - R_{largest}}{R_{peak}}

    with :math:`R_{peak}` the largest response over diameters and :math:`R_{largest}` the response to the
    largest diameter tested (the plateau). 0: no suppression; 1: complete suppression.

    Parameters
    ----------
    responses : array_like
        Response (blank subtracted) at each grating diameter; at least 2 diameters.
    sizes_deg : array_like
        Grating diameters in degrees of visual angle, distinct (any order).

    Returns
    -------
    float
        SI (at most 1; negative only if the plateau exceeds the peak, impossible for samples); NaN where the
        peak response is not positive.
    """
    r, _ = sorted_unique(responses, sizes_deg, "responses", "sizes_deg", min_len=2)
    peak = r.max()
    if not peak > 0:
        return float("nan")
    return float((peak - r[-1]) / peak)


def grating_summation_field(responses, sizes_deg, *, criterion: float = 0.95) -> float:
    r"""Grating summation field: the smallest diameter whose response reaches 95 % of the peak, in degrees.

    .. math:: GSF = \min \{ d_k : R(d_k) \geq 0.95\, R_{peak} \}

    (Cavanaugh et al. 2002; Brain-Score's ``calc_size_tuning``). Brain-Score reports it only for cells with
    :math:`SI > 0.1`; here it is reported whenever the peak is positive (for a cell without suppression it is
    where the summation curve saturates).

    Returns
    -------
    float
        A sampled diameter in degrees; NaN where the peak response is not positive.
    """
    if not 0.0 < criterion <= 1.0:
        raise AnalysisError(f"`criterion`: expected a fraction in (0, 1], got {criterion}")
    r, d = sorted_unique(responses, sizes_deg, "responses", "sizes_deg", min_len=2)
    peak = r.max()
    if not peak > 0:
        return float("nan")
    return float(d[np.flatnonzero(r >= criterion * peak)[0]])
