"""The projected Levenberg-Marquardt iterates on problems with closed-form answers: Nielsen's damping on accepted
and rejected steps, the bounds, the stopping rules and the linear solve."""

import numpy as np
import pytest

from v1lab.fits._core import _levenberg_marquardt, _solve


def _slope_problem():
    """y = p x at x = (1, 2, 3), planted p = 2: r = (p - 2) x, J'J = 14, gradient 14 (p - 2)."""
    x = np.array([1.0, 2.0, 3.0])
    return (lambda p: p[:, :1] * x), (lambda p: np.broadcast_to(x[None, :, None], (len(p), 3, 1)).copy()), 2.0 * x


@pytest.mark.parametrize("iterations", [1, 2, 3, 5])
def test_levenberg_marquardt_steps_on_a_linear_problem_follow_nielsens_damping(iterations):
    """With Marquardt's scaling the step is -(p - 2) / (1 + lambda), so p - 2 shrinks by lambda / (1 + lambda);
    on a linear problem the gain ratio is exactly 1 and Nielsen's rule divides lambda by 3 (lambda_0 = 1)."""
    evaluate, jacobian, y = _slope_problem()
    params, sse, converged = _levenberg_marquardt(evaluate, jacobian, y[None], np.array([[5.0]]), np.array([-np.inf]),
                                                  np.array([np.inf]), iterations, np.array([0.0]))
    lam = 3.0 ** -np.arange(iterations)
    error = 3.0 * np.prod(lam / (1 + lam))
    assert params[0, 0] == pytest.approx(2.0 + error, rel=1e-12)
    assert sse[0] == pytest.approx(14 * error ** 2, rel=1e-9)
    assert not converged[0]


@pytest.mark.parametrize("iterations, p_end", [(1, 5.0), (2, 5.0), (3, 2.0 - 1.0 / 3.0), (4, 2.0 - 1.0 / 3.0),
                                               (5, 2.0 + 11.0 / 57.0)])
def test_rejected_steps_multiply_lambda_by_nu_which_doubles_from_2(iterations, p_end):
    """The linear problem with a Jacobian 10 times too small (J = x / 10): the step is -10 (p - 2) / (1 + lambda),
    so the error e = p - 2 becomes e (1 - 10 / (1 + lambda)). At lambda = 1 (e -> -4e) and lambda = 1 * 2 = 2
    (e -> -7e/3) the sum of squares grows: both rejected, p stays 5. Then lambda = 2 * 4 = 8 and e -> -e/9: p = 5/3,
    with a gain ratio above 1 (1120/238), so lambda = 8/3 and nu is 2 again; at 8/3 e -> 19e/11 is rejected, and at
    lambda = 2 * 8/3 e -> -11e/19.
    """
    evaluate, jacobian, y = _slope_problem()
    params, sse, converged = _levenberg_marquardt(evaluate, lambda p: jacobian(p) / 10.0, y[None], np.array([[5.0]]),
                                                  np.array([-np.inf]), np.array([np.inf]), iterations, np.array([0.0]))
    assert params[0, 0] == pytest.approx(p_end, rel=1e-12)
    assert sse[0] == pytest.approx(14 * (p_end - 2.0) ** 2, rel=1e-9) and not converged[0]


def _run(jacobian_scale, start, iterations, floor=0.0):
    evaluate, jacobian, y = _slope_problem()
    n = len(start)
    return _levenberg_marquardt(evaluate, lambda p: jacobian_scale * jacobian(p), np.tile(y, (n, 1)),
                                np.array(start, float)[:, None], np.array([-np.inf]), np.array([np.inf]), iterations,
                                np.full(n, floor))


def test_a_step_that_leaves_the_sum_of_squares_unchanged_is_rejected():
    """J = x / 4: at lambda = 1 the step -4 (p - 2) / 2 takes e = 3 to -3, the same sum of squares: rejected
    (p stays 5), then at lambda = 2 e -> e (1 - 4/3) = -1: p = 1."""
    assert _run(0.25, [5.0], 1)[0][0, 0] == 5.0
    assert _run(0.25, [5.0], 2)[0][0, 0] == pytest.approx(1.0, rel=1e-12)


