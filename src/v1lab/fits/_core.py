"""Least-squares fitting shared by the tuning-curve models (``scipy.optimize.curve_fit``, trust-region reflective).

Confidence intervals are Wald intervals from the covariance matrix that ``curve_fit`` estimates from the Jacobian
at the optimum, scaled by the residual variance (``absolute_sigma=False``), with Student-t quantiles on
``n - p`` degrees of freedom: :math:`\\hat p_j \\pm t_{1-\\alpha/2,\\, n-p} \\sqrt{C_{jj}}`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats
from scipy.optimize import curve_fit

from v1lab.fits._result import FitResult

CI_METHOD = "Wald from the curve_fit covariance, Student t on n - p dof"
_GOOD_ENOUGH = 1e-3  # stop trying starts once the residual sum of squares is below this fraction of the total


def fit_least_squares(model: str, func: Callable, x, y, *, names: Sequence[str], starts: Sequence[Sequence[float]],
                      bounds: tuple[Sequence[float], Sequence[float]],
                      derive: Callable[[dict, np.ndarray], dict] | None = None, derived_names: Sequence[str] = (),
                      post: Callable[[np.ndarray], np.ndarray] | None = None, ci_level: float = 0.95,
                      jac: Callable | None = None) -> FitResult:
    """Fit ``y ~ func(x, *params)`` from several starting points; keep the lowest sum of squares.

    Starts are tried in order until one leaves less than 0.1 % of the variance unexplained (R^2 >= 0.999).

    Never raises on bad data: a failed fit is a :class:`FitResult` with ``success=False`` and the reason.
    ``post`` maps the best parameters to their reported form (e.g. an angle wrapped into [0, 180)), applied to
    the interval ends as a shift. ``derive(params, x)`` adds quantities computed from the parameters. ``jac(x,
    *params)`` is the model's analytic Jacobian (n, p), when known (faster than finite differences).
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    n, p = y.size, len(names)

    def failed(reason: str) -> FitResult:
        return FitResult.failed(model, names, reason, n_obs=n, ci_method=CI_METHOD, ci_level=ci_level,
                                derived_names=derived_names)

    if x.size != n:
        return failed(f"x has {x.size} samples but y has {n}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return failed("non-finite samples (NaN or inf) in the curve")
    if n <= p:
        return failed(f"{n} samples for {p} parameters: need more samples than parameters")
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if not np.ptp(y) > 1e-9 * max(float(np.max(np.abs(y))), np.finfo(float).tiny):
        return failed("the responses do not vary (range < 1e-9 of their magnitude): nothing to fit")

    lower, upper = (np.asarray(b, dtype=float) for b in bounds)
    inner_lo = np.where(np.isfinite(lower), lower + 1e-9 * (np.abs(np.where(np.isfinite(lower), lower, 0)) + 1), lower)
    inner_hi = np.where(np.isfinite(upper), upper - 1e-9 * (np.abs(np.where(np.isfinite(upper), upper, 0)) + 1), upper)
    best, best_sse, last_error, caveats = None, np.inf, "", []
    for p0 in starts:
        start = np.clip(np.asarray(p0, dtype=float), inner_lo, inner_hi)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                popt, pcov = curve_fit(func, x, y, p0=start, bounds=(lower, upper), max_nfev=100 * p,
                                       jac=jac if jac is not None else "2-point")
            except (RuntimeError, ValueError, FloatingPointError) as exc:
                last_error = str(exc).splitlines()[0]
                continue
        sse = float(np.sum((func(x, *popt) - y) ** 2))
        if np.isfinite(sse) and sse < best_sse:
            best, best_sse = (popt, pcov), sse
            caveats = [str(w.message).splitlines()[0] for w in caught]
            if sse <= _GOOD_ENOUGH * ss_tot:
                break  # this start explains >= 99.9 % of the variance: later starts cannot matter much
    if best is None:
        return failed(f"optimizer did not converge from {len(starts)} starting points: {last_error}")

    popt, pcov = best
    reasons = []
    se = np.sqrt(np.diag(pcov)) if np.all(np.isfinite(np.diag(pcov))) else np.full(p, np.nan)
    if not np.all(np.isfinite(se)):
        reasons.append("covariance not estimable (parameters not identifiable from these samples): CIs are NaN")
    at_bound = [nm for nm, v, lo, hi in zip(names, popt, lower, upper)
                if np.isclose(v, lo, rtol=1e-6, atol=1e-9) or np.isclose(v, hi, rtol=1e-6, atol=1e-9)]
    if at_bound:
        reasons.append(f"parameter(s) {', '.join(at_bound)} at a bound: CIs unreliable")
    if caveats and not reasons:
        reasons.append(caveats[0])
    half = stats.t.ppf(0.5 + ci_level / 2, n - p) * se
    shown = post(popt.copy()) if post is not None else popt
    shift = shown - popt
    params = dict(zip(names, map(float, shown)))
    low = dict(zip(names, map(float, popt - half + shift)))
    high = dict(zip(names, map(float, popt + half + shift)))
    derived = derive(params, x) if derive is not None else {}
    return FitResult(model=model, params=params, ci_low=low, ci_high=high, ci_method=CI_METHOD,
                     ci_level=ci_level, r_squared=float(1.0 - best_sse / ss_tot), n_obs=n, success=True,
                     reason="; ".join(reasons), derived={k: float(v) for k, v in derived.items()})
