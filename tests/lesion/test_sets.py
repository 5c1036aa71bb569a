"""Lesion sets: matched and random-active nulls, cell-class groups from units.csv, inactivity flags."""

import numpy as np
import pandas as pd
import pytest
import torch

from v1lab.errors import UnitsTableError
from v1lab.errors import AnalysisError
from v1lab.lesion import (LesionSet, NaturalStats, Thresholds, inactive_channels, inactivity_table, match_quality,
                          match_strata, matched_controls, random_controls, read_class_groups)


def test_random_controls_are_outside_the_set_same_size_and_seeded():
    tested = LesionSet("inactive", "filter_norm", (1, 4, 7))
    draws = random_controls(tested, 20, 50, seed=0)
    assert len(draws) == 50
    assert all(len(d.channels) == 3 and not set(d.channels) & {1, 4, 7} for d in draws)
    assert draws == random_controls(tested, 20, 50, seed=0)
    assert draws != random_controls(tested, 20, 50, seed=1)
    assert len({d.channels for d in draws}) > 30  # draws vary
    assert random_controls(LesionSet("class", "x", tuple(range(11))), 20, 5, seed=0) == []
    assert {d.null for d in draws} == {"random-active"} and draws[0].set_id == "random-inactive-filter_norm-0000"


def test_strata_widen_until_untested_units_suffice():
    values = np.arange(64.0)
    # Lowest 8 = the lowest octile: widened to the two lowest octiles (8 tested, 8 untested).
    strata = match_strata(values, range(8), 8)
    assert set(np.flatnonzero(strata == strata[0])) == set(range(16)) and len(np.unique(strata)) == 7
    # Lowest 17: widened until the stratum holds at least 17 untested units (5 octiles: 40 units).
    strata = match_strata(values, range(17), 8)
    assert np.sum(strata == strata[0]) == 40
    # A set spread over the layer needs no widening; ties share a stratum.
    assert len(np.unique(match_strata(values, range(0, 64, 8), 8))) == 8
    tied = match_strata(np.r_[np.zeros(10), np.arange(1.0, 55.0)], [40], 8)
    assert len(np.unique(tied[:10])) == 1
    with pytest.raises(AnalysisError, match="not finite"):
        match_strata(np.r_[np.nan, values[1:]], [0], 8)


@pytest.fixture
def norms():
    """64 filter norms, lognormal; the 8 smallest are the 'inactive' set (the extreme tail, as in conv1)."""
    values = np.random.default_rng(3).lognormal(0.0, 0.8, 64)
    return values, LesionSet("inactive", "filter_norm", tuple(int(c) for c in np.sort(np.argsort(values)[:8])))


def test_matched_null_is_matched_on_the_defining_property(norms):
    values, tested = norms
    matched = matched_controls(tested, values, 200, seed=0, n_strata=8)
    assert len(matched) == 200 and {d.null for d in matched} == {"matched"}
    assert matched[0].set_id == "matched-inactive-filter_norm-0000"
    assert matched == matched_controls(tested, values, 200, seed=0, n_strata=8)
    strata = match_strata(values, tested.channels, 8)
    counts = np.bincount(strata[list(tested.channels)], minlength=strata.max() + 1)
    for d in matched:   # every null set has the tested set's count in every stratum
        assert len(d.channels) == 8 and len(set(d.channels)) == 8
        np.testing.assert_array_equal(np.bincount(strata[list(d.channels)], minlength=strata.max() + 1), counts)
    # The tested units are members of the stratified design (permutation), not excluded from it.
    quality = match_quality(tested.channels, [d.channels for d in matched], values)
    assert 0.3 < quality["overlap"] < 0.7 and quality["distinct"] > 150
    # Matched on the property: far closer to the tested set than the random-active null.
    random = match_quality(tested.channels, [d.channels for d in random_controls(tested, 64, 200, seed=0)], values)
    tested_mean = values[list(tested.channels)].mean()
    assert abs(quality["property_mean"] - tested_mean) < 0.2 * abs(random["property_mean"] - tested_mean)
    # In the extreme tail matching degrades: about half the null units are the next octile's, so the KS
    # distance is about 1 - overlap, still well below the random-active null's 1.
    assert quality["ks"] == pytest.approx(1 - quality["overlap"], abs=0.05) and random["ks"] == 1.0
    pool = np.flatnonzero(strata == strata[tested.channels[0]])
    assert values[pool].max() < np.sort(values)[16]   # drawn from the 16 lowest norms only


