"""Batched least squares shared by the tuning-curve models: every curve of a layer, every start, in one solve.

The algorithm is Levenberg-Marquardt (Levenberg 1944; Marquardt 1963) with Marquardt's diagonal scaling,
run on a batch axis: each iteration solves, for every (curve, start) at once,

.. math:: (J^T J + \\lambda\\, \\mathrm{diag}(J^T J))\\, \\delta = -J^T r,

tries :math:`p + \\delta` projected into the parameter box (projected Levenberg-Marquardt, Kanzow, Yamashita &
Fukushima 2004) and keeps it if the sum of squares falls. A parameter at a bound whose gradient points out of
the box is held there and :math:`\\delta` solves the system of the others (the free variables of Bertsekas' 1982
projected Newton method); otherwise the coupled step of a held parameter, cut off by the projection, can stall
the free ones short of their optimum. The damping follows Nielsen (1999): after an accepted
step :math:`\\lambda \\leftarrow \\lambda \\max(1/3,\\, 1 - (2\\rho - 1)^3)` with :math:`\\rho` the actual over the
predicted gain, after a rejected one :math:`\\lambda \\leftarrow \\nu \\lambda`, :math:`\\nu \\leftarrow 2 \\nu`
(:math:`\\lambda_0 = 1`). A start has converged when an accepted step lowers the sum of squares by less than
``1e-8`` of it or ``1e-10`` of the curve's total sum of squares, or when a step is shorter than ``1e-8`` of the
parameter vector; a start that has not converged within ``max_iter`` iterations does not count. Of the converged
starts of a curve the lowest sum of squares wins.

Why not scipy: ``scipy.optimize.least_squares`` / ``curve_fit`` (and lmfit, statsmodels on top of them) solve one
problem per call, 7-19 ms per curve with the same starts on the development CPU (``python -m benchmarks fits``),
minutes for the ~15 000 fits of a ResNet-50 characterisation, which no process pool hides on 2 cores. No
maintained library offers bounded nonlinear least squares over a batch of small problems in numpy, so it is
written here and tested against ``scipy.optimize.least_squares`` on the same curves (``tests/fits``).

Confidence intervals are Wald intervals from the covariance that ``curve_fit`` would estimate at the optimum:
:math:`C = s^2 (J^T J)^{-1}` (by SVD; NaN, "not identifiable", when a singular value is at or below
:math:`\\epsilon \\max(n, p)\\, \\sigma_1`, the rank that ``numpy.linalg.matrix_rank`` counts) with
:math:`s^2 = SSE/(n - p)`, and Student-t quantiles on :math:`n - p` degrees of freedom:
:math:`\\hat p_j \\pm t_{1-\\alpha/2,\\, n-p} \\sqrt{C_{jj}}`.

References
----------
Levenberg, K. (1944). A method for the solution of certain non-linear problems in least squares. *Q. Appl.
Math.* 2, 164-168. Marquardt, D. W. (1963). An algorithm for least-squares estimation of nonlinear parameters.
*J. SIAM* 11, 431-441. Nielsen, H. B. (1999). Damping parameter in Marquardt's method. Technical report
IMM-REP-1999-05, Technical University of Denmark. Kanzow, C., Yamashita, N. & Fukushima, M. (2004).
Levenberg-Marquardt methods with strong local convergence properties for solving nonlinear equations with
convex constraints. *J. Comput. Appl. Math.* 172, 375-397. Bertsekas, D. P. (1982). Projected Newton methods
for optimization problems with simple constraints. *SIAM J. Control Optim.* 20, 221-246.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from v1lab.fits._batch import FitBatch

CI_METHOD = "Wald from the least-squares covariance s^2 (J'J)^-1, Student t on n - p dof"
_FTOL = 1e-8
_XTOL = 1e-8
_GAIN_FLOOR = 1e-10
_LAMBDA0 = 1.0
_LAMBDA_MAX = 1e16


@dataclass(frozen=True)
class CurveModel:
    """A tuning-curve model: the function, its parameters, and how to bound and start a fit of it.

    Attributes
    ----------
    name : str
        e.g. ``"von_mises"``.
    names : tuple of str
        Parameter names, in the order ``func`` takes them.
    func : callable
        ``func(x, *params)``, broadcasting: ``x`` of shape (1, n) and each parameter of shape (B, 1) give (B, n).
    bounds : callable
        ``bounds(x) -> (lower, upper)``, one value per parameter, ``+-inf`` for none.
    starts : callable
        ``starts(curves (U, n), x) -> (U, S, p)``: S starting points per curve (clipped into the bounds).
    jac : callable, optional
        ``jac(x, *params)`` of shape (B, n, p); forward differences when omitted.
    post : callable, optional
        Maps one curve's best parameters to their reported form (e.g. an angle wrapped into [0, 180)); applied to
        the interval ends as a shift.
    derive : callable, optional
        ``derive(params, x)`` adds quantities computed from one curve's parameters (``derived_names``).
    check_x : callable, optional
        ``check_x(x)`` returns why these stimulus values cannot be fitted, or ``None``.
    """

    name: str
    names: tuple[str, ...]
    func: Callable
    bounds: Callable[[np.ndarray], tuple[Sequence[float], Sequence[float]]]
    starts: Callable[[np.ndarray, np.ndarray], np.ndarray]
    jac: Callable | None = None
    post: Callable[[np.ndarray], np.ndarray] | None = None
    derive: Callable[[dict, np.ndarray], dict] | None = None
    derived_names: tuple[str, ...] = ()
    check_x: Callable[[np.ndarray], str | None] | None = None


def fit_least_squares(model: CurveModel, curves, x, *, ci_level: float = 0.95, max_iter: int = 200) -> FitBatch:
    """Fit ``model`` to each row of ``curves`` (U, n), all sampled at ``x`` (n,); one :class:`FitBatch` row each.

    Never raises on bad data: a curve that cannot be fitted gets status ``failed`` and the reason.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.atleast_2d(np.asarray(curves, dtype=float))
    n_curves, n = y.shape
    p = len(model.names)
    out = FitBatch.not_fitted(model, n_curves, "failed", "", x=x, n_obs=n, ci_level=ci_level, ci_method=CI_METHOD)

    problem = None
    if x.size != n:
        problem = f"x has {x.size} samples but y has {n}"
    elif not np.all(np.isfinite(x)):
        problem = "non-finite samples (NaN or inf) in the stimulus values"
    elif model.check_x is not None:
        problem = model.check_x(x)
    if problem is None and n <= p:
        problem = f"{n} samples for {p} parameters: need more samples than parameters"
    if problem:
        out.reason[:] = problem
        return out
    finite = np.all(np.isfinite(y), axis=1)
    out.reason[~finite] = "non-finite samples (NaN or inf) in the curve"
    scale = np.max(np.abs(np.where(finite[:, None], y, 0.0)), axis=1)
    spread = np.ptp(np.where(finite[:, None], y, 0.0), axis=1)
    flat = finite & ~(spread >= 1e-9 * np.maximum(scale, np.finfo(float).tiny))
    out.reason[flat] = "the responses do not vary (range < 1e-9 of their magnitude): nothing to fit"
    todo = np.flatnonzero(finite & ~flat)
    if todo.size == 0:
        return out

    lower, upper = (np.asarray(b, dtype=float) for b in model.bounds(x))
    p0 = np.asarray(model.starts(y[todo], x), dtype=float)           # (U', S, p)
    n_starts = p0.shape[1]
    p0 = np.clip(p0.reshape(-1, p), *inner_bounds(lower, upper))
    targets = np.repeat(y[todo], n_starts, axis=0)
    ss_tot = np.sum((y[todo] - y[todo].mean(axis=1, keepdims=True)) ** 2, axis=1)
    floor = _GAIN_FLOOR * np.repeat(ss_tot, n_starts)
    evaluate = _vectorised(model.func, x)
    jacobian = _vectorised(model.jac, x) if model.jac is not None else _forward_differences(evaluate, upper)
    popt, sse, converged = _levenberg_marquardt(evaluate, jacobian, targets, p0, lower, upper, max_iter, floor)

    sse = np.where(converged, sse, np.inf).reshape(todo.size, n_starts)
    best = np.argmin(sse, axis=1)                                     # ties: the first start
    best_sse = sse[np.arange(todo.size), best]
    best_p = popt.reshape(todo.size, n_starts, p)[np.arange(todo.size), best]
    cov = _covariance(jacobian(best_p), best_sse, n, p)
    half = stats.t.ppf(0.5 + ci_level / 2, n - p) * np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    at_bound = (np.isclose(best_p, lower, rtol=1e-6, atol=1e-9) | np.isclose(best_p, upper, rtol=1e-6, atol=1e-9))
    for i, u in enumerate(todo):
        if not np.isfinite(best_sse[i]):
            out.reason[u] = f"optimizer did not converge from {n_starts} starting points in {max_iter} iterations"
            continue
        _store(out, u, model, best_p[i], half[i], cov[i], best_sse[i], ss_tot[i], at_bound[i], x)
    return out


