"""characterise_layer as the runner calls it: every role analysed whatever the roles before it, the cone-isolating
analysis at each unit's optimum with its uniform fields, the identity columns, and one-line errors."""

import itertools

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from v1lab.characterisation import AnalysisRoles, characterise_layer
from v1lab.characterisation._grid import select
from v1lab.characterisation.cones import analyse_cones
from v1lab.errors import AnalysisError

from .conftest import LUM, SFS, as_dataset, cone_rows, gabor, gaussian, grating_rows
from .test_sweeps import CONTRASTS, sweep_responses

PHASES = (0.0, 90.0, 180.0, 270.0)
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


def test_a_luminance_sweep_too_coarse_to_fit_says_why(planted):
    lum = planted.isel(stimulus=np.flatnonzero((planted["set"].values == "lum")
                                               & np.isin(planted["orientation_deg"].values, [0.0, 90.0])
                                               & np.isin(planted["sf_cpd"].values, SFS[:2])))
    t = characterise_layer(lum, AnalysisRoles(luminance_gratings="lum"))
    assert set(zip(t["ori_vm_status"], t["ori_vm_reason"])) == {
        ("no data", "fewer than 3 orientations in the luminance sweep")}
    assert set(zip(t["sf_lg_status"], t["sf_lg_reason"])) == {
        ("no data", "fewer than 3 spatial frequencies in the luminance sweep")}


def test_closed_loop_fits_only_the_units_shown_their_optimum():
    """The contrast set is shown at orientations 0 and 90 (SF 2): unit 0's optimum is 0 (Naka-Rushton, c50 0.2,
    n 2), unit 1's is 45 (none of the set; it answers 1.5 x that curve at 90, so it is responsive), unit 2 answers
    its blank everywhere (optimum 90)."""
    nr = 2.0 * CONTRASTS ** 2 / (CONTRASTS ** 2 + 0.2 ** 2)
    params = [(c, ori, phase) for ori in (0.0, 90.0) for c, phase in itertools.product(CONTRASTS, PHASES)]
    curve = {0.0: (nr, 0.1 * nr, 0 * nr), 90.0: (0.2 * nr, 1.5 * nr, 0 * nr)}
    values = np.array([[curve[ori][u][list(CONTRASTS).index(c)] for c, ori, _ in params] for u in range(3)]) + 0.3
    ds = xr.Dataset({"responses": (("unit", "stimulus"), values), "blank": ("unit", np.full(3, 0.3)),
                     "closed_loop_orientation_deg": ("unit", [0.0, 45.0, 90.0]),
                     "closed_loop_sf_cpd": ("unit", [2.0, 2.0, 2.0])},
                    coords={"set": ("stimulus", ["contrasts"] * len(params)),
                            "contrast": ("stimulus", [p[0] for p in params]),
                            "orientation_deg": ("stimulus", [p[1] for p in params]),
                            "sf_cpd": ("stimulus", np.full(len(params), 2.0)),
                            "phase_deg": ("stimulus", [p[2] for p in params])},
                    attrs={"model": "planted", "layer": "l"})
    t = characterise_layer(ds, AnalysisRoles(contrast_sweep="contrasts"))
    assert t.loc[0, "contrast_nr_status"] == "ok"
    assert t.loc[0, "contrast_nr_c50"] == pytest.approx(0.2, rel=1e-3)
    assert t.loc[0, "contrast_nr_n"] == pytest.approx(2.0, rel=1e-3)
    assert pd.isna(t.loc[0, "contrast_nr_reason"])          # a fit made needs no reason
    assert (t.loc[1, "contrast_nr_status"], t.loc[1, "contrast_nr_reason"]) == (
        "no data", "no stimuli of the set at the unit's optimum")
    assert (t.loc[2, "contrast_nr_status"], t.loc[2, "contrast_nr_reason"]) == (
        "skipped", "unresponsive unit: nothing to fit")


