"""Input checks shared by the metrics: one-line :class:`~v1lab.errors.AnalysisError` messages."""

from __future__ import annotations

import numpy as np

from v1lab.errors import AnalysisError
from v1lab.metrics._angles import wrap_deg


def as_curve(values, name: str, *, min_len: int = 1) -> np.ndarray:
    """``values`` as a finite 1-D float array of at least ``min_len`` samples."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise AnalysisError(f"`{name}`: expected a 1-D array, got shape {arr.shape}")
    if arr.size < min_len:
        raise AnalysisError(f"`{name}`: expected at least {min_len} samples, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise AnalysisError(f"`{name}`: expected finite values, got {int(np.sum(~np.isfinite(arr)))} NaN/inf")
    return arr


def paired(responses, positions, rname: str, pname: str, *, min_len: int = 1):
    """Validated (responses, positions) of equal length."""
    r = as_curve(responses, rname, min_len=min_len)
    x = as_curve(positions, pname, min_len=min_len)
    if r.shape != x.shape:
        raise AnalysisError(f"`{rname}` has {r.size} samples but `{pname}` has {x.size}; expected the same number")
    return r, x


def curves(responses, positions, rname: str, pname: str, *, min_len: int = 1):
    """Validated (responses of shape (..., n), positions (n,)): one curve or a stack of curves on the last axis."""
    x = as_curve(positions, pname, min_len=min_len)
    r = np.asarray(responses, dtype=float)
    if r.ndim == 0 or r.shape[-1] != x.size:
        raise AnalysisError(f"`{rname}` has {r.shape[-1] if r.ndim else 0} samples but `{pname}` has {x.size}; "
                            "expected the same number")
    if not np.all(np.isfinite(r)):
        raise AnalysisError(f"`{rname}`: expected finite values, got {int(np.sum(~np.isfinite(r)))} NaN/inf")
    return r, x


def sorted_unique(responses, positions, rname: str, pname: str, *, min_len: int, stack: bool = False):
    """Curve sorted by position (with ``stack``: curves on the last axis); positions must be distinct."""
    check = curves if stack else paired
    r, x = check(responses, positions, rname, pname, min_len=min_len)
    order = np.argsort(x, kind="stable")
    r, x = r[..., order], x[order]
    if np.any(np.diff(x) == 0):
        raise AnalysisError(f"`{pname}`: expected distinct values (average repeats first), got {x.tolist()}")
    return r, x


def orientation_grid(responses, orientations_deg):
    """Curve(s) on the last axis sorted on orientations (mod 180) that are evenly spaced and cover 180 deg, as
    Ringach et al. sampled.

    Returns (responses, orientations in [0, 180), step in degrees).
    """
    r, theta = curves(responses, orientations_deg, "responses", "orientations_deg", min_len=3)
    theta = wrap_deg(theta, 180.0)
    order = np.argsort(theta, kind="stable")
    r, theta = r[..., order], theta[order]
    step = 180.0 / theta.size
    expected = theta[0] + step * np.arange(theta.size)
    if not np.allclose(theta, expected, atol=1e-6):
        raise AnalysisError(
            f"`orientations_deg`: expected {theta.size} distinct orientations evenly spaced over 180 deg "
            f"(step {step:g}), got {np.round(theta, 4).tolist()}"
        )
    return r, theta, step