def test_nielsens_shrink_follows_the_gain_ratio():
    """J = 2x (twice too large): at lambda = 1 the step is -e/4, e -> 3e/4; the actual gain 14 e^2 7/16 over the
    predicted -delta g + lambda delta^2 J'J = 10.5 e^2 is rho = 7/12, so lambda -> 1 - (2 rho - 1)^3 = 215/216 and
    the next step multiplies e by 1 - 1 / (2 (1 + lambda))."""
    lam = 1 - (2 * 7 / 12 - 1) ** 3
    params, _, _ = _run(2.0, [5.0], 2)
    assert params[0, 0] == pytest.approx(2.0 + 3.0 * 0.75 * (1 - 1 / (2 * (1 + lam))), rel=1e-12)


def test_each_problem_of_a_batch_converges_on_its_own_step():
    """A problem started at its optimum takes a zero step and has converged after one iteration, beside one
    that still moves (e: 3 -> 1.5)."""
    params, _, converged = _run(1.0, [2.0, 5.0], 1)
    assert list(converged) == [True, False] and params[:, 0] == pytest.approx([2.0, 3.5], rel=1e-12)


def test_a_step_of_exactly_the_tolerance_has_converged():
    """From p = 0, f = (p/2, p/2), J'J = 1/2, lambda = 1: the step is -g exactly; residuals (t, t) give g = t, so
    a step of t = fl(1e-8 (1e-8 + |p|)) is exactly the step tolerance: converged."""
    t = 1e-8 * (1e-8 + 0.0)
    jac = np.array([[[0.5], [0.5]]])
    params, _, converged = _levenberg_marquardt(lambda p: 0.5 * p * np.ones(2), lambda p: jac.copy(),
                                                np.array([[-t, -t]]), np.array([[0.0]]), np.array([-np.inf]),
                                                np.array([np.inf]), 1, np.zeros(1))
    assert params[0, 0] == -t and converged[0]


def test_each_problem_is_damped_by_its_own_scale_whatever_else_is_in_the_batch():
    """Rows f = a s x with s = 1e-5, 1 and 1e3 (s held: its Jacobian column is 0): J'J = 14 s^2 spans 16 decades
    across the batch, yet each row's error shrinks by lambda / (1 + lambda) per step, as alone."""
    x = np.array([1.0, 2.0, 3.0])
    scale = np.array([1e-5, 1.0, 1e3])

    def jacobian(p):
        return np.stack([p[:, 1:] * x, 0 * p[:, 1:] * x], axis=-1)
    start = np.column_stack([np.full(3, 5.0), scale])
    params, _, _ = _levenberg_marquardt(lambda p: p[:, :1] * p[:, 1:] * x, jacobian, 2.0 * scale[:, None] * x,
                                        start, np.array([-np.inf, -np.inf]), np.array([np.inf, np.inf]), 2,
                                        np.zeros(3))
    np.testing.assert_allclose(params[:, 0], 2.0 + 3.0 * (1 / 2) * (1 / 3 / (4 / 3)), rtol=1e-12)
    np.testing.assert_array_equal(params[:, 1], scale)


@pytest.mark.parametrize("side, r0, a1, b1", [
    ("lower", (1.0, 0.0, 0.5), -1 / 4, 0.75),           # gradient of b 0.5, out of the box: b held
    ("upper", (1.0, 0.0, -0.5), -1 / 4, 0.75),
    ("lower", (1.0, 0.0, 0.0), -4 / 15, 0.75 + 1 / 15),  # gradient of b 0: b free, the coupled step
    ("upper", (1.0, 0.0, 0.0), -4 / 15, 0.75),           # ... cut back to the bound by the projection
])
def test_a_parameter_at_its_bound_is_held_only_when_its_gradient_points_out(side, r0, a1, b1):
    """f = a u + b v, u = (1, 1, 0), v = (0, 1, 1), from a = 0 and b = 0.75 on its bound, residual r0: J'J =
    [[2, 1], [1, 2]], gradient (u.r0, v.r0) = (1, g_b). Held, the step of a is -1 / (2 (1 + lambda)) = -1/4;
    free (g_b = 0), (J'J + diag J'J) delta = -(1, 0) gives delta = (-4/15, 1/15)."""
    u, v = np.array([1.0, 1.0, 0.0]), np.array([0.0, 1.0, 1.0])
    jac = np.column_stack([u, v])
    y = 0.75 * v - np.array(r0)
    free = np.full(2, np.inf)
    lower, upper = (np.array([-np.inf, 0.75]), free) if side == "lower" else (-free, np.array([np.inf, 0.75]))
    params, _, _ = _levenberg_marquardt(lambda p: p @ jac.T, lambda p: np.broadcast_to(jac, (len(p), 3, 2)).copy(),
                                        y[None], np.array([[0.0, 0.75]]), lower, upper, 1, np.zeros(1))
    assert params[0] == pytest.approx([a1, b1], rel=1e-12)


