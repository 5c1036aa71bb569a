"""analyse_cones on planted units: responses written down by hand from each unit's cone weights and spatial
receptive field (as in conftest.py), the cone weights computed here from published matrices (CIE 170-2
LMS -> XYZ, colour-science's sRGB primaries) for units defined by display-space weights ``b``:
``w ∝ lms0 * (LMS_TO_RGB^T b)`` at the grey (tests/metrics/test_cone_weights.py checks this on display pixels).

A stimulus of cone contrasts ``d`` at its peak (the set's ``*_cone_contrast`` columns), spatial frequency ``f``
(0 for a uniform field), orientation ``theta`` and phase ``phi`` drives a unit with ``x = (w . d) A(f, theta)``;
a simple-type unit responds ``max(0, x cos(phi - 30))``, a complex one ``|x|``.
"""

from pathlib import Path

import colour
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from v1lab.characterisation._grid import SetResponses, select
from v1lab.characterisation.cones import analyse_cones
from v1lab.errors import AnalysisError
from v1lab.stimuli import load_stimulus_set, stimulus_set_from_dict

from .conftest import gabor, gaussian

REPO = Path(__file__).resolve().parents[2]
_LMS_TO_XYZ = np.array([[1.94735469, -1.41445123, 0.36476327],
                        [0.68990272, 0.34832189, 0.0],
                        [0.0, 0.0, 1.93485343]])
_Y = np.asarray(colour.RGB_COLOURSPACES["sRGB"].matrix_RGB_to_XYZ)[1]
_LMS_TO_RGB = np.linalg.inv(np.linalg.solve(_LMS_TO_XYZ, np.asarray(colour.RGB_COLOURSPACES["sRGB"]
                                                                    .matrix_RGB_to_XYZ)))
_LMS0 = np.linalg.solve(_LMS_TO_RGB, np.full(3, 0.5))
_CONES = ["l_cone_contrast", "m_cone_contrast", "s_cone_contrast"]


def weights_of(b):
    """L1-normalised cone weights of display-space weights ``b`` (largest positive)."""
    w = _LMS0 * (_LMS_TO_RGB.T @ np.asarray(b, dtype=float))
    w = w / np.abs(w).sum()
    return w if w[np.argmax(np.abs(w))] > 0 else -w


EQUAL_RGB, LUMINANCE, BLUE_YELLOW = weights_of([1, 1, 1]), weights_of(_Y), weights_of(np.array([0, 0, 1.0]) - _Y)
L_MINUS_M = np.array([0.55, -0.45, 0.0])

# name -> [(cone weights, spatial amplitude)] summed subunits, kind
UNITS = {
    "equal_rgb_gabor": ([(EQUAL_RGB, gabor(0.4, 1.41, 45.0))], "simple"),
    "blue_yellow_blob": ([(BLUE_YELLOW, gaussian(0.3))], "simple"),
    "luminance_gabor": ([(LUMINANCE, gabor(0.4, 4.0, 90.0))], "complex"),
}


def respond(unit, params: pd.DataFrame) -> np.ndarray:
    subunits, kind = unit
    d = params[_CONES].to_numpy(float)
    f = np.nan_to_num(params["sf_cpd"].to_numpy(float)) if "sf_cpd" in params else np.zeros(len(params))
    theta = np.nan_to_num(params["orientation_deg"].to_numpy(float)) if "orientation_deg" in params else 0.0 * f
    phase = np.nan_to_num(params["phase_deg"].to_numpy(float)) if "phase_deg" in params else 0.0 * f
    x = sum((d @ w) * amp(f, theta) for w, amp in subunits)
    return np.abs(x) if kind == "complex" else np.maximum(0.0, x * np.cos(np.deg2rad(phase - 30.0)))


def responses(units, params, name):
    return SetResponses(name, np.array([respond(u, params) for u in units]), params)


@pytest.fixture(scope="module")
def shipped():
    return (load_stimulus_set(REPO / "stimuli" / "cone_isolating.yaml").params,
            load_stimulus_set(REPO / "stimuli" / "cone_isolating_fields.yaml").params)


@pytest.fixture(scope="module")
def table(shipped):
    gratings, fields = shipped
    units = list(UNITS.values())
    optimum = pd.DataFrame({"orientation_deg": [45.0, np.nan, 90.0], "sf_cpd": [1.41, np.nan, 4.0]})
    result = analyse_cones(responses(units, gratings, "cone_isolating"), np.zeros(len(units)), optimum,
                           fields=responses(units, fields, "cone_isolating_fields"))
    return result.columns.set_index(pd.Index(list(UNITS)))


def test_columns_and_dtypes(table):
    assert list(table.columns) == ["cone_weight_l", "cone_weight_m", "cone_weight_s", "cone_opponency",
                                   "cone_fit_r2", "cone_estimator"]
    assert (table.dtypes.astype(str) == ["float64"] * 3 + ["string", "float64", "string"]).all()