def inner_bounds(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The box shrunk by 1e-9 (relative) at each finite bound: where starting points are clipped to."""
    def shift(b):
        return np.where(np.isfinite(b), 1e-9 * (np.abs(np.where(np.isfinite(b), b, 0.0)) + 1.0), 0.0)
    return lower + shift(lower), upper - shift(upper)


def _store(out: FitBatch, u: int, model: CurveModel, popt, half, cov, sse, ss_tot, at_bound, x) -> None:
    """Write one curve's fit into row ``u`` of ``out``."""
    reasons = []
    if not np.all(np.isfinite(half)):
        reasons.append("covariance not estimable (parameters not identifiable from these samples): CIs are NaN")
    if at_bound.any():
        reasons.append(f"parameter(s) {', '.join(nm for nm, b in zip(model.names, at_bound) if b)} at a bound: CIs "
                       "unreliable")
    shown = model.post(popt.copy()) if model.post is not None else popt
    shift = shown - popt
    out.params[u], out.ci_low[u], out.ci_high[u] = shown, popt - half + shift, popt + half + shift
    out.cov[u] = cov
    out.r_squared[u] = 1.0 - sse / ss_tot
    if model.derive is not None:
        derived = model.derive(dict(zip(model.names, map(float, shown))), x)
        out.derived[u] = [derived[name] for name in model.derived_names]
    out.status[u], out.reason[u] = "ok", "; ".join(reasons)


def _vectorised(func: Callable, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``params (B, p) -> func(x, *params)`` with x as a row and each parameter as a column."""
    row = x[None, :]

    def call(params: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(func(row, *params.T[:, :, None]), dtype=float)
    return call


def _forward_differences(evaluate: Callable, upper: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Jacobian (B, n, p) by forward differences, step sqrt(eps) max(1, |p_j|), backwards at an upper bound."""
    def jacobian(params: np.ndarray) -> np.ndarray:
        f0 = evaluate(params)
        h = np.sqrt(np.finfo(float).eps) * np.maximum(1.0, np.abs(params))
        h = np.where(params + h > upper, -h, h)
        columns = []
        for j in range(params.shape[1]):
            shifted = params.copy()
            shifted[:, j] += h[:, j]
            columns.append((evaluate(shifted) - f0) / h[:, j, None])
        return np.stack(columns, axis=-1)
    return jacobian


def _levenberg_marquardt(evaluate, jacobian, y, params, lower, upper, max_iter, floor):
    """Projected LM on a batch: returns (params, sum of squares, converged), one row per problem.

    ``floor`` (per problem): a gain below it is no gain (``1e-10`` of the curve's total sum of squares, so R^2
    moves by less than 1e-10 per step: long flat valleys of near-unidentifiable fits stop there).
    """
    params = params.copy()
    resid = evaluate(params) - y
    sse = np.sum(resid ** 2, axis=1)
    lam = np.full(len(params), _LAMBDA0)
    nu = np.full(len(params), 2.0)
    converged = np.zeros(len(params), bool)
    alive = np.isfinite(sse)
    eye = np.eye(params.shape[1])
    for _ in range(max_iter):
        idx = np.flatnonzero(alive & ~converged)
        if idx.size == 0:
            break
        p_old, r_old = params[idx], resid[idx]
        jac = jacobian(p_old)
        ok = np.all(np.isfinite(jac), axis=(1, 2))
        alive[idx[~ok]] = False
        idx, p_old, r_old, jac = idx[ok], p_old[ok], r_old[ok], jac[ok]
        jtj = np.einsum("bnp,bnq->bpq", jac, jac)
        grad = np.einsum("bnp,bn->bp", jac, r_old)
        diag = np.diagonal(jtj, axis1=1, axis2=2)
        diag = np.maximum(diag, 1e-12 * diag.max(axis=1, keepdims=True) + np.finfo(float).tiny)
        free = ~(((p_old <= lower) & (grad > 0)) | ((p_old >= upper) & (grad < 0)))
        system = (jtj + lam[idx, None, None] * diag[:, :, None] * eye) * (free[:, :, None] & free[:, None, :])
        step = -_solve(system + ~free[:, :, None] * eye, grad * free)
        p_new = np.clip(p_old + step, lower, upper)
        r_new = evaluate(p_new) - y[idx]
        sse_new = np.sum(r_new ** 2, axis=1)
        better = np.isfinite(sse_new) & (sse_new < sse[idx])
        moved = np.linalg.norm(p_new - p_old, axis=1)
        small_step = moved <= _XTOL * (_XTOL + np.linalg.norm(p_old, axis=1))
        small_gain = better & (sse[idx] - sse_new <= np.maximum(_FTOL * sse[idx], floor[idx]))
        converged[idx] = small_step | small_gain | (lam[idx] > _LAMBDA_MAX)
        predicted = -np.einsum("bp,bp->b", step, grad) + np.einsum("bp,bp->b", step, step * lam[idx, None] * diag)
        rho = (sse[idx] - sse_new) / np.maximum(predicted, np.finfo(float).tiny)
        acc = idx[better]
        params[acc], resid[acc], sse[acc] = p_new[better], r_new[better], sse_new[better]
        shrink = np.maximum(1.0 / 3.0, 1.0 - (2.0 * np.clip(rho, 0.0, 1.0) - 1.0) ** 3)
        lam[idx] = np.where(better, np.maximum(lam[idx] * shrink, 1e-15), lam[idx] * nu[idx])
        nu[idx] = np.where(better, 2.0, nu[idx] * 2.0)
    return params, sse, converged & alive


def _solve(system: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve each (p, p) system; the damped normal matrix is positive definite, but where one is numerically
    singular the whole batch falls back to the pseudo-inverse."""
    try:
        return np.linalg.solve(system, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.einsum("bpq,bq->bp", np.linalg.pinv(system), rhs)


def _covariance(jac: np.ndarray, sse: np.ndarray, n: int, p: int) -> np.ndarray:
    """:math:`s^2 (J^T J)^{-1}` per problem (B, p, p) from the SVD of J; NaN where J is not finite or not of full
    rank.

    ``curve_fit`` would drop the singular values below ``eps max(n, p) sigma_1`` and report a pseudo-inverse,
    which gives an unidentifiable parameter a zero-width interval; here such a fit gets no intervals instead.
    """
    out = np.full((len(jac), p, p), np.nan)
    ok = np.all(np.isfinite(jac), axis=(1, 2)) & np.isfinite(sse)
    if not ok.any():
        return out
    _, sing, vt = np.linalg.svd(jac[ok], full_matrices=False)
    full_rank = np.all(sing > np.finfo(float).eps * max(n, p) * sing[:, :1], axis=1)
    inv = 1.0 / np.where(full_rank[:, None], sing, 1.0) ** 2
    cov = np.einsum("bkp,bk,bkq->bpq", vt, inv, vt) * (sse[ok] / (n - p))[:, None, None]
    out[ok] = np.where(full_rank[:, None, None], cov, np.nan)
    return out


def nan_range(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (min, max) of ``curves`` ignoring non-finite samples; (0, 1) for a row without finite samples."""
    finite = np.isfinite(curves)
    has = finite.any(axis=1)
    lo = np.where(has, np.min(np.where(finite, curves, np.inf), axis=1), 0.0)
    hi = np.where(has, np.max(np.where(finite, curves, -np.inf), axis=1), 1.0)
    return lo, hi
