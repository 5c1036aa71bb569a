"""The spline metrics take a stack of curves (last axis) and give each curve what it gets on its own."""

import numpy as np
import pytest

from v1lab.metrics import orientation_bandwidth, peak_spatial_frequency, spatial_frequency_bandwidth

ORIS = np.arange(0.0, 180.0, 15.0)
SFS = np.geomspace(0.35, 11.2, 11)


def _orientation_curves(rng, n=40):
    pref = rng.uniform(0, 180, (n, 1))
    kappa = rng.uniform(0.3, 5.0, (n, 1))
    tuned = np.exp(kappa * (np.cos(np.deg2rad(2 * (ORIS - pref))) - 1))
    return np.concatenate([tuned + 0.05 * rng.random(tuned.shape), rng.random((5, ORIS.size)), -np.ones((1, 12))])


def _sf_curves(rng, n=40):
    peak = 2 ** rng.uniform(-2, 4, (n, 1))
    sigma = rng.uniform(0.3, 2.0, (n, 1))
    tuned = np.exp(-np.log2(SFS / peak) ** 2 / (2 * sigma**2))
    return np.concatenate([tuned + 0.05 * rng.random(tuned.shape), rng.random((5, SFS.size)), -np.ones((1, 11))])


@pytest.mark.parametrize("smoothing", [True, False])
def test_orientation_bandwidth_of_a_stack(smoothing):
    curves = _orientation_curves(np.random.default_rng(0))
    stacked = orientation_bandwidth(curves[::-1].reshape(2, -1, ORIS.size), ORIS[::-1] + 180.0, smoothing=smoothing)
    alone = np.array([orientation_bandwidth(c, ORIS, smoothing=smoothing) for c in curves[::-1]])
    assert stacked.shape == (2, len(curves) // 2)
    np.testing.assert_allclose(stacked.ravel(), alone, rtol=1e-12, atol=1e-12)
    assert np.isfinite(alone).sum() > 20 and np.isnan(alone).sum() >= 1   # both outcomes are exercised


@pytest.mark.parametrize("smoothing", [True, False])
def test_sf_peak_and_bandwidth_of_a_stack(smoothing):
    curves = _sf_curves(np.random.default_rng(1))
    order = np.random.default_rng(2).permutation(SFS.size)      # any order of the frequencies
    peaks = peak_spatial_frequency(curves[:, order], SFS[order], smoothing=smoothing)
    widths = spatial_frequency_bandwidth(curves[:, order], SFS[order], smoothing=smoothing)
    for c, p, w in zip(curves, peaks, widths):
        assert p == pytest.approx(peak_spatial_frequency(c, SFS, smoothing=smoothing), nan_ok=True, rel=1e-12)
        assert w == pytest.approx(spatial_frequency_bandwidth(c, SFS, smoothing=smoothing), nan_ok=True, rel=1e-12)
    assert np.isfinite(widths).sum() > 10 and np.isnan(widths).sum() >= 1
    assert isinstance(peak_spatial_frequency(curves[0], SFS), float)
