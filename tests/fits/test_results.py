"""FitBatch and FitResult: intervals, predictions, placement, tables and summaries computed from their definitions."""

import numpy as np
import pytest
from scipy import stats

from v1lab.fits import LOG_GAUSSIAN, NAKA_RUSHTON, VON_MISES, FitBatch, fit_von_mises, fit_von_mises_many, von_mises
from v1lab.fits._result import FitResult

ORIS = np.arange(0.0, 180.0, 15.0)
TRUE = [(0.5, 3.0, 2.0, 150.0), (-0.2, 1.5, 4.0, 30.0)]


def _noisy_batch(ci_level=0.95):
    g = np.random.default_rng(3)
    curves = np.array([von_mises(ORIS, *p) for p in TRUE]) + 0.05 * g.standard_normal((2, ORIS.size))
    return curves, fit_von_mises_many(curves, ORIS, ci_level=ci_level)


@pytest.mark.parametrize("level", [0.95, 0.8])
def test_conf_int_is_the_wald_interval_of_the_covariance(level):
    _, batch = _noisy_batch(ci_level=level)
    assert batch.ci_level == level and batch.n_obs == ORIS.size and "Wald" in batch.ci_method
    half = stats.t.ppf(1 - (1 - level) / 2, ORIS.size - 4) * np.sqrt(np.diagonal(batch.cov, axis1=1, axis2=2))
    ci = batch.conf_int(alpha=1 - level)
    np.testing.assert_allclose(ci[..., 0], batch.params - half, rtol=1e-12)
    np.testing.assert_allclose(ci[..., 1], batch.params + half, rtol=1e-12)
    np.testing.assert_allclose(ci[..., 0], batch.ci_low, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ci[..., 1], batch.ci_high, rtol=1e-9, atol=1e-12)


def test_conf_int_uses_at_least_one_degree_of_freedom():
    batch = FitBatch.not_fitted(VON_MISES, 1, "failed", "", x=ORIS[:4])
    batch.params[0], batch.cov[0] = [1.0, 2.0, 3.0, 4.0], np.diag([4.0, 1.0, 1.0, 1.0])
    t1 = stats.t.ppf(0.975, 1)
    np.testing.assert_allclose(batch.conf_int()[0, 0], [1.0 - 2 * t1, 1.0 + 2 * t1], rtol=1e-12)


def test_predict_evaluates_the_fitted_model_and_nan_where_not_fitted():
    curves, batch = _noisy_batch()
    placed = batch.place([2, 0], 3, status="skipped", reason="why")
    theta = np.array([7.0, 95.0, 171.0])
    for row, src in ((2, 0), (0, 1)):
        np.testing.assert_allclose(placed.predict()[row], von_mises(ORIS, *batch.params[src]), rtol=1e-12)
        np.testing.assert_allclose(placed.predict(theta[:, None].tolist())[row], von_mises(theta, *batch.params[src]),
                                   rtol=1e-12)
    assert np.all(np.isnan(placed.predict()[1]))


def test_place_puts_each_fit_at_its_row_and_marks_the_others():
    _, batch = _noisy_batch(ci_level=0.9)
    placed = batch.place([2, 0], 4, status="skipped", reason="not responsive")
    assert len(placed) == 4 and placed.n_obs == batch.n_obs and placed.ci_level == 0.9
    assert placed.ci_method == batch.ci_method and np.array_equal(placed.x, ORIS)
    assert list(placed.status) == ["ok", "skipped", "ok", "skipped"]
    assert list(placed.success) == [True, False, True, False]
    assert placed.reason[1] == placed.reason[3] == "not responsive"
    for name in ("params", "ci_low", "ci_high", "cov", "r_squared", "derived"):
        np.testing.assert_array_equal(getattr(placed, name)[[2, 0]], getattr(batch, name), err_msg=name)
        assert np.all(np.isnan(getattr(placed, name)[[1, 3]])), name
    assert placed[2] == batch[0] and placed[0] == batch[1]


def test_not_fitted_counts_its_samples_unless_told():
    default = FitBatch.not_fitted(VON_MISES, 2, "no data", "r", x=ORIS.astype(int).tolist())
    assert (default.n_obs, default.ci_level, default.ci_method) == (ORIS.size, 0.95, "")
    assert default.x.dtype == float and np.array_equal(default.x, ORIS)
    longer = FitBatch.not_fitted(VON_MISES, 1, "no data", "", x=ORIS).place([1], 2, status="ok", reason="")
    assert list(longer.status) == ["ok", "no data"]                   # any status fits whatever the others
    empty = FitBatch.not_fitted(NAKA_RUSHTON, 3, "no data", "none", x=ORIS, n_obs=5, ci_level=0.9, ci_method="m")
    assert (empty.n_obs, empty.ci_level, empty.ci_method, len(empty)) == (5, 0.9, "m", 3)
    assert empty.params.shape == empty.ci_low.shape == empty.ci_high.shape == (3, 4)
    assert empty.cov.shape == (3, 4, 4) and empty.derived.shape == (3, 0) and empty.r_squared.shape == (3,)
    assert list(empty.status) == ["no data"] * 3 and list(empty.reason) == ["none"] * 3
    assert all(np.isnan(a).all() for a in (empty.params, empty.ci_low, empty.ci_high, empty.cov, empty.r_squared))
    assert empty.place([1, 3, 0], 4, status="skipped", reason="").n_obs == 5
    none = FitBatch.not_fitted(NAKA_RUSHTON, 0, "ok", "", x=ORIS).place([], 2, status="skipped", reason="")
    assert list(none.status) == ["skipped", "skipped"]
    empty.params[0, 0] = 1.0
    assert np.isnan(empty.ci_low[0, 0]) and np.isnan(empty.ci_high[0, 0])


