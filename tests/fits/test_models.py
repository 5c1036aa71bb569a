"""Each model's equation, documented bounds, starting points and derived quantities, from their definitions."""

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import brentq, minimize_scalar
from scipy.special import erf, erfinv

import v1lab.fits as F
from v1lab.fits import (
    LOG_GAUSSIAN,
    MODELS,
    NAKA_RUSHTON,
    RATIO_OF_GAUSSIANS,
    VON_MISES,
    fit_naka_rushton_many,
    fit_ratio_of_gaussians,
    fit_von_mises,
    log_gaussian,
    naka_rushton,
    ratio_of_gaussians,
    von_mises,
    von_mises_bandwidth,
)

INF = np.inf


def test_models_by_name():
    assert MODELS == {"von_mises": VON_MISES, "log_gaussian": LOG_GAUSSIAN, "ratio_of_gaussians": RATIO_OF_GAUSSIANS,
                      "naka_rushton": NAKA_RUSHTON}
    assert VON_MISES.names == ("baseline", "amplitude", "kappa", "pref_deg")
    assert LOG_GAUSSIAN.names == ("baseline", "amplitude", "peak_cpd", "sigma_oct")
    assert RATIO_OF_GAUSSIANS.names == ("k_c", "w_c_deg", "k_s", "w_s_deg")
    assert NAKA_RUSHTON.names == ("baseline", "r_max", "c50", "n")
    assert VON_MISES.derived_names == ("bandwidth_deg",) and LOG_GAUSSIAN.derived_names == ("bandwidth_oct",)
    assert RATIO_OF_GAUSSIANS.derived_names == ("si", "gsf_deg") and NAKA_RUSHTON.derived_names == ()


@pytest.mark.parametrize("model, x, lower, upper", [
    (VON_MISES, np.array([0.0, 90.0]), (-INF, 0.0, 0.01, -INF), (INF, INF, 200.0, INF)),
    (LOG_GAUSSIAN, np.array([0.5, 4.0, 2.0]), (-INF, 0.0, 0.0625, 0.05), (INF, INF, 32.0, 10.0)),
    (NAKA_RUSHTON, np.array([0.1, 1.0]), (-INF, 0.0, 1e-3, 0.2), (INF, INF, 10.0, 10.0)),
    (RATIO_OF_GAUSSIANS, np.array([0.5, 6.0, 2.0]), (0.0, 6e-3, 0.0, 6e-3), (INF, 600.0, INF, 600.0)),
    (RATIO_OF_GAUSSIANS, np.array([0.0, 0.0]), (0.0, 1e-3, 0.0, 1e-3), (INF, 100.0, INF, 100.0)),
    (RATIO_OF_GAUSSIANS, np.array([0.1, 0.5]), (0.0, 5e-4, 0.0, 5e-4), (INF, 50.0, INF, 50.0)),
])
def test_documented_bounds(model, x, lower, upper):
    lo, hi = model.bounds(x)
    np.testing.assert_allclose(np.asarray(lo, float), lower, rtol=1e-15)
    np.testing.assert_allclose(np.asarray(hi, float), upper, rtol=1e-15)


def test_von_mises_equation_and_starts():
    theta = np.array([10.0, 55.0, 100.0, 190.0])
    expected = 0.5 + 2.0 * np.exp(1.5 * (np.cos(2 * np.deg2rad(theta - 55.0)) - 1))
    np.testing.assert_allclose(von_mises(theta, 0.5, 2.0, 1.5, 55.0), expected, rtol=1e-14)
    assert von_mises(145.0, 0.5, 2.0, 1.5, 55.0) == pytest.approx(0.5 + 2.0 * np.exp(-3.0), rel=1e-14)
    curves = np.array([[-3.0, np.nan, -1.0, -2.0], [3.0, 3.0, 3.0, 3.0]])
    starts = VON_MISES.starts(curves, np.array([0.0, 45.0, 90.0, 135.0]))
    assert starts.shape == (2, 3, 4)
    np.testing.assert_allclose(starts[0], [[-3.0, 2.0, k, 90.0] for k in (0.5, 2.0, 8.0)])
    np.testing.assert_allclose(starts[1], [[3.0, 1e-6, k, 0.0] for k in (0.5, 2.0, 8.0)])


