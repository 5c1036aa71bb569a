"""Labels a physiologist would sign, on planted units whose answers follow from their construction (issue 14).

* F1/F0 is the raw ratio of the Ringach database: a rectified Gabor riding on a constant input c >= its drive A
  is never rectified, so at its preferred grating F0 = c, F1 = A and F1/F0 = A / c exactly; and no non-negative
  response can exceed 2 (|sum r_k e^(-i phi_k)| <= sum r_k).
* Double-opponent needs an observed band-pass chromatic SF curve and cone-opponent weights: a red-green Gabor at
  4 c/deg is double-opponent with its chromatic peak at 4 c/deg; the same Gabor tuned beyond the sweep (its peak
  at the sweep's edge) is undetermined, never double-opponent; a luminance Gabor with the same tuning is not.
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from v1lab import metrics as M
from v1lab.characterisation import AnalysisRoles, characterise_layer

from .conftest import LM as LM_AXIS
from .conftest import LUM, PHASES, S_AXIS, SFS, as_dataset, build, gabor, grating_rows, respond

ROLES = AnalysisRoles(luminance_gratings="lum", chromatic_gratings="iso", uniform_fields="fields",
                      cone_isolating="cones", cone_isolating_fields="cone_fields")


def test_raw_modulation_ratio_of_a_rectified_gabor_on_a_constant_input():
    """r = max(0, c + A(f, theta) cos phi) with A the Gabor's drive (A* = 2 at its optimum: weights (1, 1) on
    luminance cone contrasts (1, 1, 1)) and c = A* / sqrt2. At the optimum the 8 phase samples are
    A*(1 + 1/sqrt2), A* sqrt2, A*/sqrt2, 0, 0, 0, A*/sqrt2, A* sqrt2 (clipped from 135 to 225 deg), so
    F0 = A*(1 + 1/sqrt2 + 3 sqrt2)/8, F1 = 2 A*(3 + 1/sqrt2)/8 and F1/F0 = 2(3 + 1/sqrt2)/(1 + 1/sqrt2 + 3 sqrt2);
    the blank is c. F0 grows with A above c, so the optimum is the Gabor's own grating."""
    ds = build({"gabor": (np.array([1.0, 1.0, 0.0]), gabor(0.4, 2.0, 45.0), "simple")}, with_chromatic=False,
               with_uniform=False, with_cones=False)
    c = 2.0 / np.sqrt(2.0)
    amplitude = 2.0 * gabor(0.4, 2.0, 45.0)(ds["sf_cpd"].values, ds["orientation_deg"].values)
    r = np.maximum(0.0, c + amplitude * np.cos(np.deg2rad(ds["phase_deg"].values)))
    t = characterise_layer(as_dataset(ds["responses"].copy(data=r[None, :]), [c]), ROLES, fits=False).iloc[0]
    assert t["optimum_orientation_deg"] == 45.0 and t["optimum_sf_cpd"] == pytest.approx(2.0)
    root2 = np.sqrt(2.0)
    f0, f1 = 2.0 * (1 + 1 / root2 + 3 * root2) / 8, 2 * 2.0 * (3 + 1 / root2) / 8
    assert t["modulation_ratio"] == pytest.approx(f1 / f0, rel=1e-12)
    assert t["modulation_ratio_above_blank"] == pytest.approx(f1 / (f0 - c), rel=1e-12)
    assert t["f0_above_blank_at_preferred"] == pytest.approx(f0 - c, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1e3), min_size=8, max_size=8))
def test_raw_modulation_ratio_of_a_non_negative_response_is_at_most_2(r):
    mr = M.modulation_ratio(np.asarray(r), PHASES)
    assert np.isnan(mr) or mr <= 2.0 + 1e-12


LM = np.array([1.0, -1.0, 0.0])


def _units():
    return {"red_green_4cpd": (LM, gabor(0.5, 4.0, 30.0), "simple"),
            "red_green_beyond": (LM, gabor(0.08, 12.0, 30.0), "simple"),
            "luminance_beyond": (np.array([1.0, 1.0, 0.0]), gabor(0.08, 12.0, 30.0), "simple"),
            "luminance_4cpd": (np.array([1.0, 1.0, 0.0]), gabor(0.5, 4.0, 30.0), "simple")}


@pytest.fixture(scope="module")
def table():
    return characterise_layer(build(_units()), ROLES, fits=False).set_index(pd.Index(list(_units())))


