"""The batched Levenberg-Marquardt against an independent solver (scipy) and against itself one curve at a time."""

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import curve_fit, least_squares

from v1lab import fits as F
from v1lab.fits._core import _covariance, inner_bounds
from v1lab.fits.orientation import von_mises_jacobian

ORIS = np.arange(0.0, 180.0, 15.0)
SFS = 2.0 ** np.arange(-2.0, 4.01, 0.5)
SIZES = np.geomspace(0.25, 8.0, 10)
CONTRASTS = np.geomspace(0.02, 1.0, 8)

# grid and planted-parameter sampler per model
CASES = {
    "von_mises": (ORIS, lambda g: (g.uniform(-0.5, 0.5), g.uniform(0.5, 3), g.uniform(0.3, 6), g.uniform(0, 180))),
    "log_gaussian": (SFS, lambda g: (g.uniform(-0.2, 0.2), g.uniform(0.5, 3), 2 ** g.uniform(-1, 3),
                                     g.uniform(0.4, 1.5))),
    "ratio_of_gaussians": (SIZES, lambda g: (g.uniform(1, 3), g.uniform(0.3, 1), g.uniform(0.2, 2), g.uniform(1.5, 3))),
    "naka_rushton": (CONTRASTS, lambda g: (g.uniform(-0.2, 0.2), g.uniform(0.5, 3), g.uniform(0.05, 0.5),
                                           g.uniform(1, 4))),
}


def _noisy_curves(name, n_curves=40, noise=0.05, seed=0):
    x, sample = CASES[name]
    g = np.random.default_rng(seed)
    clean = np.array([F.MODELS[name].func(x, *sample(g)) for _ in range(n_curves)])
    return clean + noise * np.ptp(clean, axis=1, keepdims=True) * g.standard_normal(clean.shape)


def _scipy_best_sse(name, y, starts):
    """Lowest sum of squares scipy's trust-region reflective solver reaches from these starts."""
    model, x = F.MODELS[name], CASES[name][0]
    lower, upper = (np.asarray(b, float) for b in model.bounds(x))
    best = np.inf
    for p0 in np.clip(starts, *inner_bounds(lower, upper)):
        sol = least_squares(lambda p: model.func(x, *p) - y, p0, bounds=(lower, upper), max_nfev=5000)
        best = min(best, 2 * sol.cost)
    return best


@pytest.mark.parametrize("name", CASES)
def test_sum_of_squares_is_as_low_as_scipy_trust_region(name):
    model, x = F.MODELS[name], CASES[name][0]
    curves = _noisy_curves(name)
    results = F.fit_least_squares(model, curves, x)
    worse = 0
    for y, res in zip(curves, results):
        assert res.success, res.reason
        ss_tot = np.sum((y - y.mean()) ** 2)
        mine = (1 - res.r_squared) * ss_tot
        # scipy from the model's own starts and from our optimum (so it can only match or improve on it)
        starts = np.vstack([list(res.params.values()), model.starts(y[None], x)[0]])
        reference = _scipy_best_sse(name, y, starts)
        worse += mine > reference + 1e-6 * ss_tot
    assert worse == 0, f"{worse} of {len(curves)} fits worse than scipy's best by more than 1e-6 of SS_tot"


@pytest.mark.parametrize("name", CASES)
def test_standard_errors_equal_curve_fit_covariance_at_the_optimum(name):
    model, x = F.MODELS[name], CASES[name][0]
    curves = _noisy_curves(name, n_curves=8, seed=1)
    t = stats.t.ppf(0.975, x.size - 4)
    batch = F.fit_least_squares(model, curves, x)
    for i, (y, res) in enumerate(zip(curves, batch)):
        if "bound" in res.reason:
            continue
        p = np.array(list(res.params.values()))
        if name == "von_mises":  # the reported angle is wrapped; the model is periodic in it
            p[3] = res.params["pref_deg"]
        popt, pcov = curve_fit(model.func, x, y, p0=p, bounds=model.bounds(x), max_nfev=5000)
        half = np.array([res.ci_high[k] - v for k, v in res.params.items()])
        np.testing.assert_allclose(half, t * np.sqrt(np.diag(pcov)), rtol=2e-3)
        np.testing.assert_allclose(batch.cov[i], pcov, rtol=5e-3, atol=1e-6 * np.abs(pcov).max())


@pytest.mark.parametrize("name", CASES)
def test_a_batch_gives_the_fits_of_its_curves_one_at_a_time(name):
    model, x = F.MODELS[name], CASES[name][0]

    def many(c, x):
        return F.fit_least_squares(model, c, x)

    curves = _noisy_curves(name, n_curves=6, seed=2)
    curves[2] = np.nan                      # a broken curve and a flat one in the batch change nothing else
    curves[4] = 1.0
    batch = many(curves, x)
    assert not batch[2].success and "non-finite" in batch[2].reason
    assert not batch[4].success and "do not vary" in batch[4].reason
    for y, res in zip(curves[[0, 1, 3, 5]], [batch[i] for i in (0, 1, 3, 5)]):
        alone = many(y[None], x)[0]
        assert alone.success and res.success
        for k in res.params:
            assert res.params[k] == pytest.approx(alone.params[k], rel=1e-9, abs=1e-12)


def test_optimum_at_a_bound_is_reported():
    # an orientation "dip" is fitted best by the broadest bump allowed, peaking orthogonal to the dip: kappa
    # stops at its lower bound and the reason says so
    y = 1.0 - 0.8 * np.exp(2.0 * (np.cos(np.deg2rad(2 * (ORIS - 90.0))) - 1))
    res = F.fit_von_mises(y, ORIS)
    assert res.success and res.params["kappa"] == pytest.approx(0.01)
    assert "kappa at a bound" in res.reason
    assert min(res.params["pref_deg"], 180.0 - res.params["pref_deg"]) < 1.0


def test_unidentifiable_parameters_get_no_interval():
    rng = np.random.default_rng(0)
    jac = rng.standard_normal((2, 10, 3))
    jac[1, :, 2] = jac[1, :, 1]                          # problem 1: two parameters with the same effect
    cov = _covariance(jac, np.array([2.0, 2.0]), 10, 3)
    expected = np.linalg.inv(jac[0].T @ jac[0]) * 2.0 / 7
    np.testing.assert_allclose(cov[0], expected, rtol=1e-10)
    assert np.all(np.isnan(cov[1]))


def test_von_mises_jacobian_matches_finite_differences():
    theta = np.linspace(0, 180, 13, endpoint=False)
    params = np.array([0.3, 2.0, 1.7, 37.0])
    analytic = von_mises_jacobian(theta, *params)
    for j in range(4):
        h = np.zeros(4)
        h[j] = 1e-6 * max(1.0, abs(params[j]))
        numeric = (F.von_mises(theta, *(params + h)) - F.von_mises(theta, *(params - h))) / (2 * h[j])
        np.testing.assert_allclose(analytic[:, j], numeric, rtol=1e-6, atol=1e-8)
