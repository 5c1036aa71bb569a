"""Which stimuli analyse_cones measures each unit on, and the colour key of each stimulus, on planted truth.

Colorimetric identities: the cone contrasts recomputed from a stimulus's DKL direction, contrast and grey are the
stimulus family's own; a direction ``-d`` at phase ``phi`` is ``d`` at ``phi + 180``. Pattern choice: planted
units (responses written as in test_cones.py) whose subunits of different cone weights each drive only some
patterns of a two-grating set with uniform fields, so the weights returned name the pattern measured; which
pattern has the largest mean response follows from the subunits' gains (see ``unit``).
"""

import re

import numpy as np
import pandas as pd
import pytest

from v1lab.characterisation._grid import SetResponses
from v1lab.characterisation._role import RoleResult
from v1lab.characterisation.cones import (
    _folded,
    _nearest,
    _peak_cone_contrasts,
    analyse_cones,
)
from v1lab.characterisation.layer import _cone_optimum
from v1lab.errors import AnalysisError
from v1lab.stimuli import load_stimulus_set, stimulus_set_from_dict

from .conftest import REPO, gabor, gaussian
from .test_cones import _CONES, BLUE_YELLOW, L_MINUS_M, LUMINANCE, respond

WEIGHTS = ["cone_weight_l", "cone_weight_m", "cone_weight_s"]
DIRECTIONS = ["L", "M", "S", "luminance", "L-M", "dkl(45,0)", "dkl(135,0)", "dkl(90,45)"]


def grating_set(**fixed):
    grid = {"color_direction": ["L", "-L", "M", "S", "dkl(45,0)", "dkl(225,0)", "dkl(90,45)"],
            "phase_deg": [0.0, 90.0, 180.0, 270.0]}
    return stimulus_set_from_dict({"name": "g", "family": "grating", "grid": grid,
                                   "fixed": {"aperture": "none", "sf_cpd": 2.0, "orientation_deg": 30.0,
                                             **fixed}}).params


def two_pattern_set():
    """Gratings at (135 deg, 4 c/deg) and (45 deg, 0.5 c/deg), the 8 directions x 4 phases, and uniform fields of
    both polarities (the shipped cone_isolating_fields: no sf_cpd, no phase_deg)."""
    design = {"color_direction": DIRECTIONS, "phase_deg": [0.0, 90.0, 180.0, 270.0]}
    gratings = stimulus_set_from_dict({"name": "two", "family": "grating", "fixed": {"aperture": "none"}, "grid": [
        {"orientation_deg": [135.0], "sf_cpd": [4.0], **design},
        {"orientation_deg": [45.0], "sf_cpd": [0.5], **design}]}).params
    fields = load_stimulus_set(REPO / "stimuli" / "cone_isolating_fields.yaml").params
    return gratings, fields


def unit(lm_gain, lum_gain, s_gain, kind="simple"):
    """An L-M Gabor at (135 deg, 4 c/deg), a luminance Gabor at (45 deg, 0.5 c/deg) and a blue-yellow blob, with
    gains. Fourier amplitudes: the L-M Gabor below 1e-22 at the other patterns; the luminance one below 1e-22 at
    (135, 4) but 0.45 on the fields; the blob 5e-13 at 4 c/deg, 0.64 at 0.5 c/deg and 1 on the fields. With gain
    1, the mean response (simple; complex) is about 0.028 (0.082) for the L-M Gabor at its pattern, 0.072 (0.21)
    and 0.042 (0.097) for the luminance one at its pattern and on the fields, 0.10 (0.30) and 0.20 (0.47) for the
    blob at (45, 0.5) and on the fields. A unit uses at most two subunits, one of which alone drives a pattern."""
    return ([(lm_gain * L_MINUS_M, gabor(0.4, 4.0, 135.0)), (lum_gain * LUMINANCE, gabor(0.4, 0.5, 45.0)),
             (s_gain * BLUE_YELLOW, gaussian(0.3))], kind)


def run(units, gratings, fields, blank, optimum=None):
    def values(params):
        return np.array([respond(u, params) for u in units]) + np.asarray(blank)[:, None]

    part = SetResponses("two", values(gratings), gratings)
    extra = SetResponses("f", values(fields), fields) if fields is not None else None
    return analyse_cones(part, np.asarray(blank, float), optimum, fields=extra).columns