@pytest.mark.parametrize("unit, weights, opponency, estimator", [
    ("equal_rgb_gabor", EQUAL_RGB, "L-M", "first harmonic"),
    ("blue_yellow_blob", BLUE_YELLOW, "S-(L+M)", "first harmonic"),     # fields of both polarities
    ("luminance_gabor", LUMINANCE, "non-opponent", "energy"),
])
def test_planted_units_get_their_cone_weights(table, unit, weights, opponency, estimator):
    row = table.loc[unit]
    np.testing.assert_allclose(row[["cone_weight_l", "cone_weight_m", "cone_weight_s"]].to_numpy(float), weights,
                               atol=1e-9)
    assert row["cone_opponency"] == opponency and row["cone_estimator"] == estimator
    assert row["cone_fit_r2"] == pytest.approx(1.0, abs=1e-9)


def test_equal_rgb_gabor_is_l_minus_m_at_about_0_6():
    assert EQUAL_RGB[1] / EQUAL_RGB[0] == pytest.approx(-0.601, abs=1e-3)
    assert BLUE_YELLOW[2] > 0 > BLUE_YELLOW[0] and BLUE_YELLOW[1] < 0


def test_without_optimum_each_unit_takes_its_best_pattern(shipped, table):
    gratings, fields = shipped
    units = list(UNITS.values())
    free = analyse_cones(responses(units, gratings, "g"), np.zeros(len(units)),
                         fields=responses(units, fields, "f")).columns.set_index(table.index)
    pd.testing.assert_frame_equal(free, table, atol=1e-9)


def test_closed_loop_set_with_two_optima_selects_each_units_own():
    directions = ["L", "M", "S", "luminance", "L-M", "dkl(45,0)", "dkl(135,0)", "dkl(90,45)"]
    design = {"color_direction": directions, "phase_deg": [0, 90, 180, 270]}
    params = stimulus_set_from_dict({"name": "closed", "family": "grating", "fixed": {"aperture": "none"}, "grid": [
        {"orientation_deg": [135.0], "sf_cpd": [4.0], **design},
        {"orientation_deg": [45.0], "sf_cpd": [0.5], **design}]}).params
    # an L-M Gabor at 4 c/deg, 135 deg plus a weaker luminance subunit preferring low SF at 45 deg
    unit = ([(L_MINUS_M, gabor(0.4, 4.0, 135.0)), (LUMINANCE, gabor(0.6, 0.5, 45.0))], "simple")
    part = responses([unit, unit], params, "closed")
    optimum = pd.DataFrame({"orientation_deg": [135.0, 45.0], "sf_cpd": [4.0, 0.5]})
    out = analyse_cones(part, np.zeros(2), optimum).columns
    np.testing.assert_allclose(out.loc[0, ["cone_weight_l", "cone_weight_m", "cone_weight_s"]].to_numpy(float),
                               L_MINUS_M, atol=1e-3)
    assert out["cone_opponency"].tolist() == ["L-M", "non-opponent"]
    nearest = analyse_cones(part, np.zeros(2), optimum.assign(orientation_deg=[130.0, 50.0], sf_cpd=[3.0, 0.6]))
    pd.testing.assert_frame_equal(nearest.columns, out)
    one = params[params["sf_cpd"] == 4.0].reset_index(drop=True)         # a set holding exactly one optimum
    single = analyse_cones(responses([unit], one, "one"), np.zeros(1), optimum.iloc[[1]]).columns
    assert single["cone_opponency"].tolist() == ["L-M"]


def test_recorded_dataset_without_cone_columns_gives_the_same_weights(shipped, table):
    gratings, fields = shipped
    units = list(UNITS.values())
    both = pd.concat([gratings.assign(set="cone_isolating"), fields.assign(set="cone_isolating_fields")],
                     ignore_index=True)
    values = np.array([respond(u, both) for u in units])
    coords = {c: ("stimulus", both[c].to_numpy()) for c in both}
    ds = xr.Dataset({"responses": (("unit", "stimulus"), values), "blank": (("unit",), np.zeros(len(units)))},
                    coords=coords)
    part, fields_part = select(ds, "cone_isolating"), select(ds, "cone_isolating_fields")
    assert "l_cone_contrast" not in part.params                       # select keeps the analysed parameters
    optimum = pd.DataFrame({"orientation_deg": [45.0, np.nan, 90.0], "sf_cpd": [1.41, np.nan, 4.0]})
    out = analyse_cones(part, np.zeros(len(units)), optimum, fields=fields_part).columns.set_index(table.index)
    pd.testing.assert_frame_equal(out, table, atol=1e-9)


def test_optimum_must_have_one_row_per_unit(shipped):
    gratings, _ = shipped
    part = responses(list(UNITS.values()), gratings, "cone_isolating")
    with pytest.raises(AnalysisError, match=r"`optimum`: expected one row per unit \(3\)"):
        analyse_cones(part, np.zeros(3), pd.DataFrame({"orientation_deg": [0.0], "sf_cpd": [1.0]}))


def test_blue_yellow_blob_is_also_single_opponent_for_the_classifier(build_planted):
    from v1lab.characterisation import AnalysisRoles, characterise_layer

    # the same blob in conftest's planted model (its own hand-made L-M and S directions): single-opponent
    ds = build_planted({"blue_yellow_blob": (BLUE_YELLOW, gaussian(0.3), "simple")})
    row = characterise_layer(ds, AnalysisRoles(luminance_gratings="lum", chromatic_gratings="iso",
                                               uniform_fields="fields"), fits=False).iloc[0]
    assert row["single_opponent"] and row["cell_class"] == "single-opponent"
