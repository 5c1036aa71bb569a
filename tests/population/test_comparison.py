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


def test_each_reference_computes_the_model_value_by_its_own_definition(rng):
    layer = make_layer("m", "l", 6, rng, responsive=[True, True, True, True, False, False],
                       orientation_bandwidth_deg=[20.0, 95.0, np.nan, 40.0, 20.0, 20.0],
                       preferred_orientation_deg=[170.0, 0.0, 90.0, -30.0, 0.0, 0.0],
                       sf_f0_bandwidth_0707_oct=[1.0, 2.0, np.nan, 0.0, 1.0, 1.0],
                       sf_bandwidth_oct=[9.0] * 6, surround_suppression_index=[0.05, 0.1, np.nan, 0.3, 0.5, 0.5])
    assert model_values(layer, "ringach2002_orientation_bandwidth").tolist() == [20.0, 40.0]
    assert model_values(layer, "ringach2002_orientation_selective_fraction").tolist() == [1.0, 0.0, 0.0, 1.0]
    assert model_values(layer, "devalois1982a_preferred_orientation").tolist() == pytest.approx(
        [-10.0, 0.0, 90.0, 150.0])
    # Schiller: the raw-F0 bandwidth at 1/sqrt(2), not the half-amplitude sf_bandwidth_oct
    assert model_values(layer, "schiller1976_sf_bandwidth").tolist() == pytest.approx([50.0, 25.0, 100.0])
    assert model_values(layer, "schiller1976_sf_selective_fraction").tolist() == [1.0, 1.0, 0.0, 1.0]
    assert model_values(layer, "cavanaugh2002_strongly_suppressed_fraction").tolist() == [0.0, 1.0, 1.0]


def test_units_enter_only_when_they_respond_to_the_analysis_stimuli(rng):
    """Ringach: F0 - blank at the preferred grating above the layer's threshold; De Valois b: the luminance
    amplitude; Cavanaugh: the size curve's peak. A unit just below a threshold is out, just above is in."""
    layer = make_layer("m", "l", 4, rng, response_threshold=0.1, circular_variance=[0.1, 0.2, 0.3, 0.4],
                       f0_above_blank_at_preferred=[0.0999, 0.1001, 0.5, 0.5],
                       luminance_peak_amplitude=[0.5, 0.5, 0.0999, 0.1001],
                       size_peak_amplitude=[0.5, 0.0999, 0.5, 0.1001], peak_sf_cpd=[1.0, 2.0, 4.0, 8.0],
                       surround_suppression_index=[0.1, 0.2, 0.3, 0.4])
    assert model_values(layer, "ringach2002_circular_variance").tolist() == [0.2, 0.3, 0.4]
    assert model_values(layer, "devalois1982b_peak_sf").tolist() == [1.0, 2.0, 8.0]
    assert model_values(layer, "cavanaugh2002_surround_suppression_index").tolist() == [0.1, 0.3, 0.4]
    comp = compare_with_references(layer, ["ringach2002_circular_variance"], n_boot=20).iloc[0]
    assert comp["n_included"] == 3 and comp["n_model"] == 3
    assert comp["convention"] == "unverified in the paper (as Brain-Score's code)"


def test_similarity_as_a_function_of_the_assumed_pixels_per_degree(rng):
    """Peak SFs in cycles/pixel are fixed: assuming twice the ppd doubles every value in cycles/deg."""
    from v1lab.population import ppd_sensitivity

    layer = make_layer("m", "l", 200, rng, peak_sf_cpd=np.exp2(rng.uniform(-1.5, 0.5, 200)))
    table = ppd_sensitivity(layer, ["devalois1982b_peak_sf"], ppd=28.0, n_boot=50).set_index("ppd")
    assert table.index.tolist() == [14.0, 20.0, 28.0, 40.0, 56.0] and table.loc[28.0, "in_use"]
    np.testing.assert_allclose(model_values(layer, "devalois1982b_peak_sf", ppd_scale=2.0),
                               2.0 * model_values(layer, "devalois1982b_peak_sf"))
    assert table.loc[56.0, "similarity"] > table.loc[14.0, "similarity"]   # these units prefer low SFs at 28


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
    assert set(paths) == {"population", "population_long", "depth_tests", "comparison", "most_v1_like",
                          "ppd_sensitivity"}
    comp = pd.read_csv(paths["comparison"])
    assert {"model", "layer", "property", "reference", "n_model", "n_bio", "ks_distance", "similarity", "ci_low",
            "ci_high", "ceiling", "normalised_score"} <= set(comp.columns)
    assert len(pd.read_csv(paths["population"])) == 2
    assert load_reference("ringach2002_circular_variance").n in set(comp.n_bio)