def test_a_red_green_gabor_at_a_high_sf_is_double_opponent_with_its_chromatic_peak(table):
    t = table.loc["red_green_4cpd"]
    assert t["cone_opponency"] == "L-M" and t["chromatic_sf_shape"] == "band-pass"
    assert abs(np.log2(t["chromatic_peak_sf_cpd"] / 4.0)) < 0.1
    assert t["double_opponent"] and t["cell_class"] == "double-opponent"


def test_a_chromatic_peak_at_the_edge_of_the_sweep_is_never_double_opponent(table):
    t = table.loc["red_green_beyond"]
    assert SFS.max() < 12.0 and t["chromatic_peak_sf_cpd"] == pytest.approx(SFS.max(), rel=1e-6)
    assert t["responsive"] and t["cone_opponency"] == "L-M"
    assert t["chromatic_sf_shape"] == "undetermined" and not t["double_opponent"]
    lum = table.loc["luminance_beyond"]     # the same tuning seen through luminance: its peak SF is a bound
    assert lum["peak_sf_at_edge"] and lum["peak_sf_cpd"] == pytest.approx(SFS.max(), rel=1e-6)
    assert not table.loc["luminance_4cpd", "peak_sf_at_edge"]


def test_without_cone_opponent_weights_there_is_no_double_opponent(table):
    t = table.loc["luminance_4cpd"]
    assert t["cone_opponency"] == "non-opponent" and t["color_class"] == "luminance"
    assert not t["double_opponent"] and t["cell_class"] == "simple"


def test_orientation_curve_is_the_f0_curve_at_the_largest_f0():
    """A rectified simple Gabor (drive 2: F1 = 1, F0 = 2 (1 + sqrt2)/8 = 0.60) at 4 c/deg and 30 deg plus an energy
    unit (drive 0.8: F0 = 0.8, F1 = 0) at 1 c/deg and 120 deg: the largest F0 is the energy unit's, so the
    orientation curve and the optimum are there (Ringach et al. 2002), while the SF curve follows the larger
    component, F1, at 30 deg (De Valois et al. 1982 in Brain-Score)."""
    parts = [build({"u": (np.array([1.0, 1.0, 0.0]), gabor(0.5, f0, theta0), kind)}, with_chromatic=False,
                   with_uniform=False, with_cones=False)
             for f0, theta0, kind in ((4.0, 30.0, "simple"), (1.0, 120.0, "complex"))]
    scaled = 2.0 / 2.0 * parts[0]["responses"] + 0.8 / 2.0 * parts[1]["responses"]   # LUM drive is 2 per unit
    t = characterise_layer(as_dataset(scaled, [0.0]), ROLES, fits=False).iloc[0]
    assert t["optimum_orientation_deg"] == 120.0 and t["optimum_sf_cpd"] == pytest.approx(1.0)
    assert t["preferred_orientation_deg"] == pytest.approx(120.0, abs=0.5)
    assert t["peak_sf_cpd"] == pytest.approx(4.0, rel=0.05)


def test_preferred_dkl_azimuth_of_gratings_is_an_axis():
    """Isoluminant gratings at azimuths phi and phi + 180 are the same grating half a cycle apart, so a linear unit
    answers both equally: its preferred azimuth is an axis, read from the doubled angle. Cone weights (0, 1,
    1/sqrt2) give drives -sqrt(1.5) to L-M and +sqrt(1.5) to S: the axis 135 deg, sampled symmetrically."""
    azimuths = np.arange(0.0, 360.0, 45.0)
    rows = grating_rows("lum", LUM, "luminance", np.nan)
    for az in azimuths:
        kappa = np.cos(np.deg2rad(az)) * LM_AXIS + np.sin(np.deg2rad(az)) * S_AXIS
        rows += grating_rows("iso", kappa, f"dkl({az:g},0)", az)
    w, amp = np.array([0.0, 1.0, np.sqrt(0.5)]), gabor(0.5, 2.0, 30.0)
    values = np.array([[respond(w, amp, "simple", r["sf_cpd"], r["orientation_deg"], r["phase_deg"], r["kappa"])
                        for r in rows]])
    params = pd.DataFrame(rows).drop(columns="kappa")
    coords = {c: ("stimulus", params[c].to_numpy()) for c in params}
    coords.update(layer=("unit", ["conv1"]), channel=("unit", [0]))
    ds = as_dataset(xr.DataArray(values, dims=("unit", "stimulus"), coords=coords), [0.0])
    roles = AnalysisRoles(luminance_gratings="lum", chromatic_gratings="iso")
    t = characterise_layer(ds, roles, fits=False).iloc[0]
    assert t["preferred_dkl_azimuth_deg"] == pytest.approx(135.0, abs=1e-9)