def test_matched_null_of_a_set_spread_over_the_layer_and_degenerate_cases(norms):
    values, _ = norms
    spread = LesionSet("class", "orientation_selective", tuple(range(0, 64, 4)))
    quality = match_quality(spread.channels, [d.channels for d in matched_controls(spread, values, 100, 0,
                                                                                     n_strata=8)], values)
    assert quality["ks"] < 0.2
    everything = LesionSet("class", "responsive", tuple(range(64)))
    assert matched_controls(everything, values, 10, 0, n_strata=8) == []
    assert matched_controls(LesionSet("class", "none", ()), values, 10, 0, n_strata=8) == []


def test_class_groups_from_units_table(tmp_path):
    path = tmp_path / "units.csv"
    pd.DataFrame({
        "model": "m", "layer": ["conv1"] * 4 + ["layer1"], "channel": [0, 1, 2, 3, 0],
        "double_opponent": [True, False, True, False, True], "single_opponent": [False] * 5,
        "orientation_selective": [1, 1, 0, 0, 1], "simple": ["true", "false", "false", "false", "true"],
        "responsive": [True, True, True, False, True], "cell_class": ["simple", "complex", "simple", None, "x"],
    }).to_csv(path, index=False)
    groups = read_class_groups(path, layer="conv1", n_channels=4)
    assert groups["double_opponent"] == [0, 2] and groups["orientation_selective"] == [0, 1]
    assert groups["not_responsive"] == [3] and groups["single_opponent"] == []
    assert groups["cell_class=simple"] == [0, 2] and "cell_class=x" not in groups
    with pytest.raises(UnitsTableError, match="outside 0..2"):
        read_class_groups(path, layer="conv1", n_channels=3)
    pd.read_csv(path).drop(columns="simple").to_csv(path, index=False)
    with pytest.raises(UnitsTableError, match="missing column"):
        read_class_groups(path, layer="conv1", n_channels=4)


def test_inactivity_table_thresholds():
    stats = NaturalStats()
    h = torch.ones(2, 4, 5, 5)
    h[:, 1] = 0.0                      # never responds
    h[:, 2, :, :1] = 0.0               # zero at 1/5 of positions
    h[:, 3] *= 0.02                    # weak: 0.02 / median(1, 0, 0.8, 0.02) = 0.049
    stats.update(h[:1])
    stats.update(h[1:])
    np.testing.assert_allclose(stats.sparsity, [0, 1, 0.2, 0])
    weights = torch.ones(4, 3, 2, 2)
    weights[0] *= 0.05
    table = inactivity_table(layer="conv1", n_channels=4, weights=weights, natural=stats,
                             stimulus_max=np.array([1.0, 0.05, 2.0, 0.5]), thresholds=Thresholds())
    assert table["filter_norm_ratio"].tolist() == pytest.approx([0.05, 1, 1, 1])
    flags = inactive_channels(table)
    assert flags == {"filter_norm": [0], "sparsity": [1], "stimulus_max": [1], "natural_mean": [1, 3]}
    no_weights = inactivity_table(layer="x", n_channels=4, weights=None, natural=stats)
    assert set(inactive_channels(no_weights)) == {"sparsity", "natural_mean"}


def test_stimulus_max_read_from_run_responses(tmp_path):
    from v1lab.errors import AnalysisError
    from v1lab.lesion._responses import read_stimulus_max
    from v1lab.recording import layer_dataset, save_layer

    parts = [("gratings", pd.DataFrame({"sf_cpd": [1.0, 2.0]}), np.array([[1.0, 0.0], [3.0, 0.5]])),
             ("bars", pd.DataFrame({"width_deg": [0.1, 0.2]}), np.array([[2.0, 0.7], [0.0, 0.1]]))]
    save_layer(tmp_path / "responses" / "conv1.nc", layer_dataset(parts, np.zeros(2), channels=[0, 1]))
    np.testing.assert_allclose(read_stimulus_max(tmp_path, layer="conv1", n_channels=2), [3.0, 0.7])
    np.testing.assert_allclose(read_stimulus_max(tmp_path / "responses" / "conv1.nc", layer="conv1", n_channels=2),
                               [3.0, 0.7])
    with pytest.raises(AnalysisError, match="no responses for channel"):
        read_stimulus_max(tmp_path, layer="conv1", n_channels=3)
    with pytest.raises(AnalysisError, match="no responses of layer 'layer9'"):
        read_stimulus_max(tmp_path, layer="layer9", n_channels=2)