def assert_weights(out, expected):
    np.testing.assert_allclose(out[WEIGHTS].to_numpy(float), np.array(expected), atol=1e-6)


# ---- cone contrasts of each stimulus --------------------------------------------------------------------------

@pytest.mark.parametrize("fixed", [{"mean_luminance": 0.3, "contrast": 0.6}, {"mean_luminance": 0.7},
                                   {"contrast": 1.0}])
def test_cone_contrasts_recomputed_from_dkl_are_the_familys_own(fixed):
    params = grating_set(**fixed)
    family = params[_CONES].to_numpy(float)
    derived = params.drop(columns=_CONES)
    if fixed.get("contrast") == 1.0:
        derived = derived.drop(columns=["contrast", "mean_luminance"])    # defaults: contrast 1, reference grey
    computed = _peak_cone_contrasts(derived)
    np.testing.assert_allclose(computed, family, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(computed == 0, family == 0)             # silenced cones exactly 0, as recorded
    assert (family == 0).any() and (family != 0).any()


def test_recorded_cone_contrasts_are_kept_and_a_partial_row_is_recomputed():
    params = grating_set(mean_luminance=0.4, contrast=0.8)
    family = params[_CONES].to_numpy(float)
    recorded = params.copy()
    recorded.loc[:3, _CONES] = 0.25 * family[:4]                         # a recorded column wins over the DKL one
    recorded.loc[4:7, "l_cone_contrast"] = np.nan                        # one cone missing: the row from DKL
    expected = family.copy()
    expected[:4] *= 0.25
    np.testing.assert_allclose(_peak_cone_contrasts(recorded), expected, rtol=1e-12, atol=0)


def test_opposite_directions_fold_onto_one_key_with_phase_shifted_180():
    params = grating_set(mean_luminance=0.3)
    keyed, vectors = _folded(params, np.zeros(len(params), bool))
    cones = params[_CONES].to_numpy(float)
    for a, b in (("L", "-L"), ("dkl(45,0)", "dkl(225,0)")):
        pa, pb = keyed[keyed["color_direction"] == a], keyed[keyed["color_direction"] == b]
        assert pa["colour_key"].nunique() == 1 and set(pb["colour_key"]) == set(pa["colour_key"])
        np.testing.assert_allclose(np.mod(pa["phase_key"].to_numpy() - pb["phase_key"].to_numpy(), 360.0), 180.0)
    assert keyed["colour_key"].nunique() == len(vectors) == 5
    for key, rows in keyed.groupby("colour_key").groups.items():
        v = vectors[key]
        assert v[np.argmax(np.abs(v))] > 0                                 # largest cone contrast positive
        np.testing.assert_allclose(np.abs(cones[rows]), np.abs(v)[None, :].repeat(len(rows), 0), atol=1e-12)
    positive = np.sign(cones[np.arange(len(cones)), np.argmax(np.abs(cones), axis=1)]) > 0
    np.testing.assert_array_equal(keyed["phase_key"].to_numpy()[positive], params["phase_deg"].to_numpy()[positive])
    np.testing.assert_array_equal(keyed["phase_key"].to_numpy()[~positive],
                                  np.mod(params["phase_deg"].to_numpy()[~positive] + 180.0, 360.0))


def test_uniform_fields_are_phases_0_and_180_of_their_folded_direction():
    _, fields = two_pattern_set()
    fields = fields.assign(phase_deg=90.0)           # a phase column has no meaning for a uniform field
    keyed, vectors = _folded(fields, np.ones(len(fields), bool))
    cones = fields[_CONES].to_numpy(float)
    sign = np.sign(cones[np.arange(len(cones)), np.argmax(np.abs(cones), axis=1)])
    np.testing.assert_array_equal(keyed["phase_key"].to_numpy(), np.where(sign > 0, 0.0, 180.0))
    assert keyed["colour_key"].nunique() == len(vectors) == len(DIRECTIONS)


def test_a_stimulus_without_colour_direction_is_named():
    params = grating_set()
    params.loc[[2, 5], _CONES] = np.nan
    params.loc[[2, 5], ["dkl_azimuth_deg", "dkl_elevation_deg"]] = np.nan
    with pytest.raises(AnalysisError, match=re.escape(
            "cone-isolating stimuli: stimulus 2 has no colour direction (cone contrasts or dkl_azimuth_deg / "
            "dkl_elevation_deg); expected one for every stimulus")):
        _folded(params, np.zeros(len(params), bool))
    gratings, fields = two_pattern_set()
    bad = SetResponses("f", np.ones((1, len(fields))), fields.drop(columns=_CONES).assign(dkl_elevation_deg=np.nan))
    part = SetResponses("two", np.ones((1, len(gratings))), gratings)
    with pytest.raises(AnalysisError, match=rf"cone-isolating stimuli: stimulus {len(gratings)} has no colour"):
        analyse_cones(part, np.zeros(1), fields=bad)


# ---- the grating nearest to an optimum --------------------------------------------------------------------------

def circular_distance(a, b):
    d = np.abs(a - b) % 180.0
    return np.minimum(d, 180.0 - d)


@pytest.mark.parametrize("orientations", [[10.0, 100.0, 160.0], [0.0, 45.0, 90.0, 135.0], [170.0, 5.0]])
def test_nearest_orientation_wraps_at_180(orientations):
    patterns = pd.DataFrame({"orientation_deg": orientations, "sf_cpd": 2.0})
    for target in np.arange(-180.0, 360.0, 7.3):
        expected = int(np.argmin(circular_distance(np.array(orientations), target)))
        assert _nearest(patterns, target, 2.0) == expected, target


def test_nearest_takes_log_sf_first_then_orientation_among_ties():
    patterns = pd.DataFrame({"orientation_deg": [0.0, 90.0, 90.0], "sf_cpd": [1.0, 4.4, 2.0]})
    assert _nearest(patterns, 90.0, 3.0) == 1          # |log2(4.4/3)| < |log2(2/3)|, though |4.4 - 3| > |2 - 3|
    assert _nearest(patterns, 0.0, 2.0) == 2           # the exact SF, though its orientation is 90 deg away
    ties = pd.DataFrame({"orientation_deg": [0.0, 90.0, 60.0], "sf_cpd": [1.0, 4.0, 4.0]})
    assert _nearest(ties, 85.0, 2.0) == 1              # 1 and 4 c/deg one octave either side: orientation decides
    assert _nearest(ties, 5.0, 2.0) == 0
    assert _nearest(ties, 55.0, 2.0) == 2
    assert _nearest(ties, np.nan, 2.0) == 0            # no orientation: the first of the tied patterns
    assert _nearest(patterns.iloc[:0], 0.0, 2.0) == -1


def test_nearest_orientation_either_side_of_the_midpoint():
    patterns = pd.DataFrame({"orientation_deg": [0.0, 90.0], "sf_cpd": 2.0})
    for target, expected in ((44.6, 0), (45.4, 1), (134.6, 1), (135.4, 0), (-44.6, 0), (-45.4, 1)):
        assert _nearest(patterns, target, 2.0) == expected, target


def test_nearest_orientation_tie_goes_to_the_first_pattern_of_the_set():
    orientations = np.arange(0.0, 180.0, 10.0)          # 18 > 16 patterns: a tie an unstable sort may reorder
    patterns = pd.DataFrame({"orientation_deg": orientations, "sf_cpd": 2.0})
    assert _nearest(patterns, 25.0, 2.0) == 2             # 20 and 30 deg, both exactly 5 deg away


# ---- the pattern each unit is measured on ---------------------------------------------------------------------

def four_units():
    """Four planted units, their blanks and optima; each unit's largest mean response is elsewhere than its
    optimum: (45, 0.5), (135, 4), (135, 4), the fields."""
    units = [unit(1.0, 5.0, 0.0), unit(20.0, 0.0, 1.0), unit(1.0, 0.0, 0.1, "complex"), unit(0.2, 0.0, 1.0)]
    blank = [0.3, 1.5, 2.0, 0.0]
    optimum = pd.DataFrame({"orientation_deg": [140.0, 0.0, np.nan, 130.0], "sf_cpd": [3.5, 0.0, np.nan, 4.0]})
    return units, blank, optimum


def test_optimum_picks_the_pattern_and_low_pass_units_take_the_fields():
    gratings, fields = two_pattern_set()
    units, blank, optimum = four_units()
    out = run(units, gratings, fields, blank, optimum)
    assert_weights(out, [L_MINUS_M, BLUE_YELLOW, BLUE_YELLOW, L_MINUS_M])
    assert out["cone_estimator"].tolist() == ["first harmonic", "first harmonic", "energy", "first harmonic"]
    assert out["cone_opponency"].tolist() == ["L-M", "S-(L+M)", "S-(L+M)", "L-M"]
    np.testing.assert_allclose(out["cone_fit_r2"].to_numpy(float), 1.0, atol=1e-9)


def test_without_optimum_each_unit_takes_the_pattern_of_largest_mean_response():
    gratings, fields = two_pattern_set()
    units = [unit(1.0, 5.0, 0.0), unit(20.0, 0.0, 1.0), unit(0.0, 0.0, 1.0, "complex")]
    out = run(units, gratings, fields, [0.5, -0.5, 2.0])
    assert_weights(out, [LUMINANCE, L_MINUS_M, BLUE_YELLOW])
    assert out["cone_opponency"].tolist() == ["non-opponent", "L-M", "S-(L+M)"]


def test_low_pass_unit_in_a_set_without_fields_takes_its_best_grating():
    gratings, _ = two_pattern_set()
    units = [unit(1.0, 5.0, 0.0), unit(5.0, 0.0, 0.0)]
    optimum = pd.DataFrame({"orientation_deg": [np.nan, 45.0], "sf_cpd": [np.nan, 0.0]})
    out = run(units, gratings, None, [0.0, 0.0], optimum)
    assert_weights(out, [LUMINANCE, L_MINUS_M])


def test_a_set_of_uniform_fields_alone():
    _, fields = two_pattern_set()
    units = [unit(1.0, 0.0, 1.0), unit(0.0, 0.0, 1.0, "complex")]
    values = np.array([respond(u, fields) for u in units]) + 1.0
    for optimum in (None, pd.DataFrame({"orientation_deg": [45.0, np.nan], "sf_cpd": [2.0, np.nan]})):
        out = analyse_cones(SetResponses("f", values, fields), np.ones(2), optimum).columns
        assert_weights(out, [BLUE_YELLOW, BLUE_YELLOW])
        assert out["cone_estimator"].tolist() == ["first harmonic", "energy"]


def test_a_unit_that_answers_nothing_has_no_weights():
    gratings, fields = two_pattern_set()
    out = run([unit(0.0, 0.0, 0.0), unit(1.0, 0.0, 0.0)], gratings, fields, [0.7, 0.0])
    assert np.isnan(out.loc[0, WEIGHTS].to_numpy(float)).all() and np.isnan(out.loc[0, "cone_fit_r2"])
    assert out["cone_estimator"].isna().tolist() == [True, False]
    assert out["cone_opponency"].isna().tolist() == [True, False]


@pytest.mark.parametrize("optimum, rows, columns", [
    (pd.DataFrame({"orientation_deg": [0.0, 1.0, 2.0], "sf_cpd": 1.0}), 3, "['orientation_deg', 'sf_cpd']"),
    (pd.DataFrame({"orientation_deg": [0.0, 1.0], "sf": 1.0}), 2, "['orientation_deg', 'sf']"),
])
def test_optimum_of_the_wrong_shape_is_refused(optimum, rows, columns):
    gratings, fields = two_pattern_set()
    with pytest.raises(AnalysisError, match=re.escape(f"one row per unit (2) with columns orientation_deg and "
                                                      f"sf_cpd, got {rows} rows and columns {columns}")):
        run([unit(1.0, 0.0, 0.0), unit(0.0, 1.0, 0.0)], gratings, fields, [0.0, 0.0], optimum)


# ---- where the layer measures cone weights ----------------------------------------------------------------------

def luminance_result(orientation, sf):
    return RoleResult(pd.DataFrame({"optimum_orientation_deg": orientation, "optimum_sf_cpd": sf}))


def chromatic_result(shapes):
    return RoleResult(pd.DataFrame({"chromatic_sf_shape": pd.array(shapes, dtype="string")}))


def test_cone_optimum_prefers_the_closed_loop_optimum():
    optima = pd.DataFrame({"closed_loop_orientation_deg": [15.0, 105.0, 60.0], "closed_loop_sf_cpd": [1.0, 2.0, 4.0]})
    results = {"luminance_gratings": luminance_result([0.0, 90.0, 45.0], [0.5, 8.0, 3.0])}
    out = _cone_optimum(results, optima)
    expected = pd.DataFrame({"orientation_deg": [15.0, 105.0, 60.0], "sf_cpd": [1.0, 2.0, 4.0]})
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(_cone_optimum({}, optima), expected)
    assert optima.columns.tolist() == ["closed_loop_orientation_deg", "closed_loop_sf_cpd"]


def test_cone_optimum_falls_back_to_the_luminance_optimum_or_none():
    results = {"luminance_gratings": luminance_result([0.0, 90.0, 45.0], [0.5, 8.0, np.nan])}
    pd.testing.assert_frame_equal(_cone_optimum(results, None), pd.DataFrame(
        {"orientation_deg": [0.0, 90.0, 45.0], "sf_cpd": [0.5, 8.0, np.nan]}))
    assert _cone_optimum({"chromatic_gratings": chromatic_result(["low-pass"] * 3)}, None) is None


@pytest.mark.parametrize("closed_loop", [False, True])
def test_a_unit_low_pass_for_colour_is_measured_on_the_fields(closed_loop):
    optima = pd.DataFrame({"closed_loop_orientation_deg": [15.0, 105.0, 60.0], "closed_loop_sf_cpd": [1.0, 2.0, 4.0]})
    results = {"luminance_gratings": luminance_result([15.0, 105.0, 60.0], [1.0, 2.0, 4.0]),
               "chromatic_gratings": chromatic_result(["band-pass", "low-pass", None])}
    out = _cone_optimum(results, optima if closed_loop else None)
    pd.testing.assert_frame_equal(out, pd.DataFrame({"orientation_deg": [15.0, 105.0, 60.0],
                                                     "sf_cpd": [1.0, np.nan, 4.0]}))


def test_fields_written_as_gratings_of_sf_0_are_the_uniform_fields():
    gratings, fields = two_pattern_set()
    units, blank, optimum = four_units()
    expected = run(units, gratings, fields, blank, optimum)
    as_gratings = fields.assign(sf_cpd=0.0, orientation_deg=np.nan, phase_deg=0.0)   # conftest's uniform rows
    one_set = pd.concat([gratings, as_gratings], ignore_index=True)
    pd.testing.assert_frame_equal(run(units, one_set, None, blank, optimum), expected)
    free = run(units, one_set, None, blank)
    pd.testing.assert_frame_equal(free, run(units, gratings, fields, blank))


def test_a_set_without_phase_sweep_gives_the_energy_estimate():
    gratings, _ = two_pattern_set()
    cones = gratings[_CONES].to_numpy(float)
    positive = cones[np.arange(len(cones)), np.argmax(np.abs(cones), axis=1)] > 0   # no -d: no second phase
    one_phase = gratings[(gratings["phase_deg"] == 0.0) & positive].drop(columns="phase_deg").reset_index(drop=True)
    assert one_phase["color_direction"].nunique() == 7
    units = [unit(1.0, 1.0, 0.0, "complex"), unit(1.0, 1.0, 0.0, "complex"), unit(5.0, 0.2, 0.0, "complex")]
    optimum = pd.DataFrame({"orientation_deg": [135.0, 40.0, 50.0], "sf_cpd": [4.0, 0.6, 0.7]})
    out = run(units, one_phase, None, [1.0, 0.5, 0.0], optimum)
    assert_weights(out, [L_MINUS_M, LUMINANCE, LUMINANCE])
    assert out["cone_estimator"].tolist() == ["energy"] * 3
    np.testing.assert_allclose(out["cone_fit_r2"].to_numpy(float), 1.0, atol=1e-9)


def test_nullable_dtypes_give_the_same_weights():
    gratings, fields = two_pattern_set()
    units = [unit(1.0, 5.0, 0.0), unit(20.0, 0.0, 1.0), unit(1.0, 0.0, 0.1, "complex")]
    blank = np.array([0.3, 1.5, 2.0])
    optimum = pd.DataFrame({"orientation_deg": [140.0, 0.0, np.nan], "sf_cpd": [3.5, 0.0, np.nan]})
    expected = run(units, gratings, fields, blank, optimum)
    values = [np.array([respond(u, p) for u in units]) + blank[:, None] for p in (gratings, fields)]
    out = analyse_cones(SetResponses("two", values[0], gratings.drop(columns=_CONES).convert_dtypes()), blank,
                        optimum.convert_dtypes(),
                        fields=SetResponses("f", values[1], fields.drop(columns=_CONES).convert_dtypes())).columns
    pd.testing.assert_frame_equal(out, expected, atol=1e-9)


def test_cone_optimum_of_whole_numbers_is_float():
    results = {"luminance_gratings": luminance_result([0, 90, 45], [1, 8, 2]),
               "chromatic_gratings": chromatic_result(["low-pass", "band-pass", "band-pass"])}
    pd.testing.assert_frame_equal(_cone_optimum(results, None), pd.DataFrame(
        {"orientation_deg": [0.0, 90.0, 45.0], "sf_cpd": [np.nan, 8.0, 2.0]}))


@pytest.mark.parametrize("phases", [[0.0, 90.0, 180.0], [0.0, 90.0]])
def test_phases_not_evenly_spaced_are_refused(phases):
    gratings, _ = two_pattern_set()
    cones = gratings[_CONES].to_numpy(float)
    positive = cones[np.arange(len(cones)), np.argmax(np.abs(cones), axis=1)] > 0     # no -d: phases as given
    uneven = gratings[gratings["phase_deg"].isin(phases) & positive].reset_index(drop=True)
    with pytest.raises(AnalysisError, match="evenly spaced"):
        run([unit(1.0, 1.0, 0.0)], uneven, None, [0.0], pd.DataFrame({"orientation_deg": [135.0], "sf_cpd": [4.0]}))


def test_units_answering_nothing_keep_the_declared_dtypes():
    gratings, fields = two_pattern_set()
    out = run([unit(0.0, 0.0, 0.0), unit(0.0, 0.0, 0.0, "complex")], gratings, fields, [0.2, 0.0])
    assert out.dtypes.astype(str).tolist() == ["float64"] * 3 + ["string", "float64", "string"]
    assert out.isna().all().all()


def test_an_incomplete_colour_by_phase_grid_names_its_set():
    gratings, fields = two_pattern_set()
    missing = gratings.drop(index=gratings.index[(gratings["color_direction"] == "S")
                                                 & (gratings["phase_deg"] == 90.0)]).reset_index(drop=True)
    with pytest.raises(AnalysisError, match=r"stimulus set 'two': the colour_key x phase_key grid \(8, 4\) misses"):
        run([unit(1.0, 0.0, 0.0)], missing, fields, [0.0])


def test_zero_contrast_stimuli_change_no_weight():
    params = stimulus_set_from_dict({"name": "z", "family": "grating", "grid": {
        "color_direction": DIRECTIONS, "contrast": [0.0, 1.0], "phase_deg": [0.0, 90.0, 180.0, 270.0]},
        "fixed": {"aperture": "none", "orientation_deg": 135.0, "sf_cpd": 4.0}}).params
    units = [unit(1.0, 0.0, 0.0), unit(1.0, 0.0, 0.0, "complex")]
    with_zero = run(units, params, None, [0.0, 0.5])
    without = run(units, params[params["contrast"] > 0].reset_index(drop=True), None, [0.0, 0.5])
    pd.testing.assert_frame_equal(with_zero, without, atol=1e-9)
    assert_weights(with_zero, [L_MINUS_M, L_MINUS_M])


def test_cone_optimum_of_whole_numbers_without_chromatic_set_is_float():
    pd.testing.assert_frame_equal(_cone_optimum({"luminance_gratings": luminance_result([0, 90], [1, 8])}, None),
                                  pd.DataFrame({"orientation_deg": [0.0, 90.0], "sf_cpd": [1.0, 8.0]}))
