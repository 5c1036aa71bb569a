"""Layer-vs-reference comparison: the V1-like layer wins, proportions are tested, files are written."""

import numpy as np
import pandas as pd
import pytest

from v1lab.errors import UnitsTableError
from v1lab.population import compare_with_references, model_values, most_v1_like, write_tables
from v1lab.references import load_reference

from .conftest import make_layer


@pytest.fixture
def two_layers(ringach_cv, rng):
    n = 400
    ratio = np.where(rng.random(n) < 124 / 308, 1.5, 0.5)
    v1_like = make_layer("net", "v1like", n, rng, circular_variance=ringach_cv.sample(n, rng=rng),
                         modulation_ratio=ratio, simple=ratio > 1)
    shifted = make_layer("net", "shifted", n, rng, circular_variance=np.clip(ringach_cv.sample(n, rng=rng) + 0.3, 0, 1),
                         modulation_ratio=np.full(n, 1.5), simple=True)
    return pd.concat([v1_like, shifted], ignore_index=True)


def test_v1_like_layer_scores_higher_and_ranks_first(two_layers):
    refs = ["ringach2002_circular_variance", "ringach2002_simple_fraction"]
    comp = compare_with_references(two_layers, refs, n_boot=500, seed=3)
    cv = comp[comp.reference == refs[0]].set_index("layer")
    assert cv.loc["v1like", "normalised_score"] > 0.9 > cv.loc["shifted", "normalised_score"]
    assert cv.loc["v1like", "ceiling"] == cv.loc["shifted", "ceiling"]  # one ceiling per reference
    simple = comp[comp.reference == refs[1]].set_index("layer")
    assert simple.loc["v1like", "p_adjusted"] > 0.05 and simple.loc["shifted", "p_adjusted"] < 1e-6
    assert simple.loc["shifted", "fraction_model"] == 1.0
    summary = most_v1_like(comp).set_index("layer")
    assert summary.loc["v1like", "most_v1_like"] and summary.loc["shifted", "rank"] == 2


def test_same_seed_same_numbers(two_layers):
    a = compare_with_references(two_layers, ["ringach2002_circular_variance"], n_boot=100, seed=7)
    b = compare_with_references(two_layers, ["ringach2002_circular_variance"], n_boot=100, seed=7)
    pd.testing.assert_frame_equal(a, b)


def test_a_rows_numbers_do_not_depend_on_the_other_rows(two_layers):
    """Dropping a layer or a reference leaves the remaining rows' bootstrap numbers unchanged."""
    refs = ["ringach2002_circular_variance", "ringach2002_simple_fraction"]
    both = compare_with_references(two_layers, refs, n_boot=200, seed=5).set_index(["layer", "reference"])
    one_layer = compare_with_references(two_layers[two_layers.layer == "shifted"], refs, n_boot=200, seed=5)
    one_ref = compare_with_references(two_layers, refs[1:], n_boot=200, seed=5)
    columns = ["similarity", "ci_low", "ci_high", "ceiling", "normalised_score"]
    for part in (one_layer, one_ref):
        part = part.set_index(["layer", "reference"])
        pd.testing.assert_frame_equal(part[columns], both.loc[part.index, columns])
    other_seed = compare_with_references(two_layers, refs, n_boot=200, seed=6).set_index(["layer", "reference"])
    assert not np.allclose(other_seed["similarity"], both["similarity"])


def test_inclusion_rules(rng):
    layer = make_layer("m", "l", 6, rng, responsive=[True, True, True, True, False, False],
                       orientation_bandwidth_deg=[20.0, 95.0, np.nan, 40.0, 20.0, 20.0],
                       preferred_orientation_deg=[170.0, 0.0, 90.0, -30.0, 0.0, 0.0],
                       sf_bandwidth_oct=[1.0, 2.0, np.nan, 0.0, 1.0, 1.0])
    assert model_values(layer, "orientation_bandwidth_deg").tolist() == [20.0, 40.0]
    assert model_values(layer, "orientation_selective_fraction").tolist() == [1.0, 0.0, 0.0, 1.0]
    assert model_values(layer, "preferred_orientation_deg").tolist() == pytest.approx([-10.0, 0.0, 90.0, 150.0])
    assert model_values(layer, "sf_bandwidth_ratio_pct").tolist() == pytest.approx([50.0, 25.0, 100.0])
    assert model_values(layer, "sf_selective_fraction").tolist() == [1.0, 1.0, 0.0, 1.0]


def test_default_references_follow_available_columns(rng):
    units = make_layer("m", "l", 50, rng).drop(columns=["surround_suppression_index"])
    comp = compare_with_references(units, n_boot=50, seed=0)
    assert not comp.reference.str.startswith("cavanaugh").any()
    assert "ringach2002_circular_variance" in set(comp.reference)
    with pytest.raises(UnitsTableError, match="surround_suppression_index"):
        compare_with_references(units, ["cavanaugh2002_surround_suppression_index"], n_boot=10)


def test_layer_without_eligible_units_scores_zero_in_summary(rng):
    units = pd.concat([make_layer("m", "a", 50, rng), make_layer("m", "b", 5, rng, responsive=False)])
    comp = compare_with_references(units, ["ringach2002_circular_variance"], n_boot=50, seed=0)
    b = comp.set_index("layer").loc["b"]
    assert b["n_model"] == 0 and np.isnan(b["similarity"])
    assert most_v1_like(comp).set_index("layer").loc["b", "mean_score"] == 0.0


def test_write_tables(tmp_path, two_layers):
    paths = write_tables(two_layers, tmp_path, n_boot=50, seed=0)
    assert set(paths) == {"population", "population_long", "depth_tests", "comparison", "most_v1_like"}
    comp = pd.read_csv(paths["comparison"])
    assert {"model", "layer", "property", "reference", "n_model", "n_bio", "ks_distance", "similarity", "ci_low",
            "ci_high", "ceiling", "normalised_score"} <= set(comp.columns)
    assert len(pd.read_csv(paths["population"])) == 2
    assert load_reference("ringach2002_circular_variance").n in set(comp.n_bio)