def test_von_mises_bandwidth_at_the_broadest_defined_kappa():
    """kappa = ln 2 / 4: 1 - ln2 / (2 kappa) = -1 exactly, the curve reaches 1/sqrt2 only at 90 deg."""
    assert von_mises_bandwidth(np.log(2.0) / 4.0) == 90.0
    assert np.isnan(von_mises_bandwidth(np.log(2.0) / 4.0 * (1 - 1e-9)))
    kappa = 3.0
    half = von_mises_bandwidth(kappa)
    assert von_mises(half, 0.0, 1.0, kappa, 0.0) == pytest.approx(2 ** -0.5, rel=1e-12)


def test_preferred_orientation_is_reported_in_0_to_180_with_its_interval():
    theta = np.arange(0.0, 180.0, 15.0)
    y = von_mises(theta, 0.2, 2.0, 3.0, 178.0) + 0.02 * np.random.default_rng(4).standard_normal(theta.size)
    for shift in (0.0, -180.0, 180.0):               # the same curve reached through another period of mu
        res = fit_von_mises(y, theta + shift)
        assert 0.0 <= res.params["pref_deg"] < 180.0
        assert res.params["pref_deg"] == pytest.approx(178.0, abs=1.0)
        assert res.ci_low["pref_deg"] < res.params["pref_deg"] < res.ci_high["pref_deg"]
        assert res.ci_high["pref_deg"] - res.ci_low["pref_deg"] < 5.0


def test_a_sharper_curve_than_allowed_stops_at_kappa_200():
    theta = np.arange(0.0, 180.0, 1.0)
    res = fit_von_mises(von_mises(theta, 0.0, 1.0, 1000.0, 60.0), theta)
    assert res.success and res.params["kappa"] == pytest.approx(200.0) and "kappa at a bound" in res.reason


def test_log_gaussian_equation_and_starts():
    f = np.array([0.5, 2.0, 8.0])
    np.testing.assert_allclose(log_gaussian(f, 0.1, 2.0, 2.0, 0.5), 0.1 + 2.0 * np.exp([-8.0, 0.0, -8.0]),
                               rtol=1e-14)
    curves = np.array([[-4.0, -0.5, np.nan, -3.0], [-1.0, -1.0, -1.0, -1.0]])
    starts = LOG_GAUSSIAN.starts(curves, np.array([0.5, 1.0, 2.0, 4.0]))
    np.testing.assert_allclose(starts[0], [[-4.0, 3.5, 1.0, s] for s in (0.5, 1.0, 2.0)])
    np.testing.assert_allclose(starts[1], [[-1.0, 1e-6, 0.5, s] for s in (0.5, 1.0, 2.0)])


def test_naka_rushton_equation_and_starts():
    """R(c50) = b + R_max / 2; R(2 c50) = b + R_max 2^n / (2^n + 1); contrast enters as |c|."""
    assert naka_rushton(0.3, 0.1, 2.0, 0.3, 2.5) == pytest.approx(1.1, rel=1e-14)
    assert naka_rushton(0.6, 0.1, 2.0, 0.3, 3.0) == pytest.approx(0.1 + 2.0 * 8 / 9, rel=1e-14)
    assert naka_rushton(-0.6, 0.1, 2.0, 0.3, 3.0) == naka_rushton(0.6, 0.1, 2.0, 0.3, 3.0)
    starts = NAKA_RUSHTON.starts(np.array([[0.5, np.nan, 3.0], [2.0, 2.0, 2.0]]), np.array([0.1, 0.5, 1.0]))
    np.testing.assert_allclose(starts[0], [[0.5, 3.0, 0.1, 1.0], [0.5, 3.0, 0.3, 2.5]])
    np.testing.assert_allclose(starts[1], [[2.0, 1.2e-6, 0.1, 1.0], [2.0, 1.2e-6, 0.3, 2.5]])


def test_naka_rushton_of_a_batch_recovers_each_planted_curve():
    c = np.geomspace(0.02, 1.0, 9)
    truth = np.array([[0.1, 2.0, 0.2, 2.0], [-0.3, 0.5, 0.05, 1.2], [1.0, 4.0, 0.6, 3.5]])
    batch = fit_naka_rushton_many(np.array([naka_rushton(c, *p) for p in truth]), c)
    np.testing.assert_allclose(batch.params, truth, rtol=1e-4, atol=1e-6)


