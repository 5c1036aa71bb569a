"""A layer's fits run as one batch per model and grid, and give each curve the fit it gets on its own."""

import numpy as np
import pytest

from v1lab import fits as F


def test_a_batch_gives_each_curve_the_fit_it_gets_alone():
    rng = np.random.default_rng(0)
    oris = np.arange(0.0, 180.0, 15.0)
    curves = np.stack([F.von_mises(oris, 0.1, 1.0, 2.0, 20.0 * u) + 0.05 * rng.standard_normal(oris.size)
                       for u in range(9)])
    batch = F.fit_von_mises_many(curves, oris)
    frame = batch.to_frame("ori_vm")
    for u, curve in enumerate(curves):
        alone = F.fit_von_mises(curve, oris).as_row("ori_vm")
        assert list(frame.columns) == list(alone)
        for key, value in alone.items():
            got = frame[key].iloc[u]
            if isinstance(value, float):
                assert got == pytest.approx(value, rel=1e-9, abs=1e-12, nan_ok=True), key
            else:
                assert got == value, key


def test_batch_intervals_covariance_and_prediction():
    x = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
    truth = F.log_gaussian(x, 0.0, 1.0, 2.0, 0.8)
    noise = np.array([0.01, -0.02, 0.015, -0.01, 0.02, -0.005])
    batch = F.fit_log_gaussian_many(np.stack([truth + noise, np.full(6, 0.3)]), x)
    assert batch.status.tolist() == ["ok", "failed"] and "do not vary" in batch.reason[1]
    # the Wald interval is p +- t_{0.975, n-p} sqrt(C_jj), the same from cov as from the stored ends
    assert np.allclose(batch.conf_int(0.05)[0], np.stack([batch.ci_low[0], batch.ci_high[0]], axis=-1))
    assert np.allclose(batch.cov[0], batch.cov[0].T) and np.all(np.linalg.eigvalsh(batch.cov[0]) > 0)
    wider = batch.conf_int(0.01)[0]
    assert np.all(wider[:, 0] < batch.ci_low[0]) and np.all(wider[:, 1] > batch.ci_high[0])
    assert np.allclose(batch.predict()[0], truth, atol=0.05) and np.isnan(batch.predict()[1]).all()
    placed = batch.place([3, 0], 5, status="skipped", reason="not asked")
    assert placed.status.tolist() == ["failed", "skipped", "skipped", "ok", "skipped"]
    assert placed.params[3] == pytest.approx(batch.params[0]) and "2 fitted" not in placed.summary()
    assert "1 fitted" in placed.summary() and "skipped: 3" in placed.summary()
