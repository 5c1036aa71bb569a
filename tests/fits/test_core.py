"""The batched least squares on models with closed-form answers: ordinary least squares, exact finite differences,
the input checks and the caveats of a fit."""

import numpy as np
import pytest
from scipy import stats

from v1lab.fits import LOG_GAUSSIAN, NAKA_RUSHTON, RATIO_OF_GAUSSIANS, VON_MISES, CurveModel, fit_least_squares
from v1lab.fits._core import _covariance, _forward_differences, inner_bounds, nan_range

X = np.array([0.0, 0.5, 1.5, 2.0, 3.5, 4.0, 6.0])
NOISE = np.array([0.3, -0.1, -0.4, 0.2, 0.5, -0.6, 0.1])


def _line(**kw):
    """y = a + b x, fitted by forward differences; ``post`` reports ``a`` shifted by 10."""
    return CurveModel(name="line", names=("a", "b"), func=lambda x, a, b: a + b * x,
                      bounds=lambda x: ((-np.inf, -np.inf), (np.inf, np.inf)),
                      starts=lambda c, x: np.zeros((len(c), 1, 2)), **kw)


@pytest.mark.parametrize("level", [0.95, 0.7])
def test_a_linear_model_gives_ordinary_least_squares_and_its_intervals(level):
    """OLS: beta = (X'X)^-1 X'y, C = s^2 (X'X)^-1 with s^2 = SSE/(n - 2), intervals beta +- t_{n-2} sqrt(C_jj)."""
    y = np.vstack([1.0 + 2.0 * X + NOISE, -3.0 + 0.5 * X - 2 * NOISE])
    design = np.column_stack([np.ones_like(X), X])
    model = _line(post=lambda p: p + np.array([10.0, 0.0]), derive=lambda prm, x: {"shown_a": prm["a"] + x.max()},
                  derived_names=("shown_a",))
    batch = fit_least_squares(model, y, X, ci_level=level)
    for i, row in enumerate(y):
        beta, sse = np.linalg.lstsq(design, row, rcond=None)[:2]
        cov = sse[0] / (X.size - 2) * np.linalg.inv(design.T @ design)
        se = np.sqrt(np.diag(cov))
        half = stats.t.ppf(0.5 + level / 2, X.size - 2) * se
        assert batch.status[i] == "ok" and batch.reason[i] == ""
        np.testing.assert_allclose(batch.params[i], beta + [10.0, 0.0], atol=1e-4 * se.min())
        np.testing.assert_allclose(batch.cov[i], cov, rtol=1e-6)
        np.testing.assert_allclose(batch.ci_low[i], beta + [10.0, 0.0] - half, rtol=1e-6, atol=1e-4 * se.min())
        np.testing.assert_allclose(batch.ci_high[i], beta + [10.0, 0.0] + half, rtol=1e-6, atol=1e-4 * se.min())
        r2 = 1 - sse[0] / np.sum((row - row.mean()) ** 2)
        assert batch.r_squared[i] == pytest.approx(r2, abs=1e-9)
        assert batch.derived[i, 0] == pytest.approx(beta[0] + 10.0 + 6.0, abs=1e-4 * se.min())


def test_parameters_with_the_same_effect_get_no_intervals_and_say_why():
    model = CurveModel(name="twin", names=("a", "b", "c"), func=lambda x, a, b, c: a + (b + c) * x,
                       bounds=lambda x: ((-np.inf,) * 3, (np.inf,) * 3), starts=lambda c, x: np.zeros((len(c), 1, 3)))
    res = fit_least_squares(model, 1.0 + 2.0 * X + NOISE, X)[0]
    assert res.success and res.r_squared > 0.9
    assert res.reason == "covariance not estimable (parameters not identifiable from these samples): CIs are NaN"
    assert all(np.isnan(v) for v in (*res.ci_low.values(), *res.ci_high.values()))
    assert res.params["b"] + res.params["c"] == pytest.approx(np.polyfit(X, 1.0 + 2.0 * X + NOISE, 1)[0], rel=1e-4)