def test_ratio_of_gaussians_equation_and_starts():
    """R(d) = k_c erf^2(d / 2w_c) / (1 + k_s erf^2(d / 2w_s)); at d = 2 w: erf(1)."""
    e1 = erf(1.0) ** 2
    assert ratio_of_gaussians(1.0, 3.0, 0.5, 2.0, 0.5) == pytest.approx(3.0 * e1 / (1 + 2.0 * e1), rel=1e-14)
    assert ratio_of_gaussians(4.0, 3.0, 2.0, 2.0, 0.5) == pytest.approx(3.0 * e1 / (1 + 2.0 * erf(4.0) ** 2),
                                                                        rel=1e-14)
    starts = RATIO_OF_GAUSSIANS.starts(np.array([[0.5, np.nan, 3.0], [-1.0, -2.0, -1.0]]), np.array([0.5, 2.0, 4.0]))
    triples = ((0.1, 0.5, 0.5), (0.3, 2.0, 1.0), (0.1, 0.05, 2.0))
    np.testing.assert_allclose(starts[0], [[3.0 * (1 + ks), 4 * wc, ks, 4 * ws] for wc, ks, ws in triples])
    np.testing.assert_allclose(starts[1], [[1e-6 * (1 + ks), 4 * wc, ks, 4 * ws] for wc, ks, ws in triples])


def test_ratio_of_gaussians_accepts_a_zero_diameter():
    d = np.linspace(0.0, 8.0, 12)
    truth = dict(k_c=2.0, w_c_deg=0.5, k_s=1.5, w_s_deg=1.5)
    res = fit_ratio_of_gaussians(ratio_of_gaussians(d, **truth), d)
    assert res.success and res.params["w_s_deg"] == pytest.approx(1.5, rel=1e-4)


def test_ratio_of_gaussians_derived_from_the_fitted_parameters():
    """No surround (k_s = 0): the curve rises to k_c, SI = 0 and 95 % of the peak is first reached at
    d = 2 w_c erfinv(sqrt 0.95); with a surround, SI = (R_peak - k_c / (1 + k_s)) / R_peak."""
    x = np.array([0.5, 1.0, 8.0])
    step = 32.0 / 4000
    plain = RATIO_OF_GAUSSIANS.derive({"k_c": 2.0, "w_c_deg": 0.5, "k_s": 0.0, "w_s_deg": 1.0}, x)
    assert plain["si"] == 0.0
    exact = 2 * 0.5 * erfinv(np.sqrt(0.95))
    assert 0.0 <= plain["gsf_deg"] - exact < step
    prm = {"k_c": 2.0, "w_c_deg": 0.5, "k_s": 1.5, "w_s_deg": 1.5}
    derived = RATIO_OF_GAUSSIANS.derive(prm, x)
    best = minimize_scalar(lambda d: -ratio_of_gaussians(d, *prm.values()), bounds=(0.0, 8.0), method="bounded",
                           options={"xatol": 1e-10})
    peak = -best.fun
    assert derived["si"] == pytest.approx((peak - 2.0 / 2.5) / peak, abs=1e-5)
    crossing = brentq(lambda d: ratio_of_gaussians(d, *prm.values()) - 0.95 * peak, 0.0, best.x)
    assert -1e-6 <= derived["gsf_deg"] - crossing < step
    none = RATIO_OF_GAUSSIANS.derive({"k_c": 0.0, "w_c_deg": 0.5, "k_s": 1.0, "w_s_deg": 1.0}, x)
    assert np.isnan(none["si"]) and np.isnan(none["gsf_deg"])


