"""Paired statistics, null comparisons and verdicts against hand-computed values."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint

from v1lab.errors import AnalysisError
from v1lab.lesion import (Outcomes, compare_paired, compare_to_null, paired_difference_ci, permutation_p,
                          training_overlap_note, verdict)


def test_outcomes_from_logits():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, -2.0, -3.0], [0.0, 0.0, 5.0, 0.0, 0.0, 9.0]])
    out = Outcomes.from_logits(logits, torch.tensor([0, 3]))
    expected = logits.double().log_softmax(1)[[0, 1], [0, 3]].numpy()
    np.testing.assert_allclose(out.logp, expected)
    assert out.top1.tolist() == [True, False] and out.top5.tolist() == [True, True]


def _outcomes(top1, logp=None):
    top1 = np.asarray(top1, bool)
    return Outcomes(np.zeros(len(top1)) if logp is None else np.asarray(logp, float), top1, top1.copy())


def test_mcnemar_is_the_exact_binomial_test_on_discordant_pairs():
    base = _outcomes([1] * 30 + [0] * 10)
    # 7 images right->wrong, 1 wrong->right: b=7, c=1
    lesion = _outcomes([0] * 7 + [1] * 23 + [1] + [0] * 9)
    cmp = compare_paired(base, lesion, n_resamples=200)
    assert cmp.mcnemar_p == pytest.approx(binomtest(1, 8, 0.5).pvalue)
    assert cmp.delta_top1 == pytest.approx((24 - 30) / 40)
    assert (cmp.top1_lost, cmp.top1_gained) == (7, 1)
    assert cmp.delta_top1_ci == paired_difference_ci([[23, 7], [1, 9]])
    assert cmp.delta_top1_ci[0] < cmp.delta_top1 < cmp.delta_top1_ci[1] < 0


def test_newcombe_interval_of_a_paired_difference():
    # Nothing changes: the interval still has a width (a bootstrap interval would be the point 0).
    low, high = paired_difference_ci([[900, 0], [0, 100]])
    assert low == pytest.approx(-high) and 0.001 < high < 0.01
    # Large n: close to the Wald interval of (c - b)/n with SE sqrt(b + c - (b - c)^2 / n) / n.
    a, b, c, d = 6000, 400, 250, 3350
    n = a + b + c + d
    se = np.sqrt(b + c - (b - c) ** 2 / n) / n
    low, high = paired_difference_ci([[a, b], [c, d]])
    assert low == pytest.approx((c - b) / n - 1.96 * se, abs=5e-4)
    assert high == pytest.approx((c - b) / n + 1.96 * se, abs=5e-4)
    # Orientation: after minus before; swapping b and c mirrors the interval.
    assert paired_difference_ci([[a, c], [b, d]]) == pytest.approx((-high, -low))
    assert paired_difference_ci([[a, b], [c, d]], 0.99)[0] < low


def test_wilcoxon_and_ci_on_a_shift():
    rng = np.random.default_rng(0)
    base_logp = rng.normal(-1, 0.3, 200)
    base = Outcomes(base_logp, np.ones(200, bool), np.ones(200, bool))
    shifted = Outcomes(base_logp - 0.2 + rng.normal(0, 0.05, 200), base.top1, base.top5)
    cmp = compare_paired(base, shifted, n_resamples=500, seed=3)
    assert cmp.wilcoxon_p < 1e-10 and cmp.mcnemar_p == 1.0
    lo, hi = cmp.mean_delta_logp_ci
    assert lo < -0.2 < hi and hi - lo < 0.05
    assert cmp == compare_paired(base, shifted, n_resamples=500, seed=3)
    unchanged = compare_paired(base, base)
    assert unchanged.wilcoxon_p == 1.0 and unchanged.mean_delta_logp_ci == (0.0, 0.0)


def test_compare_paired_needs_the_same_images():
    with pytest.raises(AnalysisError, match="same non-zero number"):
        compare_paired(_outcomes([1, 0]), _outcomes([1]))


def test_permutation_p_with_plus_one_correction():
    null = np.arange(99.0)
    assert permutation_p(-1.0, null, alternative="less") == pytest.approx(1 / 100)
    assert permutation_p(-1.0, null) == pytest.approx(2 / 100)
    assert permutation_p(49.0, null, alternative="greater") == pytest.approx(51 / 100)
    assert permutation_p(49.0, null) == 1.0
    with pytest.raises(AnalysisError, match="empty null"):
        permutation_p(0.0, np.array([]))


def test_phipson_smyth_floor_for_the_protocol_sizes():
    for m in (20, 100):
        null = np.linspace(-1, -0.5, m)
        assert permutation_p(0.0, null) == pytest.approx(2 / (m + 1))   # beyond every draw: the floor
    assert 2 / 21 > 0.05 > 2 / 101


def _cmp(mcnemar_p=0.5, wilcoxon_p=0.5, delta_logp=-0.1):
    n = 100
    base = Outcomes(np.zeros(n), np.ones(n, bool), np.ones(n, bool))
    lesion = Outcomes(np.full(n, delta_logp), np.r_[np.zeros(5, bool), np.ones(n - 5, bool)], np.ones(n, bool))
    cmp = compare_paired(base, lesion, n_resamples=200)
    return replace(cmp, mcnemar_p=mcnemar_p, wilcoxon_p=wilcoxon_p)


def test_rank_against_the_null_with_a_wilson_interval():
    cmp = _cmp(delta_logp=-0.125)
    null_logp = np.r_[np.full(15, -0.0625), np.full(4, -0.5), -0.125]   # 15 cost less, 4 more, 1 tie
    s = compare_to_null(cmp, np.zeros(20), null_logp, null="matched")
    assert s.rank_logp == pytest.approx(15.5 / 20)
    assert s.rank_logp_ci == pytest.approx(proportion_confint(15.5, 20, alpha=0.05, method="wilson"))
    assert s.p_logp == permutation_p(-0.125, null_logp) and s.median_delta_logp == -0.0625
    assert set(s.as_row("matched")) >= {"matched_p_logp", "matched_rank_logp_low", "matched_n"}


def test_verdict_is_significant_only_by_the_holm_adjusted_primary_test():
    cmp = _cmp(mcnemar_p=1e-4, wilcoxon_p=1e-9)
    holm = {"mcnemar_p": 0.2, "wilcoxon_p": 1e-7, "matched_p_logp": 1.0}
    text = verdict("the x group", 3, cmp, holm=holm, family=40, alpha=0.05)
    assert "no significant effect" in text and "Holm p=0.2 over the run's 40 tests" in text
    assert "a significant effect" in verdict("the x group", 3, _cmp(mcnemar_p=1e-4, wilcoxon_p=0.9),
                                             holm={"mcnemar_p": 0.004, "wilcoxon_p": 1.0}, family=40)
    s = compare_to_null(cmp, np.zeros(20), np.zeros(20), null="matched")
    text = verdict("the x group", 3, cmp, holm=holm, family=40, nulls=[s], matched_on="filter_norm")
    assert "20 sets matched on filter_norm" in text and "smallest possible 0.0952" in text


def test_training_overlap_note():
    note = training_overlap_note(0.905, 1000, 0.749)
    assert "likely overlap ImageNet's training set" in note and "0.749" in note
    assert "consistent with held-out images" in training_overlap_note(0.75, 1000, 0.749)
    assert "unknown" in training_overlap_note(0.9, 100, None)
