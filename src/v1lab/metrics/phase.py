"""Response over one cycle of spatial phase: F0, F1 and the modulation ratio F1/F0 (simple vs complex).

References
----------
Skottun, B. C., De Valois, R. L., Grosof, D. H., Movshon, J. A., Albrecht, D. G. & Bonds, A. B. (1991).
Classifying simple and complex cells on the basis of response modulation. Vision Res. 31(7-8), 1079-1086.
Marques, T., Schrimpf, M. & DiCarlo, J. J. (2021), bioRxiv 2021.03.01.433495 (Brain-Score V1 benchmarks,
``ringach2002_benchmark.py``: ``dc = mean over phase``, ``ac = 2 |FFT_1| / n_phase``).
"""

from __future__ import annotations

import numpy as np

from v1lab.errors import AnalysisError

__all__ = ["phase_harmonics", "modulation_ratio"]


def phase_harmonics(responses_over_phase, phases_deg=None, *, axis: int = -1):
    r"""Mean (F0) and first-harmonic amplitude (F1) of responses sampled over one cycle of phase.

    .. math::
        F_0 = \frac{1}{N} \sum_k r_k, \qquad
        F_1 = \frac{2}{N} \left| \sum_k r_k\, e^{-i \phi_k} \right|

    For phases evenly spaced over 360 deg this is the 0th and 2x the 1st DFT coefficient divided by N, the
    Brain-Score convention; a sinusoid :math:`a + b\cos(\phi - \phi_0)` gives :math:`F_0 = a`, :math:`F_1 = |b|`.
    An :math:`F_1` at or below :math:`10^{-12} \max_k |r_k|` is returned as 0: the rounding of
    :math:`e^{-i \phi_k}` leaves about :math:`10^{-16}` of the response in the :math:`F_1` of a phase-invariant
    response, which would otherwise read as a (tiny) positive harmonic.

    Parameters
    ----------
    responses_over_phase : array_like
        Responses with one axis over phase.
    phases_deg : array_like, optional
        Phases in degrees (evenly spaced over 360 deg, any order); default ``360 k / N``.
    axis : int
        The phase axis.

    Returns
    -------
    (F0, F1) : tuple of float or ndarray
    """
    r = np.moveaxis(np.asarray(responses_over_phase, dtype=float), axis, -1)
    n = r.shape[-1]
    if n < 3:
        raise AnalysisError(f"`responses_over_phase`: expected at least 3 phases for F1, got {n}")
    if phases_deg is None:
        phi = 2 * np.pi * np.arange(n) / n
    else:
        phi = np.deg2rad(np.asarray(phases_deg, dtype=float))
        if phi.shape != (n,):
            raise AnalysisError(f"`phases_deg`: expected {n} phases, got shape {phi.shape}")
        spread = np.sort(np.mod(phi, 2 * np.pi))
        if not np.allclose(np.diff(np.append(spread, spread[0] + 2 * np.pi)), 2 * np.pi / n, atol=1e-6):
            raise AnalysisError(
                f"`phases_deg`: expected {n} phases evenly spaced over 360 deg, got "
                f"{np.round(np.rad2deg(phi), 4).tolist()}"
            )
    f0 = r.mean(axis=-1)
    f1 = 2.0 / n * np.abs(np.sum(r * np.exp(-1j * phi), axis=-1))
    f1 = np.where(f1 <= 1e-12 * np.max(np.abs(r), axis=-1), 0.0, f1)
    return (f0[()] if f0.ndim == 0 else f0), (f1[()] if f1.ndim == 0 else f1)


def modulation_ratio(responses_over_phase, phases_deg=None, *, baseline=0.0, axis: int = -1):
    r"""Modulation ratio F1/F0 of the response over one cycle of phase (Skottun et al. 1991).

    .. math:: MR = \frac{F_1}{F_0 - b}

    with :math:`b` the response to the blank screen (``baseline``). Skottun et al. call cells with
    :math:`MR > 1` simple and with :math:`MR < 1` complex. A half-wave rectified sinusoid gives
    :math:`\pi/2`; a phase-invariant response gives 0.

    Parameters
    ----------
    responses_over_phase, phases_deg, axis
        As in :func:`phase_harmonics`.
    baseline : float or array_like
        Blank response subtracted from F0 (broadcast against the result).

    Returns
    -------
    float or ndarray
        :math:`MR \geq 0`; NaN where :math:`F_0 - b \leq 0` (no mean response above the blank).

    Examples
    --------
    >>> phase = [0, 90, 180, 270]
    >>> round(float(modulation_ratio([3.0, 2.0, 1.0, 2.0], phase)), 6)  # 2 + cos(phi): F1/F0 = 1/2
    0.5
    """
    f0, f1 = phase_harmonics(responses_over_phase, phases_deg, axis=axis)
    dc = np.asarray(f0) - np.asarray(baseline, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mr = np.where(dc > 0, np.asarray(f1) / dc, np.nan)
    return mr[()] if mr.ndim == 0 else mr
