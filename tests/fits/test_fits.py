"""Fits recover planted parameters (noise-free exactly, noisy within calibrated CIs) and report failures."""

import numpy as np
import pytest

from v1lab.fits import (
    fit_log_gaussian,
    fit_naka_rushton,
    fit_ratio_of_gaussians,
    fit_von_mises,
    log_gaussian,
    naka_rushton,
    ratio_of_gaussians,
    von_mises,
    von_mises_bandwidth,
)
from v1lab.metrics import orientation_bandwidth

ORIS = np.arange(0.0, 180.0, 15.0)
SFS = 2.0 ** np.arange(-2.0, 4.01, 0.5)
SIZES = np.linspace(0.25, 8.0, 16)
CONTRASTS = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0])

CASES = {
    "von_mises": (fit_von_mises, von_mises, ORIS, dict(baseline=0.5, amplitude=3.0, kappa=2.0, pref_deg=150.0)),
    "log_gaussian": (fit_log_gaussian, log_gaussian, SFS,
                     dict(baseline=0.1, amplitude=2.0, peak_cpd=1.5, sigma_oct=0.7)),
    "ratio_of_gaussians": (fit_ratio_of_gaussians, ratio_of_gaussians, SIZES,
                           dict(k_c=2.0, w_c_deg=0.5, k_s=1.5, w_s_deg=1.5)),
    "naka_rushton": (fit_naka_rushton, naka_rushton, CONTRASTS, dict(baseline=0.1, r_max=2.0, c50=0.2, n=2.0)),
}


@pytest.mark.parametrize("name", CASES)
def test_noise_free_fit_recovers_parameters(name):
    fit, model, x, truth = CASES[name]
    res = fit(model(x, **truth), x)
    assert res.success and res.model == name
    assert res.r_squared == pytest.approx(1.0, abs=1e-8)
    for k, v in truth.items():
        assert res.params[k] == pytest.approx(v, rel=1e-3, abs=1e-4), k


@pytest.mark.parametrize("name", CASES)
def test_confidence_intervals_cover_planted_parameters(name):
    fit, model, x, truth = CASES[name]
    clean = model(x, **truth)
    # the ratio of Gaussians is ill-conditioned (k_c and k_s trade off): its Wald intervals cover only ~75 %
    # at 2 % noise (measured, docs/metrics.md), ~90 % at 0.5 %
    noise = (0.005 if name == "ratio_of_gaussians" else 0.02) * np.ptp(clean)
    covered, total = 0, 0
    for seed in range(30):
        y = clean + np.random.default_rng(seed).normal(0.0, noise, x.size)
        res = fit(y, x)
        assert res.success, res.reason
        for k, v in truth.items():
            total += 1
            covered += res.ci_low[k] <= v <= res.ci_high[k]
    # nominal 95 %; Wald intervals of a nonlinear model with ~10 samples are somewhat optimistic
    assert covered / total >= 0.85


def test_von_mises_bandwidth_matches_the_metric_on_the_fitted_curve():
    res = fit_von_mises(von_mises(ORIS, 0.0, 1.0, 1.5, 20.0), ORIS)
    theta = np.arange(0.0, 180.0, 2.0)
    expected = orientation_bandwidth(von_mises(theta, 0.0, 1.0, 1.5, 20.0), theta, smoothing=False)
    assert res.derived["bandwidth_deg"] == pytest.approx(expected, abs=0.1)


def test_ratio_of_gaussians_derived_si_uses_the_asymptote():
    truth = dict(k_c=2.0, w_c_deg=0.5, k_s=1.5, w_s_deg=1.5)
    res = fit_ratio_of_gaussians(ratio_of_gaussians(SIZES, **truth), SIZES)
    dense = np.linspace(0.0, 32.0, 100_001)
    peak = ratio_of_gaussians(dense, **truth).max()
    assert res.derived["si"] == pytest.approx((peak - 2.0 / 2.5) / peak, abs=1e-3)


@pytest.mark.parametrize("y,x,reason", [
    (np.ones(12), ORIS, "do not vary"),
    ([1.0, 2.0, 3.0], [0.0, 60.0, 120.0], "need more samples than parameters"),
    (np.r_[np.nan, np.ones(11)], ORIS, "non-finite"),
])
def test_failed_fit_reports_its_reason(y, x, reason):
    res = fit_von_mises(y, x)
    assert not res.success and res.status == "failed"
    assert reason in res.reason
    assert np.isnan(res.params["kappa"]) and np.isnan(res.r_squared)
    assert "failed" in res.summary() and reason in res.summary()


def test_nonpositive_frequency_fails_with_reason():
    res = fit_log_gaussian([1.0, 2.0, 3.0, 2.0, 1.0], [0.0, 1.0, 2.0, 4.0, 8.0])
    assert not res.success and "positive" in res.reason


def test_row_and_summary_name_every_parameter():
    fit, model, x, truth = CASES["naka_rushton"]
    res = fit(model(x, **truth), x)
    row = res.as_row("nr")
    for k in truth:
        assert {f"nr_{k}", f"nr_{k}_ci_low", f"nr_{k}_ci_high"} <= row.keys()
        assert k in res.summary()
    assert row["nr_status"] == "ok" and "Wald" in res.summary()


def test_von_mises_bandwidth_undefined_for_broad_curves():
    # 1 - ln2/(2 kappa) < -1  <=>  kappa < ln2 / 4: the curve never falls to 1/sqrt(2) of its height
    assert np.isnan(von_mises_bandwidth(0.1))
    assert von_mises_bandwidth(np.log(2) / 2) == pytest.approx(45.0)


@pytest.mark.parametrize("sigma_oct, peak_cpd", [(0.6, 1.5), (1.1, 3.2)])
def test_log_gaussian_bandwidth_is_in_octaves(sigma_oct, peak_cpd):
    """A curve planted in octaves, exp(-k^2 / (2 sigma^2)) at f = f0 2^k, falls to 1/sqrt2 at k = +-sigma sqrt(ln 2):
    the model takes that value there, the fit recovers sigma in octaves and its bandwidth is 2 sigma sqrt(ln 2)."""
    half = sigma_oct * np.sqrt(np.log(2.0))
    edges = peak_cpd * 2.0 ** np.array([-half, half])
    np.testing.assert_allclose(log_gaussian(edges, 0.0, 1.0, peak_cpd, sigma_oct), 2 ** -0.5, rtol=1e-12)
    k = np.arange(-3.0, 3.01, 0.25)
    res = fit_log_gaussian(0.2 + np.exp(-k ** 2 / (2 * sigma_oct ** 2)), peak_cpd * 2.0 ** k)
    assert res.params["sigma_oct"] == pytest.approx(sigma_oct, rel=1e-6)
    assert res.params["peak_cpd"] == pytest.approx(peak_cpd, rel=1e-6)
    assert res.derived["bandwidth_oct"] == pytest.approx(2 * half, rel=1e-6)