def test_parameters_stopped_by_their_bounds_are_named_and_the_free_ones_still_fitted():
    """y = x + x^2 on x >= 0 with b, c <= 0: the best non-increasing fit is the constant mean (b = c = 0); the
    free parameter must still reach it although the unconstrained step points out of the box."""
    model = CurveModel(name="quad", names=("a", "b", "c"), func=lambda x, a, b, c: a + b * x + c * x ** 2,
                       bounds=lambda x: ((-np.inf, -np.inf, -np.inf), (np.inf, 0.0, 0.0)),
                       starts=lambda c, x: np.full((len(c), 1, 3), -1.0))
    y = X + X ** 2
    res = fit_least_squares(model, y, X)[0]
    assert res.success and res.reason == "parameter(s) b, c at a bound: CIs unreliable"
    assert res.params["a"] == pytest.approx(y.mean(), rel=1e-5)
    assert res.params["b"] == pytest.approx(0.0, abs=1e-9) and res.params["c"] == pytest.approx(0.0, abs=1e-9)
    assert res.r_squared == pytest.approx(0.0, abs=1e-9)
    y = -X ** 2 + 0.5 * X                                         # b would be +0.5: only b stops at its bound
    one = fit_least_squares(model, y, X)[0]
    assert one.reason == "parameter(s) b at a bound: CIs unreliable"
    a, c = np.linalg.lstsq(np.column_stack([np.ones_like(X), X ** 2]), y, rcond=None)[0]
    assert (one.params["a"], one.params["c"]) == pytest.approx((a, c), rel=1e-4)


def test_forward_differences_step_sqrt_eps_times_the_parameter_and_backwards_at_the_upper_bound():
    """For f = p^2 x the forward difference is (2p + h) x exactly, h = 2^-26 max(1, |p|) (powers of two: no
    rounding); at the upper bound it is the backward difference (2p - h) x."""
    x = np.array([1.0, 2.0])

    def evaluate(params):
        return params[:, :1] ** 2 * x + 0 * params[:, 1:]
    params = np.array([[0.5, 0.0], [2.0 ** 20, 0.0], [-4.0, 0.0]])
    h = 2.0 ** -26 * np.array([1.0, 2.0 ** 20, 4.0])
    jac = _forward_differences(evaluate, np.array([np.inf, np.inf]))(params)
    assert jac.shape == (3, 2, 2)
    np.testing.assert_array_equal(jac[:, :, 0], (2 * params[:, :1] + h[:, None]) * x)
    np.testing.assert_array_equal(jac[:, :, 1], 0.0)
    at_top = _forward_differences(evaluate, np.array([0.5, np.inf]))(params[:1])
    np.testing.assert_array_equal(at_top[0, :, 0], (1.0 - 2.0 ** -26) * x)
    below = _forward_differences(evaluate, np.array([0.5 + 2.0 ** -27, np.inf]))(params[:1])
    np.testing.assert_array_equal(below[0, :, 0], (1.0 - 2.0 ** -26) * x)
    room = _forward_differences(evaluate, np.array([0.5 + 2.0 ** -26, np.inf]))(params[:1])
    np.testing.assert_array_equal(room[0, :, 0], (1.0 + 2.0 ** -26) * x)


def test_inner_bounds_move_each_finite_bound_inwards_by_1e_9_relative():
    lower, upper = np.array([-np.inf, 0.0, 2.0, -4.0]), np.array([np.inf, 1.0, 10.0, -1.0])
    lo, hi = inner_bounds(lower, upper)
    np.testing.assert_allclose(lo, [-np.inf, 1e-9, 2.0 + 3e-9, -4.0 + 5e-9], rtol=1e-15)
    np.testing.assert_allclose(hi, [np.inf, 1.0 - 2e-9, 10.0 - 11e-9, -1.0 - 2e-9], rtol=1e-15)
    np.testing.assert_allclose(lo[1:] - lower[1:], [1e-9, 3e-9, 5e-9], rtol=1e-6)
    np.testing.assert_allclose(upper[1:] - hi[1:], [2e-9, 11e-9, 2e-9], rtol=1e-6)


