"""Holm's step-down adjustment, computed by hand on small families and checked against statsmodels."""

import gc

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from v1lab.multitest import adjust_p_values


def test_holm_by_hand_with_a_step_that_the_running_maximum_lifts():
    # sorted: 0.005, 0.01, 0.03, 0.04 -> 4 x 0.005, 3 x 0.01, 2 x 0.03, max(0.06, 1 x 0.04)
    reject, adjusted = adjust_p_values([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02], rtol=1e-12)
    assert reject.tolist() == [True, False, False, True]


@pytest.mark.parametrize("alpha, rejected", [(0.03, [True, False, False, True]),
                                             (0.0299, [False, False, False, True]),
                                             (0.06, [True, True, True, True]),
                                             (0.0599, [True, False, False, True])])
def test_rejected_exactly_when_the_adjusted_p_is_at_most_alpha(alpha, rejected):
    assert adjust_p_values([0.01, 0.04, 0.03, 0.005], alpha=alpha)[0].tolist() == rejected


def test_adjusted_p_values_stop_at_one():
    np.testing.assert_allclose(adjust_p_values([0.5, 0.6, 0.2])[1], [1.0, 1.0, 0.6], rtol=1e-12)


def test_missing_p_values_are_left_out_of_the_family():
    reject, adjusted = adjust_p_values([0.01, np.nan, 0.02, np.nan])   # m = 2, not 4
    np.testing.assert_allclose(adjusted, [0.02, np.nan, 0.02, np.nan])
    assert reject.tolist() == [True, False, True, False]
    reject, adjusted = adjust_p_values([np.nan, np.nan])
    assert not reject.any() and np.isnan(adjusted).all()
    assert [a.shape for a in adjust_p_values([])] == [(0,), (0,)]


@pytest.mark.parametrize("seed", range(5))
def test_holm_equals_statsmodels(seed):
    rng = np.random.default_rng(seed)
    p = np.round(rng.uniform(0, 0.2, size=3 + 7 * seed), 2)   # rounded: ties
    want_reject, want, _, _ = multipletests(p, alpha=0.05, method="holm")
    reject, adjusted = adjust_p_values(p, alpha=0.05)
    np.testing.assert_allclose(adjusted, want, rtol=1e-12)
    np.testing.assert_array_equal(reject, want_reject)


def test_other_methods_are_statsmodels_on_the_tested_p_values():
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.2])
    reject, adjusted = adjust_p_values(p, method="fdr_bh", alpha=0.05)
    want_reject, want, _, _ = multipletests(p[~np.isnan(p)], alpha=0.05, method="fdr_bh")
    np.testing.assert_allclose(adjusted[~np.isnan(p)], want)
    assert np.isnan(adjusted[1])
    np.testing.assert_array_equal(reject, np.insert(want_reject, 1, False))


def test_holm_runs_no_garbage_collection(monkeypatch):
    def collect(*args):
        raise AssertionError("gc.collect called")

    monkeypatch.setattr(gc, "collect", collect)
    adjust_p_values([0.01, 0.02])
