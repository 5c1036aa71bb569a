"""Colour directions of a chromatic sweep kept apart, and the RMS cone contrast that equates matched gratings.

Planted complex-type units answer one grating (one SF, one orientation, 4 phases) per colour direction with a
fixed amplitude, so the chromatic peak amplitude is the largest of them; averaging two directions into one level
would halve it. RMS cone contrast is sqrt((c_L^2 + c_M^2 + c_S^2) / 3) per stimulus (Johnson et al. 2001).
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from v1lab.characterisation._grid import SetResponses
from v1lab.characterisation.chromatic import analyse_chromatic, check_equated, sf_shape
from v1lab.errors import AnalysisError

PHASES = (0.0, 90.0, 180.0, 270.0)


def _chromatic(levels: dict, **columns) -> SetResponses:
    """``levels``: {colour parameters: response}, each shown at every phase."""
    rows, values = [], []
    for colour, r in levels.items():
        for phase in PHASES:
            rows.append({**dict(zip(columns["names"], colour)), "sf_cpd": 2.0, "orientation_deg": 45.0,
                         "phase_deg": phase})
            values.append(r)
    return SetResponses("iso", np.array(values)[None, :], pd.DataFrame(rows))


def test_directions_without_dkl_coordinates_stay_apart():
    part = _chromatic({("L-M",): 0.0, ("S",): 2.0}, names=("color_direction",))
    assert analyse_chromatic(part, np.zeros(1)).columns.loc[0, "chromatic_peak_amplitude"] == pytest.approx(2.0)


def test_one_direction_name_at_two_azimuths_stays_apart():
    part = _chromatic({("dkl", 0.0, 0.0): 0.0, ("dkl", 90.0, 0.0): 2.0},
                      names=("color_direction", "dkl_azimuth_deg", "dkl_elevation_deg"))
    assert analyse_chromatic(part, np.zeros(1)).columns.loc[0, "chromatic_peak_amplitude"] == pytest.approx(2.0)


def test_a_chromatic_grid_missing_a_stimulus_names_its_set():
    part = _chromatic({("L-M",): 0.0, ("S",): 2.0}, names=("color_direction",))
    part = SetResponses("iso", part.values[:, 1:], part.params.iloc[1:].reset_index(drop=True))
    with pytest.raises(AnalysisError, match="stimulus set 'iso': the colour_key x sf_cpd x orientation_deg x "
                                            "phase_deg grid"):
        analyse_chromatic(part, np.zeros(1))


CONES = ("l_cone_contrast", "m_cone_contrast", "s_cone_contrast")


def _responses(cones: dict, dtype=float, recorded=True) -> xr.Dataset:
    """``cones``: {set name: [(c_L, c_M, c_S) per stimulus]}."""
    names = [n for n, rows in cones.items() for _ in rows]
    table = np.array([c for rows in cones.values() for c in rows], dtype=float)
    coords = {"set": ("stimulus", names)}
    if recorded:
        coords.update({c: ("stimulus", table[:, i].astype(dtype)) for i, c in enumerate(CONES)})
    return xr.Dataset({"responses": (("unit", "stimulus"), np.zeros((1, len(names))))}, coords=coords)


def test_equated_sets_are_compared_at_their_largest_rms_cone_contrast():
    """Luminance stimuli at RMS 0.4 and 0.2 (cone contrasts 0.4 and 0.2 on all three cones), isoluminant at 0.4
    (0.4 sqrt(3/2) on L and M, opposite): the largest RMS contrasts agree, the mean over stimuli would not."""
    lm = 0.4 * np.sqrt(1.5)
    cones = {"lum": [(0.4, 0.4, 0.4), (0.2, 0.2, 0.2)], "iso": [(lm, -lm, 0.0)] * 2}
    check_equated(_responses(cones), "lum", "iso")
    check_equated(_responses(cones, dtype=object), "lum", "iso")      # numbers held as objects read as floats


def test_unequated_sets_name_the_contrast_factor_that_would_equate_them():
    """Luminance at RMS 0.8, isoluminant at 0.4: a luminance sweep at 0.5 of this one would match."""
    lm = 0.4 * np.sqrt(1.5)
    cones = {"lum": [(0.8, 0.8, 0.8)], "iso": [(lm, -lm, 0.0)]}
    with pytest.raises(AnalysisError, match=r"RMS cone contrast 0\.8 vs 0\.4; .* at contrast 0\.5 of this one"):
        check_equated(_responses(cones), "lum", "iso")


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning", "ignore:Mean of empty slice:RuntimeWarning")
def test_sets_without_cone_contrasts_are_taken_as_equated():
    unequal = {"lum": [(0.8, 0.8, 0.8)], "iso": [(0.1, -0.1, 0.0)]}
    check_equated(_responses(unequal, recorded=False), "lum", "iso")
    cones = {"lum": [(np.nan, np.nan, np.nan)], "iso": [(0.4, -0.4, 0.0)]}
    check_equated(_responses(cones), "lum", "iso")
    check_equated(_responses(cones), "iso", "lum")


def test_sf_shape_names_each_observed_curve_shape():
    """Over 1 .. 16 cpd: a log-Gaussian peaked at 4 cpd falls to 1/sqrt2 on both sides (band-pass);
    1 / (1 + (f / 4)^4) only above its peak (low-pass); a rising curve on neither observed side of a peak
    (undetermined); a curve without a positive response has no shape."""
    sfs = 2.0 ** np.arange(5.0)
    curves = np.array([np.exp(-(np.log2(sfs) - 2.0) ** 2), 1 / (1 + (sfs / 4.0) ** 4), sfs / 16.0, np.zeros(5)])
    shape = sf_shape(curves, sfs)
    assert shape.dtype == pd.StringDtype() and shape.iloc[3] is pd.NA
    assert shape.tolist()[:3] == ["band-pass", "low-pass", "undetermined"] and shape.isna().tolist()[3]


def _sweep(sfs, table) -> SetResponses:
    """One L-M direction over ``sfs`` x orientations 0, 60, 120 x 4 phases; ``table[o]``: responses over SF."""
    rows, values = [], []
    for s, sf in enumerate(sfs):
        for o, ori in enumerate((0.0, 60.0, 120.0)):
            for phase in PHASES:
                rows.append({"color_direction": "L-M", "dkl_azimuth_deg": 0.0, "dkl_elevation_deg": 0.0,
                             "sf_cpd": sf, "orientation_deg": ori, "phase_deg": phase})
                values.append(table[o][s])
    return SetResponses("iso", np.array(values)[None, :], pd.DataFrame(rows))


# at 120 deg (orientation index 2) a band-pass curve symmetric in log SF about 2 cpd; rising at 0 deg
TABLE = {0: [0.2, 0.4, 0.8], 1: [0.1, 0.1, 0.1], 2: [0.5, 2.0, 0.5]}


def test_three_sfs_and_orientations_give_the_sf_curve_at_the_peak_orientation():
    out = analyse_chromatic(_sweep((1.0, 2.0, 4.0), TABLE), np.zeros(1)).columns.iloc[0]
    assert out["chromatic_peak_amplitude"] == pytest.approx(2.0)
    assert out["chromatic_peak_sf_cpd"] == pytest.approx(2.0, rel=1e-6)
    assert out["chromatic_sf_shape"] == "band-pass"
    assert np.isfinite(out["chromatic_orientation_bandwidth_deg"])
    curve = analyse_chromatic(_sweep((1.0, 2.0, 4.0), TABLE), np.zeros(1)).curves["chromatic_sf"]
    np.testing.assert_allclose(curve.curves, [TABLE[2]], atol=1e-12)
    np.testing.assert_array_equal(curve.x, [1.0, 2.0, 4.0])


def test_a_sweep_through_0_cpd_has_no_peak_sf_or_shape():
    out = analyse_chromatic(_sweep((0.0, 2.0, 4.0), TABLE), np.zeros(1)).columns.iloc[0]
    assert np.isnan(out["chromatic_peak_sf_cpd"]) and pd.isna(out["chromatic_sf_shape"])


def test_three_azimuths_give_a_preferred_axis():
    """Amplitudes |cos(a - 60)| at azimuths 0, 60, 120: the axial vector sum of 0.5, 1, 0.5 at doubled angles
    0, 120, 240 points to 120, the axis 60 deg."""
    levels = {(f"dkl{a:g}", a, 0.0): abs(np.cos(np.deg2rad(a - 60.0))) for a in (0.0, 60.0, 120.0)}
    part = _chromatic(levels, names=("color_direction", "dkl_azimuth_deg", "dkl_elevation_deg"))
    assert analyse_chromatic(part, np.zeros(1)).columns.loc[0, "preferred_dkl_azimuth_deg"] == pytest.approx(60.0)
