"""Closed-loop optima rounded onto their lattice, the sets shown at them and each unit's stimuli among them.

Planted units answer a luminance grating sweep (orientations every 15 deg, SFs every third of an octave from
0.6 cpd, 4 phases) with a separable tuning peaked at a sampled (orientation, SF), the same at every phase, on top
of their blank; so each unit's optimum (largest F0) is that sample, and its rounded optimum follows by hand.
"""

import numpy as np
import pandas as pd
import xarray as xr

from v1lab.characterisation import AnalysisRoles
from v1lab.characterisation._grid import SetResponses
from v1lab.characterisation.closed_loop import (at_optimum, closed_loop_optima, closed_loop_set, lattice_size,
                                                unit_optima)
from v1lab.classify import ClassificationCriteria
from v1lab.protocol.schema import ClosedLoop
from v1lab.stimuli import stimulus_set_from_dict

ORIS = np.arange(0.0, 180.0, 15.0)
SFS = 0.6 * 2.0 ** (np.arange(13) / 3.0)          # 0.6 .. 9.6 cpd, third-octave steps
PHASES = np.arange(0.0, 360.0, 90.0)
OTHER_SF = 0.45                                   # a second stage-1 set at a lower SF than the luminance sweep
# (gain, preferred orientation, preferred SF index, blank); unit 2 answers every stimulus with its blank
UNITS = [(1.0, 60.0, 4, 0.0), (1.0, 165.0, 8, 0.5), (0.0, 90.0, 6, 2.0), (0.1, 105.0, 10, 0.0)]


def _stage1(sfs=SFS) -> xr.Dataset:
    rows = [("lum", o, f, p) for f in sfs for o in ORIS for p in PHASES] + [("other", 0.0, OTHER_SF, p)
                                                                           for p in PHASES]
    params = pd.DataFrame(rows, columns=["set", "orientation_deg", "sf_cpd", "phase_deg"])
    values = []
    for gain, ori, sf_index, blank in UNITS:
        d = np.minimum(np.abs(params["orientation_deg"] - ori), 180 - np.abs(params["orientation_deg"] - ori))
        octaves = np.log2(params["sf_cpd"] / sfs[sf_index])
        tuning = np.exp(-(d / 20.0) ** 2 - octaves ** 2) * (params["set"] == "lum")
        values.append(blank + gain * tuning)
    coords = {c: ("stimulus", params[c].to_numpy()) for c in params}
    da = xr.DataArray(np.array(values), dims=("unit", "stimulus"), coords=coords)
    return xr.Dataset({"responses": da, "blank": (("unit",), [u[3] for u in UNITS])})


ROLES = AnalysisRoles(luminance_gratings="lum")


def test_optima_are_rounded_to_the_orientation_step_mod_180_and_to_octaves_through_the_lowest_sf():
    """45 deg and 1 octave from 0.6 cpd: 60 -> 45, 165 -> 180 = 0, 105 -> 90; SF 0.6 x 2^(4/3) -> 0.6 x 2,
    2^(8/3) -> 2^3, 2^(10/3) -> 2^3, each exactly 0.6 x 2^k. Unit 2 answers with its blank only: unresponsive, NaN."""
    out = closed_loop_optima(_stage1(), ROLES, None, ClosedLoop(orientation_step_deg=45.0, sf_step_oct=1.0))
    assert list(out.columns) == ["closed_loop_orientation_deg", "closed_loop_sf_cpd"]
    np.testing.assert_allclose(out["closed_loop_orientation_deg"], [45.0, 0.0, np.nan, 90.0], atol=1e-9)
    np.testing.assert_array_equal(out["closed_loop_sf_cpd"], [0.6 * 2, 0.6 * 8, np.nan, 0.6 * 8])