def test_a_layer_shown_no_stimuli_has_no_peak():
    ds, _ = sweep_responses()
    t = characterise_layer(ds.isel(stimulus=[]), AnalysisRoles(size_sweep="sizes"))
    assert t["peak_response_above_blank"].dtype == np.float64 and np.isnan(t.loc[0, "peak_response_above_blank"])
    assert t.loc[0, "blank"] == 0.3 and t.loc[0, "size_rog_status"] == "no data"


def test_the_ratios_are_the_peaks_of_their_sets(planted):
    roles = AnalysisRoles(luminance_gratings="lum", chromatic_gratings="iso", uniform_fields="fields")
    t = characterise_layer(planted, roles, fits=False)
    both = t["uniform_peak_response"].gt(0) & t["chromatic_peak_amplitude"].gt(0)
    assert both.sum() >= 2
    np.testing.assert_allclose(t.loc[both, "uniform_field_ratio"],
                               t.loc[both, "uniform_peak_response"] / t.loc[both, "chromatic_peak_amplitude"])
    lum = t["luminance_peak_amplitude"].gt(0)
    np.testing.assert_allclose(t.loc[lum, "chromatic_ratio"],
                               t.loc[lum, "chromatic_peak_amplitude"] / t.loc[lum, "luminance_peak_amplitude"])


def _two_mechanisms(units, f, theta, phase, kappa):
    """Simple-type units summing mechanisms (cone weights w, spatial amplitude A): max(0, sum (w . kappa) A cos phi)."""
    return [max(0.0, sum(float(w @ kappa) * a(f, theta) for w, a in mechanisms) * np.cos(np.deg2rad(phase)))
            for mechanisms in units]


def test_cone_weights_are_those_of_the_mechanism_at_the_closed_loop_optimum_or_on_the_fields():
    """Unit 0: a luminance Gabor (45 deg, sqrt 2 cpd) and a weaker L-M Gabor (135 deg, 4 cpd); its closed-loop
    optimum is the L-M one's, while its luminance optimum and its best cone-isolating grating are the luminance
    one's. Unit 1: an L-M Gaussian blob and a stronger luminance Gabor (90 deg, 4 cpd) whose amplitude at 0 cpd is
    exp(-2 pi^2 0.4^2 16) ~ 1e-22; it has no optimum, so it is measured on the uniform fields. Both are L-M there:
    weights (1, -0.8, 0) / 1.8 (L1-normalised)."""
    lm, lum = np.array([1.0, -0.8, 0.0]), np.array([1.0, 1.0, 0.0])
    units = [[(lum, gabor(0.4, np.sqrt(2), 45.0)), (0.5 * lm, gabor(0.4, 4.0, 135.0))],
             [(lm, gaussian(0.3)), (2.0 * lum, gabor(0.4, 4.0, 90.0))]]
    rows = grating_rows("lum", LUM, "luminance", np.nan) + cone_rows()
    values = np.array([_two_mechanisms(units, r["sf_cpd"], np.nan_to_num(r["orientation_deg"]), r["phase_deg"],
                                       r["kappa"]) for r in rows]).T
    params = pd.DataFrame(rows).drop(columns="kappa")
    coords = {c: ("stimulus", params[c].to_numpy()) for c in params}
    ds = as_dataset(xr.DataArray(values, dims=("unit", "stimulus"), coords=coords), np.zeros(2)).assign(
        closed_loop_orientation_deg=("unit", [135.0, np.nan]), closed_loop_sf_cpd=("unit", [4.0, np.nan]))
    ds = ds.assign_attrs(layer="l")
    roles = AnalysisRoles(luminance_gratings="lum", cone_isolating="cones", cone_isolating_fields="cone_fields")
    t = characterise_layer(ds, roles, fits=False)
    assert (t.loc[0, "optimum_orientation_deg"], t.loc[0, "optimum_sf_cpd"]) == pytest.approx((45.0, np.sqrt(2)))
    np.testing.assert_allclose(t[["cone_weight_l", "cone_weight_m", "cone_weight_s"]].to_numpy(float),
                               [[1 / 1.8, -0.8 / 1.8, 0.0]] * 2, atol=1e-6)
