"""characterise_layer + classify_units on planted units: each unit gets the class it was built to have."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from pydantic import ValidationError

from v1lab.characterisation import AnalysisRoles, characterise_layer
from v1lab.classify import ClassificationCriteria, classify_units
from v1lab.errors import AnalysisError

from .conftest import EXPECTED, UNITS, as_dataset

ROLES = AnalysisRoles(luminance_gratings="lum", chromatic_gratings="iso", uniform_fields="fields",
                      cone_isolating="cones", cone_isolating_fields="cone_fields")
REQUIRED = ["model", "layer", "channel", "responsive", "orientation_selective", "preferred_orientation_deg",
            "circular_variance", "orientation_bandwidth_deg", "modulation_ratio", "simple", "peak_sf_cpd",
            "sf_bandwidth_oct", "color_class", "double_opponent", "single_opponent", "cell_class",
            "orthogonal_preferred_ratio", "surround_suppression_index", "gsf_deg", "chromatic_ratio",
            "uniform_field_ratio", "preferred_dkl_azimuth_deg", "ori_vm_kappa", "ori_vm_status", "sf_lg_reason"]


@pytest.fixture(scope="module")
def table(planted):
    return characterise_layer(planted, ROLES).set_index(pd.Index(list(UNITS)))


def test_columns_and_identity(table):
    assert set(REQUIRED) <= set(table.columns)
    assert (table["model"] == "planted").all() and (table["layer"] == "conv1").all()
    assert table["channel"].tolist() == list(range(len(UNITS)))


@pytest.mark.parametrize("unit", list(UNITS))
def test_primary_label(table, unit):
    assert table.loc[unit, "cell_class"] == EXPECTED[unit]


def test_boolean_columns(table):
    t = table
    assert not t.loc["silent", "responsive"] and t.drop("silent")["responsive"].all()
    assert t.loc["simple", "simple"] and not t.loc["complex", "simple"]
    assert t.loc["simple", "orientation_selective"] and t.loc["complex", "orientation_selective"]
    assert not t.loc["luminance_dog", "orientation_selective"]
    assert t.loc["single_opponent", "single_opponent"] and not t.loc["single_opponent", "double_opponent"]
    assert t.loc["double_opponent", "double_opponent"] and not t.loc["double_opponent", "single_opponent"]
    assert t.loc["simple", "color_class"] == "luminance"
    assert t.loc["luminance_dog", "color_class"] == "luminance"
    assert t.loc["single_opponent", "color_class"] == "colour-preferring"
    assert t.loc["double_opponent", "color_class"] == "colour-luminance"
    assert pd.isna(t.loc["silent", "color_class"]) and pd.isna(t.loc["silent", "simple"])


def test_metrics_of_planted_units(table):
    t = table
    # Gabor preferred orientations were planted at 60, 120 and 30 deg
    assert t.loc["simple", "preferred_orientation_deg"] == pytest.approx(60.0, abs=0.5)
    assert t.loc["complex", "preferred_orientation_deg"] == pytest.approx(120.0, abs=0.5)
    assert t.loc["double_opponent", "preferred_orientation_deg"] == pytest.approx(30.0, abs=0.5)
    # max(0, A cos phi) over 8 phases from its peak: samples A, A/sqrt2, 0, 0, 0, 0, 0, A/sqrt2, so
    # F0 = A (1 + sqrt2)/8 and F1 = (2/8) A (1 + 2 cos^2 45) = A/2: MR = 4 / (1 + sqrt2)
    assert t.loc["simple", "modulation_ratio"] == pytest.approx(4 / (1 + np.sqrt(2)))
    assert t.loc["complex", "modulation_ratio"] == pytest.approx(0.0, abs=1e-12)
    # Gabor SF peaks near f0 (1.5 and 2 cpd, sampled at half-octave steps); the Gaussian is low-pass
    assert t.loc["simple", "peak_sf_cpd"] == pytest.approx(1.5, rel=0.1)
    assert t.loc["complex", "peak_sf_cpd"] == pytest.approx(2.0, rel=0.1)
    assert np.isnan(t.loc["single_opponent", "sf_bandwidth_oct"])
    # luminance/isoluminant drive: |w.kappa| = 0.1 vs 1.9 sqrt(1.5) for the single-opponent unit
    assert t.loc["single_opponent", "chromatic_ratio"] == pytest.approx(1.9 * np.sqrt(1.5) / 0.1, rel=1e-6)
    assert t.loc["single_opponent", "preferred_dkl_azimuth_deg"] == pytest.approx(0.0, abs=1e-6)
    assert t.loc["simple", "ori_vm_status"] == "ok" and t.loc["simple", "ori_vm_r2"] > 0.95
    assert t.loc["silent", "ori_vm_status"] == "skipped" and "unresponsive" in t.loc["silent", "ori_vm_reason"]


def test_absent_sets_give_nan_columns_not_errors(planted):
    t = characterise_layer(planted, AnalysisRoles(luminance_gratings="lum", size_sweep="not-recorded"))
    assert t["chromatic_ratio"].isna().all() and t["color_class"].isna().all()
    assert t["double_opponent"].isna().all() and t["surround_suppression_index"].isna().all()
    assert (t["size_rog_status"] == "no data").all()
    assert t["cell_class"].tolist()[:2] == ["simple", "complex"]
    none = characterise_layer(planted, AnalysisRoles())
    assert none["circular_variance"].isna().all() and (none["cell_class"].isin(["unclassified", "unresponsive"])).all()


def test_without_uniform_fields_the_sf_shape_decides(build_planted):
    ds = build_planted(UNITS, with_uniform=False)
    t = characterise_layer(ds, ROLES.model_copy(update={"uniform_fields": None}), fits=False)
    assert t["cell_class"].tolist() == list(EXPECTED.values())
    assert (t["ori_vm_status"] == "skipped").all()


def test_criteria_override_changes_the_class(planted):
    # the simple unit's modulation ratio is 1.66; demand 1.7 and it becomes complex
    t = characterise_layer(planted, ROLES, ClassificationCriteria(simple_modulation_ratio=1.7), fits=False)
    assert t["cell_class"].iloc[0] == "complex"
    strict = ClassificationCriteria(colour_preferring_min_ratio=30.0)
    t = characterise_layer(planted, ROLES, strict, fits=False)
    assert t["color_class"].iloc[2] == "colour-luminance"


def test_responsive_is_relative_to_the_layer_maximum():
    table = pd.DataFrame({"peak_response_above_blank": [100.0, 2.0, 1.0], "n_orientations": 0,
                          "orientation_bandwidth_deg": np.nan, "modulation_ratio": np.nan,
                          "chromatic_ratio": np.nan, "uniform_field_ratio": np.nan,
                          "chromatic_sf_shape": pd.NA, "cone_opponency": pd.NA,
                          "chromatic_orientation_bandwidth_deg": np.nan})
    # default threshold 5/243.1 of 100 = 2.06
    assert classify_units(table)["responsive"].tolist() == [True, False, False]
    margin = ClassificationCriteria(responsive_fraction_of_max=0.0, responsive_min_margin=1.5)
    assert classify_units(table, margin)["responsive"].tolist() == [True, True, False]


def test_criteria_and_roles_forbid_unknown_fields():
    with pytest.raises(ValidationError):
        ClassificationCriteria(simple_ratio=2.0)
    with pytest.raises(ValidationError):
        AnalysisRoles(gratings="lum")


def test_a_spontaneous_rate_lowers_the_raw_modulation_ratio_only(planted):
    """Adding a constant to every response and to the blank (a spontaneous rate) leaves F1 and F0 - blank alone:
    F1/(F0 - blank) and the colour classes are unchanged, while the raw F1/F0 of the Ringach database falls to
    F1 / (F0 + 0.5), here turning the simple unit (MR 4/(1+sqrt2) = 1.66 at F0 = A(1+sqrt2)/8) complex."""
    da = planted["responses"]
    base = characterise_layer(planted, ROLES, fits=False).set_index(pd.Index(list(UNITS)))
    shifted = characterise_layer(as_dataset(da + 0.5, np.full(da.sizes["unit"], 0.5)), ROLES,
                                 fits=False).set_index(pd.Index(list(UNITS)))
    pd.testing.assert_series_equal(shifted["modulation_ratio_above_blank"], base["modulation_ratio_above_blank"])
    f1 = base.loc["simple", "modulation_ratio"] * base.loc["simple", "f0_above_blank_at_preferred"]
    assert shifted.loc["simple", "modulation_ratio"] == pytest.approx(
        f1 / (base.loc["simple", "f0_above_blank_at_preferred"] + 0.5))
    assert base.loc["simple", "cell_class"] == "simple" and shifted.loc["simple", "cell_class"] == "complex"
    keep = [u for u in UNITS if u not in ("simple",)]
    assert shifted.loc[keep, "cell_class"].tolist() == [EXPECTED[u] for u in keep]


def test_bad_inputs_raise_one_line_errors(planted):
    da, blank = planted["responses"], planted["blank"].values
    with pytest.raises(AnalysisError, match="variable 'responses'"):
        characterise_layer(da, ROLES)
    with pytest.raises(AnalysisError, match="variable 'blank'"):
        characterise_layer(planted.drop_vars("blank"), ROLES)
    with pytest.raises(AnalysisError, match="misses"):
        characterise_layer(as_dataset(da.isel(stimulus=slice(1, None)), blank), ROLES)
    with pytest.raises(AnalysisError, match="varies"):
        mixed = da.assign_coords(contrast=("stimulus", np.where(np.arange(da.sizes["stimulus"]) % 2, 0.5, 1.0)))
        characterise_layer(as_dataset(mixed, blank), ROLES)
    with pytest.raises(AnalysisError, match="no 'model' attribute"):
        characterise_layer(xr.Dataset({"responses": da, "blank": planted["blank"]}), ROLES)