@pytest.mark.parametrize("name, x, truth", [
    ("von_mises", np.arange(0.0, 180.0, 15.0), (0.5, 3.0, 2.0, 150.0)),
    ("log_gaussian", 2.0 ** np.arange(-2.0, 4.01, 0.5), (0.1, 2.0, 1.5, 0.7)),
    ("ratio_of_gaussians", np.linspace(0.25, 8.0, 16), (2.0, 0.5, 1.5, 1.5)),
    ("naka_rushton", np.geomspace(0.02, 1.0, 9), (0.1, 2.0, 0.2, 2.0)),
])
def test_one_curve_fits_and_their_level_are_the_batch_rows(name, x, truth):
    """Interval half-widths scale as the Student-t quantiles: t_{0.9} / t_{0.975} from level 0.95 to 0.8."""
    one, many = getattr(F, f"fit_{name}"), getattr(F, f"fit_{name}_many")
    y = MODELS[name].func(x, *truth) + 0.01 * np.random.default_rng(5).standard_normal(x.size)
    default, low = one(y.tolist(), x), one(y[None, :], x, ci_level=0.8)
    assert default.success and low.success and default.ci_level == 0.95 and low.ci_level == 0.8
    assert low == many(y[None], x, ci_level=0.8)[0] and default == many([y], x)[0]
    ratio = stats.t.ppf(0.9, x.size - 4) / stats.t.ppf(0.975, x.size - 4)
    for k, v in default.params.items():
        assert low.params[k] == v
        assert low.ci_high[k] - v == pytest.approx(ratio * (default.ci_high[k] - v), rel=1e-9)


def test_ratio_of_gaussians_derived_on_a_grid_to_four_times_the_largest_diameter():
    """A centre still rising at 4 x the largest diameter (w_c = 1, largest diameter 1, no surround): R_peak is
    k_c erf^2(2), so SI = 1 - 1 / erf^2(2) and 95 % of it is first reached at d = 2 erfinv(sqrt 0.95 erf 2);
    a narrow centre (w_c = 0.2, peak 0.8 < 1) reaches 95 % of its peak at 0.4 erfinv(sqrt 0.95), below 1 deg."""
    x = np.array([0.25, 1.0])
    rising = RATIO_OF_GAUSSIANS.derive({"k_c": 0.8, "w_c_deg": 1.0, "k_s": 0.0, "w_s_deg": 1.0}, x)
    assert rising["si"] == pytest.approx(1 - 1 / erf(2.0) ** 2, rel=1e-12)
    assert 0.0 <= rising["gsf_deg"] - 2 * erfinv(np.sqrt(0.95) * erf(2.0)) < 4.0 / 4000
    narrow = RATIO_OF_GAUSSIANS.derive({"k_c": 0.8, "w_c_deg": 0.2, "k_s": 0.0, "w_s_deg": 1.0}, x)
    assert narrow["si"] == 0.0
    assert 0.0 <= narrow["gsf_deg"] - 0.4 * erfinv(np.sqrt(0.95)) < 4.0 / 4000


def test_the_gsf_is_the_first_grid_diameter_where_the_curve_reaches_95_percent_of_its_peak():
    """No surround: R = k_c erf^2(d / 2 w_c) reaches k_c (erf(20) = 1 in doubles) and 95 % of it at
    d* = 2 w_c erfinv(sqrt 0.95). The GSF is the first grid diameter (step 1/1000 of the largest, here 3 deg)
    at or above d*; with k_c chosen so that R(277) = 0.95 k_c exactly (largest diameter 1000), "reaches" takes
    277 itself, not the next sample."""
    x = np.array([0.5, 1.0, 3.0])
    prm = {"k_c": 1.0, "w_c_deg": 0.3, "k_s": 0.0, "w_s_deg": 1.0}
    gsf = RATIO_OF_GAUSSIANS.derive(prm, x)["gsf_deg"]
    assert gsf / 0.003 == pytest.approx(round(gsf / 0.003), abs=1e-6)
    assert 0.0 <= gsf - 0.6 * erfinv(np.sqrt(0.95)) < 0.003
    w_c = 277.0 / (2 * erfinv(np.sqrt(0.95)))
    k_c = next(k for k in np.linspace(0.5, 2.0, 2001) if ratio_of_gaussians(277.0, k, w_c, 0.0, 1.0) == 0.95 * k)
    assert ratio_of_gaussians(4000.0, k_c, w_c, 0.0, 1.0) == k_c
    at = {"k_c": k_c, "w_c_deg": w_c, "k_s": 0.0, "w_s_deg": 1.0}
    assert RATIO_OF_GAUSSIANS.derive(at, np.array([250.0, 1000.0]))["gsf_deg"] == 277.0