def test_nan_range_ignores_non_finite_samples():
    lo, hi = nan_range(np.array([[np.nan, 2.0, -1.0], [np.nan, np.inf, -np.inf], [3.0, np.inf, 1.0]]))
    np.testing.assert_array_equal(lo, [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(hi, [2.0, 1.0, 3.0])


def test_covariance_rank_threshold_is_eps_max_n_p_times_the_largest_singular_value():
    n, p = 10, 2
    q_left = np.linalg.qr(np.random.default_rng(1).standard_normal((n, p)))[0]
    q_right = np.linalg.qr(np.random.default_rng(2).standard_normal((p, p)))[0]
    tol = np.finfo(float).eps * n
    jac = np.stack([q_left @ np.diag([1.0, s]) @ q_right for s in (0.5 * tol, 4 * tol, 1e-3)])
    cov = _covariance(jac, np.array([8.0, 8.0, 8.0]), n, p)
    assert np.all(np.isnan(cov[0])) and np.all(np.isfinite(cov[1:]))
    np.testing.assert_allclose(cov[2], np.linalg.inv(jac[2].T @ jac[2]) * 8.0 / (n - p), rtol=1e-8)
    broken = jac.copy()
    broken[1, 0, 0] = np.nan
    cov = _covariance(broken, np.array([8.0, 8.0, 8.0]), n, p)
    assert np.all(np.isnan(cov[1])) and np.all(np.isfinite(cov[2]))
    cov = _covariance(jac, np.array([8.0, np.inf, 8.0]), n, p)
    assert np.all(np.isnan(cov[1])) and np.all(np.isfinite(cov[2]))
    assert np.all(np.isnan(_covariance(broken[1:2], np.array([8.0]), n, p)))
    diagonal = np.zeros((2, n, p))                             # singular values 3 and 3 tol (1 ulp more), exact
    diagonal[:, 0, 0], diagonal[:, 1, 1] = 3.0, [3.0 * tol, np.nextafter(3.0 * tol, 1.0)]
    assert np.linalg.svd(diagonal, compute_uv=False)[0, 1] == np.finfo(float).eps * n * 3.0
    cov = _covariance(diagonal, np.array([8.0, 8.0]), n, p)
    assert np.all(np.isnan(cov[0])) and np.all(np.isfinite(cov[1]))


@pytest.mark.parametrize("model, x, reason", [
    (VON_MISES, np.arange(0.0, 150.0, 15.0), "x has 10 samples but y has 12"),
    (VON_MISES, np.r_[np.arange(0.0, 165.0, 15.0), np.inf], "non-finite samples (NaN or inf) in the stimulus values"),
    (VON_MISES, np.r_[np.arange(0.0, 165.0, 15.0), np.nan], "non-finite samples (NaN or inf) in the stimulus values"),
    (LOG_GAUSSIAN, np.r_[0.0, 2.0 ** np.arange(11.0)], "spatial frequencies must be positive, got 0"),
    (LOG_GAUSSIAN, np.r_[-0.5, 2.0 ** np.arange(11.0)], "spatial frequencies must be positive, got -0.5"),
    (RATIO_OF_GAUSSIANS, np.r_[-1.5, np.arange(11.0)], "diameters must be >= 0, got -1.5"),
])
def test_unusable_stimulus_values_fail_every_curve_with_one_reason(model, x, reason):
    curves = np.random.default_rng(0).uniform(0.0, 1.0, (3, 12))
    batch = fit_least_squares(model, curves, x)
    assert list(batch.status) == ["failed"] * 3 and list(batch.reason) == [reason] * 3
    assert np.all(np.isnan(batch.params)) and batch.n_obs == 12


def test_more_samples_than_parameters_are_needed():
    c = np.array([0.05, 0.1, 0.2, 0.4, 0.8])
    truth = (0.1, 2.0, 0.2, 2.0)
    res = fit_least_squares(NAKA_RUSHTON, NAKA_RUSHTON.func(c, *truth), c)[0]
    assert res.success and res.params["c50"] == pytest.approx(0.2, rel=1e-4)
    four = fit_least_squares(NAKA_RUSHTON, NAKA_RUSHTON.func(c[:4], *truth), c[:4])[0]
    assert four.reason == "4 samples for 4 parameters: need more samples than parameters"


def test_a_range_of_1e_9_of_the_magnitude_is_flat():
    x = np.arange(0.0, 180.0, 15.0)
    shape = np.cos(np.deg2rad(2 * (x - 40.0)))                        # range 2 on each row
    curves = 1000.0 + np.array([0.4e-6, 4e-6, 0.0])[:, None] * shape  # ranges 0.8e-9, 8e-9 of 1000; none
    batch = fit_least_squares(VON_MISES, np.vstack([curves, np.zeros(12)]), x)
    flat = "the responses do not vary (range < 1e-9 of their magnitude): nothing to fit"
    assert batch.reason[0] == batch.reason[2] == batch.reason[3] == flat
    assert batch.status[1] == "ok" and batch.params[1, 3] == pytest.approx(40.0, abs=1e-3)


def test_missing_samples_given_as_none_fail_their_row_or_in_x_every_row():
    """``None`` in a list is read as NaN: the fit reports it instead of raising."""
    y = [(1.0 + 2.0 * X).tolist(), [1.0, None, *X[2:]]]
    batch = fit_least_squares(_line(), y, X)
    assert list(batch.status) == ["ok", "failed"]
    assert batch.reason[1] == "non-finite samples (NaN or inf) in the curve"
    np.testing.assert_allclose(batch.params[0], [1.0, 2.0], rtol=1e-6)
    no_x = fit_least_squares(_line(), y, [0.0, None, *X[2:]])
    assert list(no_x.reason) == ["non-finite samples (NaN or inf) in the stimulus values"] * 2


def test_the_flat_test_scales_each_curve_by_its_own_magnitude():
    """A line rising by 1e-4 from 1e-3 is fitted beside a curve of magnitude 1e6 (1e-9 of which is 1e-3)."""
    batch = fit_least_squares(_line(), np.vstack([1e-3 + 1e-4 / 6 * X, 1e6 + X]), X)
    assert list(batch.status) == ["ok", "ok"]
    np.testing.assert_allclose(batch.params, [[1e-3, 1e-4 / 6], [1e6, 1.0]], rtol=1e-6)


def test_a_range_of_exactly_1e_9_of_the_magnitude_is_not_flat():
    """Flat means range < 1e-9 of the magnitude. A range of 2^-30 below a magnitude s with fl(1e-9 s) = 2^-30
    (every value exact) is fitted; a range one unit in the last place smaller is flat."""
    d = 2.0 ** -30
    s = d / 1e-9
    for _ in range(8):
        if 1e-9 * s == d:
            break
        s = np.nextafter(s, 0.0 if 1e-9 * s > d else 1.0)
    assert 1e-9 * s == d and 0.5 <= s < 1.0                  # ulp(s) = 2^-53: s - d and s - (d - 2^-53) are exact
    low = X < 1.0
    curves = np.vstack([s - d * low, s - (d - 2.0 ** -53) * low])
    assert np.ptp(curves[0]) == d and np.ptp(curves[1]) < d
    batch = fit_least_squares(_line(), curves, X)
    assert batch.status[0] == "ok"
    assert batch.reason[1] == "the responses do not vary (range < 1e-9 of their magnitude): nothing to fit"


def _tilt(start, **kw):
    """f = b (x - 2) + 1 at x = (1, 2, 3), started at b = ``start``: the curve (2 - s, 1, 2 + s) has b = s exactly,
    with a gradient of exactly 0 there (a start at s stays there)."""
    return CurveModel(name="tilt", names=("b",), func=lambda x, b: b * (x - 2.0) + 1.0,
                      starts=lambda c, x: np.full((len(c), 1, 1), start), **kw)


@pytest.mark.parametrize("s, lower, upper, named", [
    (2.0, -np.inf, 2.0 + 1.9e-6, True), (2.0, -np.inf, 2.0 + 2.1e-6, False),    # rtol 1e-6 of the bound
    (2.0, 2.0 - 1.9e-6, np.inf, True), (2.0, 2.0 - 2.1e-6, np.inf, False),
    (0.0, -np.inf, 0.9e-9, True), (0.0, -np.inf, 1.1e-9, False),                # atol 1e-9 at a bound of 0
    (0.0, -0.9e-9, np.inf, True), (0.0, -1.1e-9, np.inf, False),
])
def test_a_parameter_within_1e_6_relative_and_1e_9_absolute_of_a_bound_is_at_it(s, lower, upper, named):
    model = _tilt(s, bounds=lambda x: ((lower,), (upper,)))
    res = fit_least_squares(model, np.array([2.0 - s, 1.0, 2.0 + s]), np.array([1.0, 2.0, 3.0]))[0]
    assert res.success and res.params["b"] == pytest.approx(s, abs=1e-10)
    assert res.reason == ("parameter(s) b at a bound: CIs unreliable" if named else "")


def test_a_curve_that_does_not_converge_leaves_the_next_ones_fitted():
    """With one iteration the curve with b = 2 (from 0: halfway) has not converged; the one with b = 0 has."""
    model = _tilt(0.0, bounds=lambda x: ((-np.inf,), (np.inf,)))
    batch = fit_least_squares(model, np.array([[0.0, 1.0, 4.0], [2.0, 1.0, 2.0]]), np.array([1.0, 2.0, 3.0]),
                              max_iter=1)
    assert list(batch.status) == ["failed", "ok"] and batch.params[1, 0] == 0.0
    assert batch.reason[0] == "optimizer did not converge from 1 starting points in 1 iterations"


def test_starts_outside_the_box_are_clipped_into_it():
    """f = sqrt(a) x is undefined for a < 0: a start at a = -1 is moved to the inner bound 1e-9 and fits a = 4."""
    model = CurveModel(name="root", names=("a",), func=lambda x, a: np.sqrt(a) * x,
                       bounds=lambda x: ((0.0,), (np.inf,)), starts=lambda c, x: np.full((len(c), 1, 1), -1.0))
    res = fit_least_squares(model, 2.0 * X, X)[0]
    assert res.success and res.params["a"] == pytest.approx(4.0, rel=1e-6)


def test_a_start_that_does_not_converge_does_not_count():
    x = np.arange(0.0, 180.0, 15.0)
    y = VON_MISES.func(x, 0.5, 3.0, 2.0, 150.0)
    res = fit_least_squares(VON_MISES, y, x, max_iter=0)[0]
    assert res.reason == "optimizer did not converge from 3 starting points in 0 iterations"
    assert np.isnan(res.params["kappa"]) and not res.success
    assert fit_least_squares(VON_MISES, y, x, max_iter=3)[0].reason.endswith("in 3 iterations")
    assert fit_least_squares(VON_MISES, y, x)[0].params["kappa"] == pytest.approx(2.0, rel=1e-6)


def test_both_caveats_of_a_fit_are_given():
    model = CurveModel(name="twin", names=("a", "b", "c"), func=lambda x, a, b, c: a + (b + c) * x,
                       bounds=lambda x: ((-np.inf,) * 3, (np.inf, np.inf, 0.0)),
                       starts=lambda c, x: np.zeros((len(c), 1, 3)),
                       jac=lambda x, a, b, c: np.stack(np.broadcast_arrays(np.ones_like(a * x), x, x), axis=-1))
    res = fit_least_squares(model, 1.0 + 2.0 * X + NOISE, X)[0]
    assert res.reason == ("covariance not estimable (parameters not identifiable from these samples): CIs are NaN; "
                          "parameter(s) c at a bound: CIs unreliable")


def test_a_model_undefined_at_some_samples_fails_silently():
    """b x / x is 0/0 at x = 0 for every parameter: no fit, and no floating-point warning on the way."""
    model = CurveModel(name="ratio", names=("a", "b"), func=lambda x, a, b: a + b * x / x,
                       bounds=lambda x: ((-np.inf, -np.inf), (np.inf, np.inf)),
                       starts=lambda c, x: np.ones((len(c), 1, 2)))
    res = fit_least_squares(model, 1.0 + 2.0 * X + NOISE, X)[0]
    assert not res.success and res.reason == "optimizer did not converge from 1 starting points in 200 iterations"
