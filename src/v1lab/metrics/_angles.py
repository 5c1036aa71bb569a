"""Angles wrapped into one period exactly, for the preferred-orientation and preferred-direction metrics."""

from __future__ import annotations

import numpy as np


def wrap_deg(angle_deg, period_deg: float) -> np.ndarray:
    r"""``angle_deg`` reduced modulo ``period_deg`` into :math:`[0, P)` exactly.

    .. math:: w(x) = x - P \left\lfloor x / P \right\rfloor, \qquad w = P \;\mapsto\; 0

    The floored modulo of a tiny negative angle (e.g. :math:`-10^{-17}`) rounds up to exactly :math:`P`; that
    value, and only that value, becomes 0. Angles just below the period are kept as they are: a tolerance
    (``np.isclose(x, P)``) would move a preferred orientation of 179.999 deg to 0 deg and break the rule that
    rotating a tuning curve by :math:`\delta` rotates its preferred orientation by :math:`\delta`
    (Ringach, Shapley & Hawken 2002, J. Neurosci. 22(13), 5639-5651, define it on the axial circle).

    Parameters
    ----------
    angle_deg : array_like
        Angles in degrees.
    period_deg : float
        The period in degrees: 180 for orientation (axial), 360 for a direction.

    Returns
    -------
    ndarray
        Angles in degrees in :math:`[0, P)`; NaN stays NaN.

    Examples
    --------
    >>> float(wrap_deg(-1e-17, 180.0)), float(wrap_deg(179.9991, 180.0)), float(wrap_deg(-90.0, 360.0))
    (0.0, 179.9991, 270.0)
    """
    wrapped = np.mod(angle_deg, period_deg)
    return np.where(wrapped == period_deg, 0.0, wrapped)