def test_half_octave_steps_and_a_step_of_0_leave_the_sample_or_round_it_finer():
    """50 deg: 60 -> 50, 165 -> 150, 105 -> 100; half octaves: 4/3 -> 3/2, 8/3 -> 5/2, 10/3 -> 7/2 octaves. A step
    of 0 gives back the sampled orientation and SF bit for bit."""
    stage1 = _stage1()
    out = closed_loop_optima(stage1, ROLES, None, ClosedLoop(orientation_step_deg=50.0, sf_step_oct=0.5))
    np.testing.assert_allclose(out["closed_loop_orientation_deg"], [50.0, 150.0, np.nan, 100.0], atol=1e-9)
    np.testing.assert_allclose(out["closed_loop_sf_cpd"], 0.6 * 2.0 ** np.array([1.5, 2.5, np.nan, 3.5]), rtol=1e-9)
    raw = closed_loop_optima(stage1, ROLES, None, ClosedLoop())
    np.testing.assert_array_equal(raw["closed_loop_orientation_deg"], [60.0, 165.0, np.nan, 105.0])
    np.testing.assert_array_equal(raw["closed_loop_sf_cpd"], [SFS[4], SFS[8], np.nan, SFS[10]])


def test_a_step_of_0_never_moves_an_sf_off_its_sample():
    """SFs 0.7 k cpd (linear): 0.7 x 2^log2(k) is not 0.7 k in floating point for k = 5 and 9, the units' peaks;
    without rounding the optimum is the sample itself."""
    sfs = 0.7 * np.arange(1.0, 14.0)
    raw = closed_loop_optima(_stage1(sfs), ROLES, None, ClosedLoop(orientation_step_deg=45.0))
    np.testing.assert_array_equal(raw["closed_loop_sf_cpd"], [sfs[4], sfs[8], np.nan, sfs[10]])


def test_criteria_decide_which_units_get_an_optimum():
    """Unit 3 peaks at 0.1 of the layer's largest response: responsive at the default cut (5/243.1), not at 1/2."""
    strict = ClassificationCriteria(responsive_fraction_of_max=0.5)
    out = closed_loop_optima(_stage1(), ROLES, strict, ClosedLoop())
    assert out["closed_loop_orientation_deg"].isna().tolist() == [False, False, True, True]
    assert out["closed_loop_sf_cpd"].isna().tolist() == [False, False, True, True]


def test_lattice_size_counts_the_distinct_rounded_optima_by_hand():
    """Orientations 0, 20 .. 160 and 175 at 30 deg: {0, 30, .., 150} (175 -> 180 = 0), 6; SFs 0.75, 1, 2, 3, 5 at
    1 octave through 0.75: offsets 0, 0.42, 1.42, 2, 2.74 -> {0.75, 1.5, 3, 6}, 4."""
    oris = list(np.arange(0.0, 180.0, 20.0)) + [175.0]
    sfs = [2.0, 0.75, 5.0, 1.0, 3.0, 2.0]
    assert lattice_size(oris, sfs, ClosedLoop(orientation_step_deg=30.0, sf_step_oct=1.0)) == 6 * 4
    assert lattice_size(oris, sfs, ClosedLoop(orientation_step_deg=30.0, sf_step_oct=0.5)) == 6 * 5
    assert lattice_size(oris, sfs, ClosedLoop()) == 10 * 5
    as_objects = np.array(oris, dtype=object), np.array(sfs, dtype=object)     # a parameter column with gaps
    assert lattice_size(*as_objects, ClosedLoop(orientation_step_deg=30.0, sf_step_oct=1.0)) == 6 * 4


def test_lattice_size_counts_values_equal_to_9_decimals_once():
    """Unrounded samples 2e-10 apart are one optimum, 3e-9 apart two, for orientations and SFs alike."""
    assert lattice_size([10.0, 10.0 + 2e-10, 10.4], [1.0], ClosedLoop()) == 2
    assert lattice_size([10.0, 10.0 + 3e-9, 10.4], [1.0], ClosedLoop()) == 3
    assert lattice_size([0.0], [1.0, 1.0 + 2e-10, 2.0], ClosedLoop()) == 2
    assert lattice_size([0.0], [1.0, 1.0 + 3e-9, 2.0], ClosedLoop()) == 3