def test_levenberg_marquardt_stops_at_a_bound_the_step_points_past():
    """From p = 1 towards 2 with p <= 1.5: the first step (halfway at lambda = 1) lands on the bound, the next is
    held there (gradient pointing out of the box), a zero step: converged at the bound."""
    evaluate, jacobian, y = _slope_problem()
    args = (evaluate, jacobian, y[None], np.array([[1.0]]), np.array([-np.inf]), np.array([1.5]))
    params, sse, converged = _levenberg_marquardt(*args, 1, np.array([0.0]))
    assert params[0, 0] == 1.5 and not converged[0]
    params, sse, converged = _levenberg_marquardt(*args, 2, np.array([0.0]))
    assert params[0, 0] == 1.5 and sse[0] == pytest.approx(14 * 0.25, rel=1e-12) and converged[0]


def test_levenberg_marquardt_gain_below_the_floor_converges():
    """The first step gains 14 (9 - 2.25) = 94.5 of 126: converged when the floor is at or above that, not below."""
    evaluate, jacobian, y = _slope_problem()
    for floor, done in ((94.0, False), (94.5, True), (95.0, True)):
        _, sse, converged = _levenberg_marquardt(evaluate, jacobian, y[None], np.array([[5.0]]), np.array([-np.inf]),
                                                 np.array([np.inf]), 1, np.array([floor]))
        assert sse[0] == pytest.approx(14 * 1.5 ** 2, rel=1e-12) and converged[0] == done


def test_a_singular_system_falls_back_to_the_pseudo_inverse():
    system = np.array([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]]])
    rhs = np.array([[2.0, 2.0], [3.0, 1.0]])
    np.testing.assert_allclose(_solve(system, rhs), [[1.0, 0.5], [1.0, 1.0]], rtol=1e-12)
    np.testing.assert_allclose(_solve(system[:1], rhs[:1]), [[1.0, 0.5]], rtol=1e-15)
    ill = np.array([[[1.0, 0.0], [0.0, 1e-17]]])              # not singular: solved, not cut by the pseudo-inverse
    np.testing.assert_allclose(_solve(ill, np.array([[1.0, 1.0]])), [[1.0, 1e17]], rtol=1e-15)


def test_a_problem_whose_jacobian_is_not_finite_keeps_its_start_and_is_evaluated_once():
    """Two copies of the linear problem; the second's Jacobian is NaN at its start. It keeps the start, does not
    converge and is left out of every later iteration, while the first converges to p = 2 as alone."""
    evaluate, jacobian, y = _slope_problem()
    rows = []

    def nan_for_the_second(p):
        rows.append(p[:, 0].copy())
        jac = jacobian(p)
        jac[p[:, 0] == 7.0] = np.nan
        return jac

    params, sse, converged = _levenberg_marquardt(evaluate, nan_for_the_second, np.tile(y, (2, 1)),
                                                  np.array([[5.0], [7.0]]), np.array([-np.inf]), np.array([np.inf]),
                                                  50, np.zeros(2))
    assert params[1, 0] == 7.0 and sse[1] == 14 * 25.0 and not converged[1]
    assert params[0, 0] == pytest.approx(2.0, abs=1e-6) and converged[0]
    assert [7.0 in r for r in rows] == [True] + [False] * (len(rows) - 1)
    assert len(rows) > 1
