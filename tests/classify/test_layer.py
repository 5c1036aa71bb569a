"""characterise_layer as the runner calls it: every role analysed whatever the roles before it, the cone-isolating
analysis at each unit's optimum with its uniform fields, the identity columns, and one-line errors."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from v1lab.characterisation import AnalysisRoles, characterise_layer
from v1lab.characterisation._grid import select
from v1lab.characterisation.cones import analyse_cones
from v1lab.errors import AnalysisError

from .test_sweeps import sweep_responses

CONE_COLUMNS = ["cone_weight_l", "cone_weight_m", "cone_weight_s", "cone_fit_r2"]


def test_a_role_whose_set_is_absent_leaves_the_later_roles_analysed():
    ds, size_curve = sweep_responses()
    roles = AnalysisRoles(luminance_gratings="absent", chromatic_gratings="absent too",
                          matched_luminance_gratings="contrasts", size_sweep="sizes")
    t = characterise_layer(ds, roles, fits=False).iloc[0]
    # the matched sweep is skipped without its chromatic sweep; the size sweep after both is still analysed
    assert np.isnan(t["matched_luminance_peak_amplitude"]) and np.isnan(t["luminance_peak_amplitude"])
    assert t["surround_suppression_index"] == pytest.approx((size_curve.max() - size_curve[-1]) / size_curve.max())


def test_cone_weights_are_measured_at_the_luminance_optimum_with_the_fields(planted):
    roles = AnalysisRoles(luminance_gratings="lum", chromatic_gratings="iso", uniform_fields="uniform",
                          cone_isolating="cones", cone_isolating_fields="cone_fields")
    t = characterise_layer(planted, roles, fits=False)
    blank = planted["blank"].values
    lowpass = (t["chromatic_sf_shape"] == "low-pass").fillna(False).to_numpy(bool)
    optimum = pd.DataFrame({"orientation_deg": t["optimum_orientation_deg"].to_numpy(float),
                            "sf_cpd": np.where(lowpass, np.nan, t["optimum_sf_cpd"].to_numpy(float))})
    assert lowpass.any()     # a unit measured on the fields, not on a grating
    want = analyse_cones(select(planted, "cones"), blank, optimum, fields=select(planted, "cone_fields")).columns
    pd.testing.assert_frame_equal(t[CONE_COLUMNS].reset_index(drop=True), want[CONE_COLUMNS], check_dtype=False)
    assert t.loc[lowpass, "cone_weight_l"].notna().all()   # weights measured on the fields, not left out


def test_identity_columns_from_attributes_or_coordinates():
    ds, _ = sweep_responses()
    ds = ds.drop_vars(["channel", "model"]).assign_attrs(model="planted-net")
    ds["responses"] = ds["responses"].astype(np.float32)
    t = characterise_layer(ds, AnalysisRoles(size_sweep="sizes"), fits=False).iloc[0]
    assert (t["model"], t["layer"], t["channel"]) == ("planted-net", "l", 0)   # channel: the unit's position
    assert t["blank"] == pytest.approx(0.3) and t["peak_response_above_blank"] > 1.0


@pytest.mark.parametrize("change, message", [
    (lambda ds: ds.drop_vars("model"), "responses: no 'model' attribute or unit coordinate; expected the model the "
                                       "units belong to (v1lab.recording.layer_dataset writes both)"),
    (lambda ds: ds.drop_vars("set"), "responses: missing the stimulus coordinate 'set' (stimulus-set name)"),
])
def test_incomplete_responses_are_one_line_errors(change, message):
    ds, _ = sweep_responses()
    with pytest.raises(AnalysisError) as info:
        characterise_layer(change(ds), AnalysisRoles(size_sweep="sizes"))
    assert str(info.value) == message


def test_a_dataset_without_responses_names_what_it_has():
    ds, _ = sweep_responses()
    with pytest.raises(AnalysisError, match=r"has \['blank'\]"):
        characterise_layer(ds.drop_vars("responses"), AnalysisRoles(size_sweep="sizes"))
    with pytest.raises(AnalysisError, match=r"has \[\]"):
        characterise_layer(xr.DataArray([1.0]), AnalysisRoles(size_sweep="sizes"))
