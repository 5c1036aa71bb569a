"""The Brain-Score KS similarity, its bootstrap, and the ceiling of the biological data."""

import numpy as np
import pytest

from v1lab.population import bootstrap_similarity, ks_similarity, reference_ceiling
from v1lab.references import list_references, load_reference


def test_ks_similarity_hand_values():
    q = np.array([0.25, 0.5, 0.25])
    assert ks_similarity(q, q) == pytest.approx(1.0)
    # cumsums [.5, 1, 1] vs [.25, .75, 1]: KS = .25; farthest histograms (all mass first/last) are .75 away
    assert ks_similarity(np.array([0.5, 0.5, 0.0]), q) == pytest.approx(1 - 0.25 / 0.75)
    assert ks_similarity(np.array([1.0, 0.0, 0.0]), q) == pytest.approx(0.0)
    assert ks_similarity(np.array([0.0, 0.0, 1.0]), q) == pytest.approx(0.0)
    # skewed reference: the normaliser is the larger of the two extreme distances
    q2 = np.array([0.7, 0.2, 0.1])
    assert ks_similarity(np.array([0.0, 0.0, 1.0]), q2) == pytest.approx(0.0)
    assert ks_similarity(np.array([1.0, 0.0, 0.0]), q2) == pytest.approx(1 - 0.3 / 0.9)


def test_multinomial_bootstrap_equals_resampling_units(ringach_cv, rng):
    """Binning a with-replacement resample is a multinomial draw: both give the same mean similarity."""
    values = rng.beta(2, 2, size=500)
    res = bootstrap_similarity(values, ringach_cv, n_boot=2000, rng=np.random.default_rng(1))
    q = ringach_cv.probabilities
    direct = [ks_similarity(ringach_cv.histogram(rng.choice(values, ringach_cv.n)) / ringach_cv.n, q)
              for _ in range(2000)]
    assert res.similarity == pytest.approx(np.mean(direct), abs=0.01)
    assert res.ci_low < res.similarity < res.ci_high


@pytest.mark.parametrize("name", list_references())
def test_biological_sample_against_itself_scores_at_the_ceiling(name):
    ref = load_reference(name)
    centres = np.repeat((ref.bin_edges[:-1] + ref.bin_edges[1:]) / 2, ref.counts)  # reproduces the counts
    res = bootstrap_similarity(centres, ref, n_boot=2000, rng=np.random.default_rng(0))
    assert res.ks_distance == pytest.approx(0.0)
    assert res.normalised_score == pytest.approx(1.0, abs=0.03)
    assert 0.8 < res.ceiling < 1.0  # finite samples never reproduce the histogram exactly


def test_resample_scores_near_ceiling_and_shift_scores_lower(ringach_cv, rng):
    same = ringach_cv.sample(1000, rng=rng)
    shifted = np.clip(ringach_cv.sample(1000, rng=rng) + 0.25, 0, 1)
    ceiling = reference_ceiling(ringach_cv, n_boot=1000, rng=rng)
    a = bootstrap_similarity(same, ringach_cv, n_boot=1000, rng=rng, ceiling_draws=ceiling)
    b = bootstrap_similarity(shifted, ringach_cv, n_boot=1000, rng=rng, ceiling_draws=ceiling)
    assert a.normalised_score > 0.93
    assert b.normalised_score < 0.75 and b.ci_high < a.ci_low


def test_empty_model_sample_is_nan_not_an_error(ringach_cv, rng):
    res = bootstrap_similarity([np.nan, np.inf], ringach_cv, n_boot=50, rng=rng)
    assert res.n_model == 0 and np.isnan(res.similarity) and res.ceiling > 0
