"""Activation maximisation on the planted network: the optimum of each planted unit is known exactly."""

import numpy as np
import pandas as pd
import pytest
import torch

from preferred.planted_net import DOUBLE_OPPONENT, GABORS, PPD
from v1lab.errors import AnalysisError
from v1lab.preferred import agreement_table, cross_check, measure_stimulus, optimise_preferred
from v1lab.preferred.crosscheck import orientation_difference

STEPS = 80


@pytest.fixture(scope="module")
def result(planted):
    return optimise_preferred(planted, "conv", steps=STEPS, seed=0)


@pytest.fixture(scope="module")
def measured(result):
    out = measure_stimulus(result.images, PPD, weights=result.rf_weights())
    return out.assign(layer="conv", channel=result.channels)


def planted_units() -> pd.DataFrame:
    """The tuning-curve labels the planted units have by construction."""
    rows = [dict(orientation_selective=True, preferred_orientation_deg=t, peak_sf_cpd=f, color_class="luminance",
                 single_opponent=False, double_opponent=False, cell_class="simple") for t, f in GABORS]
    rows.append(dict(orientation_selective=True, preferred_orientation_deg=DOUBLE_OPPONENT[0],
                     peak_sf_cpd=DOUBLE_OPPONENT[1], color_class="colour-preferring", single_opponent=False,
                     double_opponent=True, cell_class="double-opponent"))
    rows.append(dict(orientation_selective=False, preferred_orientation_deg=np.nan, peak_sf_cpd=np.nan,
                     color_class="colour-preferring", single_opponent=True, double_opponent=False,
                     cell_class="single-opponent"))
    return pd.DataFrame(rows).assign(layer="conv", channel=range(6))


def test_gabor_units_get_planted_orientation_and_sf(measured):
    for ch, (theta, sf) in enumerate(GABORS + [DOUBLE_OPPONENT]):
        row = measured.iloc[ch]
        assert orientation_difference(row.orientation_deg, theta) <= 10.0, ch
        assert abs(np.log2(row.sf_cpd / sf)) <= 0.25, ch


def test_colour_content_of_planted_units(measured):
    assert list(measured.color_class[:4]) == ["luminance"] * 4
    assert list(measured.chromatic_structure[:4]) == ["none"] * 4
    do, so = measured.iloc[4], measured.iloc[5]
    assert do.color_class == "colour-preferring" and do.chromatic_structure == "structured"
    assert so.color_class == "colour-preferring" and so.chromatic_structure == "uniform"
    assert do.lm_energy > 10 * do.s_energy and so.lm_energy > 10 * so.s_energy


def test_cross_check_reports_agreement_for_all(measured):
    cross = cross_check(measured, planted_units())
    assert cross.orientation_agree[:5].all() and cross.orientation_agree.isna()[5]
    assert cross.color_agree.all()
    assert cross.opponency_agree[4:].all() and cross.opponency_agree[:4].isna().all()
    table = agreement_table(cross)
    assert table.orientation_agree_rate.iloc[0] == 1.0 and table.n_orientation_selective.iloc[0] == 5
    assert table.color_agree_rate.iloc[0] == 1.0


def test_optimum_beats_the_planted_filter_at_same_contrast(planted, result):
    """A linear unit's best image at fixed contrast is its own filter: the optimiser must come close."""
    from v1lab.recording import CentreUnitRecorder

    rec = CentreUnitRecorder(planted, "conv")
    w = planted.module.conv.weight.detach()
    dev = result.images - result.params["background_display"]
    scale = dev.flatten(1).norm(dim=1) / w.flatten(1).norm(dim=1)
    ideal = result.params["background_display"] + w * scale[:, None, None, None]
    best = rec.record(ideal)[range(6), range(6)]
    assert torch.all(result.activations >= 0.9 * best)


def test_images_are_the_filter_and_negative_its_inverse(planted, result):
    """At fixed contrast a linear unit's best image is its filter, its most suppressive the inverted filter."""
    from v1lab.recording import CentreUnitRecorder

    neg = optimise_preferred(planted, "conv", channels=[0, 4, 5], steps=STEPS, seed=0, negative=True)
    pre = CentreUnitRecorder(planted, "conv", response="pre_relu").record(neg.images)[[0, 1, 2], [0, 4, 5]]
    assert torch.all(pre < 0)
    w = planted.module.conv.weight.detach().flatten(1)
    g = result.params["background_display"]
    cos = torch.nn.functional.cosine_similarity
    assert torch.all(cos((result.images - g).flatten(1), w) > 0.85)
    assert torch.all(cos((neg.images - g).flatten(1), w[[0, 4, 5]]) < -0.85)


def test_seed_reproducible_and_one_batched_run(planted):
    calls = []
    handle = planted.module.conv.register_forward_hook(lambda m, a, o: calls.append(o.shape[0]))
    try:
        a = optimise_preferred(planted, "conv", steps=5, seed=3)
    finally:
        handle.remove()
    b = optimise_preferred(planted, "conv", steps=5, seed=3)
    c = optimise_preferred(planted, "conv", steps=5, seed=4)
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    # one forward per step with all 6 units in the batch, plus the recorder's probe and the final recording
    assert calls.count(6) == 5 + 1 and len(calls) == 5 + 2


def test_bad_channels_raise(planted):
    with pytest.raises(AnalysisError, match="'channels'"):
        optimise_preferred(planted, "conv", channels=[9], steps=1)
    with pytest.raises(AnalysisError, match="'steps'"):
        optimise_preferred(planted, "conv", steps=0)