def test_indexing_and_iteration_give_each_curves_result():
    _, batch = _noisy_batch()
    results = list(batch)
    assert len(results) == 2
    for i, res in enumerate(results):
        assert res.model == "von_mises" and res.success and res.status == "ok"
        assert res.params == dict(zip(VON_MISES.names, batch.params[i]))
        assert res.ci_low == dict(zip(VON_MISES.names, batch.ci_low[i]))
        assert res.ci_high == dict(zip(VON_MISES.names, batch.ci_high[i]))
        assert res.derived == {"bandwidth_deg": batch.derived[i, 0]}
        assert (res.r_squared, res.n_obs, res.ci_level, res.ci_method) == (
            batch.r_squared[i], ORIS.size, 0.95, batch.ci_method)
        assert res.reason == batch.reason[i] and isinstance(res.reason, str)


def test_to_frame_has_one_column_per_parameter_interval_and_derived_quantity():
    _, batch = _noisy_batch()
    placed = batch.place([1, 0], 3, status="failed", reason="broken")
    frame = placed.to_frame("ori")
    expected = [f"ori_{k}{s}" for k in VON_MISES.names for s in ("", "_ci_low", "_ci_high")]
    assert list(frame.columns) == expected + ["ori_bandwidth_deg", "ori_r2", "ori_status", "ori_reason"]
    for j, k in enumerate(VON_MISES.names):
        np.testing.assert_array_equal(frame[f"ori_{k}"], placed.params[:, j])
        np.testing.assert_array_equal(frame[f"ori_{k}_ci_low"], placed.ci_low[:, j])
        np.testing.assert_array_equal(frame[f"ori_{k}_ci_high"], placed.ci_high[:, j])
    np.testing.assert_array_equal(frame["ori_bandwidth_deg"], placed.derived[:, 0])
    np.testing.assert_array_equal(frame["ori_r2"], placed.r_squared)
    assert list(frame["ori_status"]) == ["ok", "ok", "failed"]
    assert list(frame["ori_reason"]) == [placed.reason[0], placed.reason[1], "broken"]


def test_batch_summary_counts_statuses_and_gives_medians():
    _, batch = _noisy_batch()
    placed = batch.place([0, 1], 5, status="skipped", reason="")
    placed.status[4] = "failed"
    text = placed.summary().splitlines()
    assert text[0] == "von_mises: 5 curves, 2 fitted, n_obs = 12"
    assert text[1:3] == ["  failed: 1", "  skipped: 2"]
    assert text[3] == f"  median R^2 = {np.median(batch.r_squared):.4g}"
    for j, k in enumerate(VON_MISES.names):
        assert text[4 + j] == f"  {k:<14} median {np.median(batch.params[:, j]):.5g}"
    assert len(text) == 8
    none = FitBatch.not_fitted(VON_MISES, 2, "no data", "", x=ORIS)
    assert none.summary().splitlines() == ["von_mises: 2 curves, 0 fitted, n_obs = 12", "  no data: 2"]


def test_result_row_and_summary_hold_every_field():
    res = FitResult(model="m", params={"a": 1.5, "b": -2.0}, ci_low={"a": 1.0, "b": -3.0},
                    ci_high={"a": 2.0, "b": -1.0}, ci_method="how", ci_level=0.9, r_squared=0.75, n_obs=7,
                    success=True, reason="a caveat", derived={"w": 4.0})
    assert res.as_row("p") == {"p_a": 1.5, "p_a_ci_low": 1.0, "p_a_ci_high": 2.0, "p_b": -2.0, "p_b_ci_low": -3.0,
                               "p_b_ci_high": -1.0, "p_w": 4.0, "p_r2": 0.75, "p_status": "ok",
                               "p_reason": "a caveat"}
    assert res.summary().splitlines() == [
        "m fit: ok (a caveat)",
        "n_obs = 7, R^2 = 0.75, CI: 90% how",
        f"{'parameter':<16}{'value':>12}{'ci_low':>12}{'ci_high':>12}",
        f"{'a':<16}{1.5:>12.5g}{1.0:>12.5g}{2.0:>12.5g}",
        f"{'b':<16}{-2.0:>12.5g}{-3.0:>12.5g}{-1.0:>12.5g}",
        f"{'w':<16}{4.0:>12.5g}{'(derived)':>24}",
    ]
    bare = FitResult(model="m", params={}, ci_low={}, ci_high={}, ci_method="", ci_level=0.95, r_squared=np.nan,
                     n_obs=0, success=False)
    assert bare.reason == "" and bare.derived == {} and bare.status == "failed"
    assert bare.summary().splitlines()[0] == "m fit: failed"
    assert bare.as_row("q") == {"q_r2": bare.r_squared, "q_status": "failed", "q_reason": ""}


def test_single_curve_fit_is_the_first_row_of_the_batch():
    curves, batch = _noisy_batch(ci_level=0.8)
    assert fit_von_mises(curves[1], ORIS, ci_level=0.8) == batch[1]


def test_predict_at_zero_frequency_is_the_baseline():
    """log2(0 / f0)^2 = inf, exp(-inf) = 0: a log-Gaussian at 0 cycles/deg is its baseline, silently."""
    batch = FitBatch.not_fitted(LOG_GAUSSIAN, 1, "ok", "", x=[1.0, 2.0])
    batch.params[0] = [0.3, 2.0, 1.0, 0.5]
    np.testing.assert_allclose(batch.predict([0.0, 1.0, 2.0])[0], [0.3, 2.3, 0.3 + 2.0 * np.exp(-2.0)], rtol=1e-14)
