"""Paired statistics against hand-computed values."""

import numpy as np
import pytest
import torch
from scipy.stats import binomtest

from v1lab.errors import AnalysisError
from v1lab.lesion import Outcomes, compare_paired, permutation_p


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
    assert cmp.delta_top1_ci[0] <= cmp.delta_top1 <= cmp.delta_top1_ci[1]


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