TEMPLATE = {"name": "sizes", "family": "grating",
            "fixed": {"color_direction": "luminance", "contrast": 1.0, "aperture": "circular",
                      "orientation_deg": 0.0, "sf_cpd": 1.0, "size_deg": 1.0},
            "grid": {"phase_deg": {"linspace": [0, 360], "num": 4, "endpoint": False}}}


def test_a_closed_loop_set_has_one_copy_per_distinct_optimum_and_size():
    template = stimulus_set_from_dict(TEMPLATE)
    optima = pd.DataFrame({"closed_loop_orientation_deg": [90.0, 45.0, np.nan, 45.0, 0.0],
                           "closed_loop_sf_cpd": [4.8, 1.2, np.nan, 1.2, 4.8]})
    stim = closed_loop_set(template, optima, sizes_deg=[2.0, 0.5])
    assert stim.name == "sizes" and len(stim) == 3 * 2 * 4
    p = stim.params
    shown = list(dict.fromkeys(zip(p["orientation_deg"], p["sf_cpd"], p["size_deg"])))
    assert shown == [(0.0, 4.8, 2.0), (0.0, 4.8, 0.5), (45.0, 1.2, 2.0), (45.0, 1.2, 0.5),
                     (90.0, 4.8, 2.0), (90.0, 4.8, 0.5)]
    assert sorted(p["phase_deg"].unique()) == [0.0, 90.0, 180.0, 270.0]
    same_size = closed_loop_set(template, optima)
    assert len(same_size) == 3 * 4 and set(same_size.params["size_deg"]) == {1.0}
    assert closed_loop_set(template, optima.iloc[[2]]) is None


def test_unit_optima_are_read_back_only_when_both_variables_are_stored():
    ds = xr.Dataset({"closed_loop_orientation_deg": ("unit", [45.0, np.nan]),
                     "closed_loop_sf_cpd": ("unit", [1.2, np.nan]), "blank": ("unit", [0.0, 0.0])})
    out = unit_optima(ds)
    assert list(out.columns) == ["closed_loop_orientation_deg", "closed_loop_sf_cpd"]
    np.testing.assert_array_equal(out.to_numpy(), [[45.0, 1.2], [np.nan, np.nan]])
    assert unit_optima(ds.drop_vars("closed_loop_sf_cpd")) is None
    held = ds.assign(closed_loop_sf_cpd=("unit", np.array([1.2, None], dtype=object)))   # read back as numbers
    assert (unit_optima(held).dtypes == np.float64).all() and np.isnan(unit_optima(held).iloc[1, 1])
    assert unit_optima(ds.drop_vars("closed_loop_orientation_deg")) is None


def test_at_optimum_matches_the_orientation_and_sf_exactly():
    params = pd.DataFrame({"orientation_deg": [45.0, 45.0 + 5e-9, 45.0 + 1e-12, 45.0, 135.0, 45.0],
                           "sf_cpd": [1.2, 1.2, 1.2, 1.2 + 5e-9, 1.2, 1.2 * (1 + 1e-12)]}, dtype=object)
    part = SetResponses("sizes", np.zeros((3, 6)), params)
    optima = pd.DataFrame({"closed_loop_orientation_deg": [45.0, np.nan, 135.0],
                           "closed_loop_sf_cpd": [1.2, 1.2, 1.2]})
    assert at_optimum(part, optima, 0).tolist() == [0, 2, 5]
    none = at_optimum(part, optima, 1)
    assert none.size == 0 and none.dtype.kind == "i"
    assert at_optimum(part, optima, 2).tolist() == [4]
    assert at_optimum(part, optima.assign(closed_loop_sf_cpd=[1.2, 1.2, np.nan]), 2).size == 0
