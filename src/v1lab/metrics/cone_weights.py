r"""Signed cone weights from responses to K >= 3 colour directions, and the cone-opponency class they imply.

A unit that is linear in cone contrast before any output nonlinearity has a drive :math:`x_k = d_k \cdot w` to a
stimulus of cone contrasts :math:`d_k = (c_L, c_M, c_S)` at the pattern's peak; the weights
:math:`w = (w_L, w_M, w_S)` are those of the cone-weight analyses of the LGN and V1 (Derrington, Krauskopf &
Lennie 1984; Johnson, Hawken & Shapley 2008). Two estimators, one for each way a unit's response reveals
:math:`x_k`:

* **first harmonic** (phase-sensitive units): over one cycle of spatial phase :math:`\phi_p`, a linear unit, and
  a half-wave rectified linear one, has a complex first harmonic :math:`F_{1,k} = (d_k \cdot w)\, z` with one
  complex :math:`z` (the spatial phase and gain, common to every colour); the rectifier adds only even harmonics
  and the constant. Solve :math:`F_1 = D u` by complex least squares, then :math:`u = w z` up to noise: rotate
  by :math:`\theta = \tfrac12 \arg \sum_j u_j^2` and keep :math:`w = \mathrm{Re}(u\, e^{-i\theta})`.
* **energy** (phase-invariant units, or no phase): amplitudes :math:`A_k = F_{0,k} - b \propto |d_k \cdot w|`
  (an energy unit, and the mean of a rectified one; an amplitude below 0 counts as 0), so
  :math:`A_k^2 = d_k^\top W d_k` with :math:`W = w w^\top`, linear in the 6 entries of the symmetric
  :math:`W`. Solve by least squares
  (:math:`K \geq 6` directions spanning the quadratic forms) and take :math:`w = \sqrt{\lambda_1} v_1` from the
  largest eigenpair.

Both estimators need the unit to *answer* directions that span cone space. A unit silent at the background
(a rectifier below threshold: response = blank = 0) that crosses threshold for fewer than three independent
directions gives zeros elsewhere, which bound :math:`|d_k \cdot w|` but do not measure it; a fit to them returns a
vector fixed by the design, whatever the unit. Weights are therefore estimated only when the directions whose
responses differ from the blank, :math:`\max_p |r_{kp} - b| > 10^{-6} \max_{k,p} |r_{kp} - b|`, have rank 3 (a
v1lab convention: a physiologist fits cone weights only to directions the cell responded to).

Uniform fields shown in both polarities, :math:`+d` and :math:`-d`, are the two phases 0 and 180 deg of a
grating of zero spatial frequency, so both estimators apply to them too.

References
----------
Derrington, A. M., Krauskopf, J. & Lennie, P. (1984). Chromatic mechanisms in lateral geniculate nucleus of
macaque. J. Physiol. 357, 241-265.
Johnson, E. N., Hawken, M. J. & Shapley, R. (2008). The orientation selectivity of color-responsive neurons in
macaque V1. J. Neurosci. 28(32), 8096-8106 (cells "classified, based on cone inputs and spatial selectivity";
their cone-weight method could not be verified from the text available to v1lab).
Skottun, B. C. et al. (1991). Classifying simple and complex cells on the basis of response modulation.
Vision Res. 31(7-8), 1079-1086 (the F1 / (F0 - b) = 1 boundary that picks the estimator).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from v1lab.errors import AnalysisError

__all__ = ["ConeWeights", "OPPONENCY_CLASSES", "cone_weights", "cone_opponency"]

#: The cone-opponency classes of :func:`cone_opponency`.
OPPONENCY_CLASSES = ("non-opponent", "L-M", "S-(L+M)")
_ESTIMATORS = ("auto", "first harmonic", "energy")
_RANK_TOL = 1e-8
_ANSWER_TOL = 1e-6
_HARMONIC_TOL = 1e-12     # a fitted |F1| below this fraction of the largest response is rounding, not a harmonic


@dataclass(frozen=True)
class ConeWeights:
    """Estimated cone weights of one unit.

    Attributes
    ----------
    weights : ndarray (3,)
        :math:`(w_L, w_M, w_S)`, L1-normalised (:math:`|w_L| + |w_M| + |w_S| = 1`), the largest in magnitude
        positive; NaN where they cannot be estimated.
    r_squared : float
        Fraction of the variance of :math:`F_1` (first harmonic) or of :math:`A` (energy) across directions
        that the real rank-one model explains (NaN where the weights are NaN or the data do not vary).
    estimator : str
        ``"first harmonic"`` or ``"energy"``; ``""`` where nothing was estimated.
    reason : str
        Why the weights are NaN; empty otherwise.
    """

    weights: np.ndarray
    r_squared: float
    estimator: str
    reason: str = ""


def _failed(estimator: str, reason: str) -> ConeWeights:
    return ConeWeights(np.full(3, np.nan), float("nan"), estimator, reason)


def _r_squared(observed: np.ndarray, predicted: np.ndarray) -> float:
    total = float(np.sum(np.abs(observed - observed.mean()) ** 2))
    return 1.0 - float(np.sum(np.abs(observed - predicted) ** 2)) / total if total > 0 else float("nan")


def _normalised(w: np.ndarray) -> np.ndarray:
    """``w / sum |w|`` with the largest-magnitude weight positive."""
    w = w / np.sum(np.abs(w))
    return w if w[np.argmax(np.abs(w))] > 0 else -w


def _full_rank(design: np.ndarray) -> bool:
    s = np.linalg.svd(design, compute_uv=False)
    return s.size == design.shape[1] and s[-1] > _RANK_TOL * s[0]


def _first_harmonic_fit(d: np.ndarray, f1: np.ndarray, scale: float) -> ConeWeights:
    name = "first harmonic"
    if d.shape[0] < 3 or not _full_rank(d):
        return _failed(name, f"{d.shape[0]} colour directions span fewer than the 3 dimensions of cone space")
    u = np.linalg.lstsq(d.astype(complex), f1, rcond=None)[0]
    if not np.abs(d @ u).max() > _HARMONIC_TOL * scale:
        return _failed(name, "no first harmonic: the responses do not vary with phase")
    theta = 0.5 * np.angle(np.sum(u ** 2))
    w = np.real(u * np.exp(-1j * theta))
    return ConeWeights(_normalised(w), _r_squared(f1, d @ w * np.exp(1j * theta)), name)


def _energy_fit(d: np.ndarray, amplitude: np.ndarray) -> ConeWeights:
    name = "energy"
    q = np.stack([d[:, 0] ** 2, d[:, 1] ** 2, d[:, 2] ** 2,
                  2 * d[:, 0] * d[:, 1], 2 * d[:, 0] * d[:, 2], 2 * d[:, 1] * d[:, 2]], axis=1)
    if d.shape[0] < 6 or not _full_rank(q):
        return _failed(name, f"{d.shape[0]} colour directions do not determine the 6 entries of w w^T "
                             "(the energy estimator needs >= 6 directions in general position)")
    a = np.maximum(amplitude, 0.0)
    c = np.linalg.lstsq(q, a ** 2, rcond=None)[0]
    big_w = np.array([[c[0], c[3], c[4]], [c[3], c[1], c[5]], [c[4], c[5], c[2]]])
    eigenvalues, eigenvectors = np.linalg.eigh(big_w)
    if not eigenvalues[-1] > 0:
        return _failed(name, "no response above the blank to any colour direction")
    w = np.sqrt(eigenvalues[-1]) * eigenvectors[:, -1]
    return ConeWeights(_normalised(w), _r_squared(amplitude, np.abs(d @ w)), name)


def _unanswered(d: np.ndarray, r: np.ndarray, blank: float) -> str:
    """Why the directions the unit answered (responses differing from the blank) cannot identify the weights;
    '' when they span cone space."""
    moved = np.abs(r.reshape(len(r), -1) - blank).max(axis=1)
    if not moved.max() > 0:
        return "no response above the blank to any colour direction"
    answered = moved > _ANSWER_TOL * moved.max()
    if _full_rank(d[answered]):
        return ""
    return (f"the {int(answered.sum())} colour directions whose responses differ from the blank span fewer than "
            "the 3 dimensions of cone space, so the weights are not identified")


def _harmonics(r: np.ndarray, phases_deg) -> tuple[np.ndarray, np.ndarray]:
    """F0 (K,) and complex F1 = (2/P) sum_p r_p exp(-i phi_p) (K,) over evenly spaced phases (P >= 2)."""
    n = r.shape[1]
    phi = np.deg2rad(np.asarray(phases_deg, dtype=float))
    if phi.shape != (n,):
        raise AnalysisError(f"`phases_deg`: expected {n} phases (one per column of `responses`), got shape "
                            f"{phi.shape}")
    spread = np.sort(np.mod(phi, 2 * np.pi))
    if n < 2 or not np.allclose(np.diff(np.append(spread, spread[0] + 2 * np.pi)), 2 * np.pi / n, atol=1e-6):
        raise AnalysisError(f"`phases_deg`: expected >= 2 phases evenly spaced over 360 deg, got "
                            f"{np.round(np.rad2deg(phi), 4).tolist()}")
    return r.mean(axis=1), 2.0 / n * np.sum(r * np.exp(-1j * phi), axis=1)


def cone_weights(cone_contrasts, responses, phases_deg=None, *, blank: float = 0.0,
                 estimator: str = "auto") -> ConeWeights:
    r"""Signed, L1-normalised cone weights of one unit from its responses to K colour directions.

    The unit is modelled as linear in cone contrast before its output nonlinearity, with drive
    :math:`x_k = d_k \cdot w` to direction :math:`k`. With a phase sweep the complex first harmonic
    :math:`F_{1,k} = \tfrac{2}{P} \sum_p r_{kp} e^{-i\phi_p}` obeys :math:`F_{1,k} = (d_k \cdot w) z`; the
    amplitude :math:`A_k = F_{0,k} - b` obeys :math:`A_k^2 = d_k^\top w w^\top d_k` (up to a scale). See the
    module docstring for the two least-squares solutions. With ``estimator="auto"`` the first harmonic is used
    when the phase sweep has :math:`P \geq 2` phases and, at the direction of largest amplitude
    :math:`\max(F_0 - b, |F_1|)`, :math:`|F_1| > F_0 - b` (Skottun et al. 1991's simple-cell side of the
    modulation ratio); otherwise the energy estimator (a v1lab convention).

    The overall sign is not identifiable for an energy unit and is a spatial phase for a linear one; by
    convention the weight largest in magnitude is positive, so only the relative signs carry meaning.

    Parameters
    ----------
    cone_contrasts : array_like (K, 3)
        Cone contrasts :math:`(c_L, c_M, c_S)` of each stimulus at its pattern's peak (dimensionless).
    responses : array_like (K,) or (K, P)
        Responses (the network's units) to each direction, over ``P`` phases when 2-D.
    phases_deg : array_like (P,), optional
        Phases in degrees, evenly spaced over 360 (``[0, 180]`` for uniform fields of both polarities); default
        ``360 p / P``. Ignored for 1-D ``responses``.
    blank : float
        Response to the blank screen, subtracted from :math:`F_0` in the energy estimator.
    estimator : {"auto", "first harmonic", "energy"}

    Returns
    -------
    ConeWeights
        Weights, :math:`R^2`, the estimator used and, where the weights are NaN, the reason.

    Examples
    --------
    A half-wave rectified unit with weights (2, -1, 0.5) over four phases:

    >>> d = np.array([[0.2, 0, 0], [0, 0.2, 0], [0, 0, 0.8], [0.06, -0.15, 0]])
    >>> phase = np.arange(4) * 90.0
    >>> r = np.maximum(0, (d @ [2.0, -1.0, 0.5])[:, None] * np.cos(np.deg2rad(phase - 30.0)))
    >>> fit = cone_weights(d, r, phase)
    >>> fit.estimator, np.round(fit.weights, 6).tolist()
    ('first harmonic', [0.571429, -0.285714, 0.142857])
    """
    if estimator not in _ESTIMATORS:
        raise AnalysisError(f"`estimator` is {estimator!r}; expected one of {', '.join(_ESTIMATORS)}")
    d = np.asarray(cone_contrasts, dtype=float)
    r = np.asarray(responses, dtype=float)
    if d.ndim != 2 or d.shape[1] != 3:
        raise AnalysisError(f"`cone_contrasts`: expected shape (K, 3), got {d.shape}")
    if r.ndim not in (1, 2) or r.shape[0] != d.shape[0]:
        raise AnalysisError(f"`responses`: expected shape ({d.shape[0]},) or ({d.shape[0]}, P), got {r.shape}")
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(r))):
        raise AnalysisError("`cone_contrasts` and `responses`: expected finite values, got NaN/inf")
    reason = _unanswered(d, r, blank)
    if reason:
        return _failed("", reason)
    if r.ndim == 1 or r.shape[1] == 1:
        if estimator == "first harmonic":
            raise AnalysisError("`responses`: the first-harmonic estimator needs a phase sweep, got one phase")
        return _energy_fit(d, r.reshape(-1) - blank)
    f0, f1 = _harmonics(r, 360.0 * np.arange(r.shape[1]) / r.shape[1] if phases_deg is None else phases_deg)
    amplitude = f0 - blank
    if estimator == "auto":
        k = np.argmax(np.maximum(amplitude, np.abs(f1)))
        estimator = "first harmonic" if np.abs(f1[k]) > amplitude[k] else "energy"
    if estimator == "first harmonic":
        return _first_harmonic_fit(d, f1, np.abs(r).max())
    return _energy_fit(d, amplitude)


def cone_opponency(weights, *, min_weight: float = 0.1) -> str | None:
    r"""Cone-opponency class of L1-normalised cone weights: ``non-opponent``, ``L-M`` or ``S-(L+M)``.

    Weights below ``min_weight`` in magnitude count as zero (:math:`w'_j = w_j` if :math:`|w_j| \geq m`, else 0):

    * ``L-M`` when :math:`w'_L w'_M < 0` (L and M both at least :math:`m`, of opposite signs);
    * else ``S-(L+M)`` when :math:`w'_S \neq 0`, :math:`w'_S w'_L \leq 0`, :math:`w'_S w'_M \leq 0` and
      :math:`w'_L + w'_M \neq 0` (S opposes the L and M weights, which share a sign);
    * else ``non-opponent`` (one sign throughout, or a single cone class above :math:`m`).

    The rule and the default :math:`m = 0.1` are v1lab conventions, stated rather than attributed: Johnson,
    Hawken & Shapley (2008) report V1 cells "classified, based on cone inputs and spatial selectivity", but
    their cone-weight criterion could not be verified from the text available to v1lab.

    Parameters
    ----------
    weights : array_like (3,)
        :math:`(w_L, w_M, w_S)`, L1-normalised (as :func:`cone_weights` returns them).
    min_weight : float
        Smallest magnitude of a weight that counts, in L1-normalised units (0 <= m < 1).

    Returns
    -------
    str or None
        The class; ``None`` (undetermined) where any weight is NaN.

    Examples
    --------
    >>> cone_opponency([0.543, -0.326, 0.131]), cone_opponency([-0.31, -0.19, 0.50])
    ('L-M', 'S-(L+M)')
    """
    w = np.asarray(weights, dtype=float)
    if w.shape != (3,):
        raise AnalysisError(f"`weights`: expected 3 cone weights (L, M, S), got shape {w.shape}")
    if not 0 <= min_weight < 1:
        raise AnalysisError(f"`min_weight` is {min_weight!r}; expected a number in [0, 1)")
    if np.any(np.isnan(w)):
        return None
    wl, wm, ws = np.where(np.abs(w) >= min_weight, w, 0.0)
    if wl * wm < 0:
        return "L-M"
    if ws != 0 and ws * wl <= 0 and ws * wm <= 0 and wl + wm != 0:
        return "S-(L+M)"
    return "non-opponent"
