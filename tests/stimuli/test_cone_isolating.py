"""Cone-isolating colour directions L and M (and their decrements): colorimetric identities, names, gamut, and a
rendered grating measured back in cone space with a colour chain written here from published numbers."""

from pathlib import Path

import colour
import numpy as np
import pytest
import torch

from v1lab.stimuli import Geometry, load_stimulus_set
from v1lab.stimuli import colorimetry as cm
from v1lab.stimuli.families import direction_name, parse_direction

REPO = Path(__file__).resolve().parents[2]
# CIE 170-2:2015 LMS (Stockman & Sharpe 2000) -> XYZ, as published; sRGB primaries and D65 from colour-science
_LMS_TO_XYZ = np.array([[1.94735469, -1.41445123, 0.36476327],
                        [0.68990272, 0.34832189, 0.0],
                        [0.0, 0.0, 1.93485343]])
_RGB_TO_LMS = np.linalg.solve(_LMS_TO_XYZ, np.asarray(colour.RGB_COLOURSPACES["sRGB"].matrix_RGB_to_XYZ))


def _linear_rgb(images: torch.Tensor) -> np.ndarray:
    """Display sRGB (N, 3, H, W) -> linear RGB (N, H, W, 3) with colour-science's sRGB decoding."""
    return colour.cctf_decoding(images.permute(0, 2, 3, 1).numpy(), function="sRGB")


_CONE = {"L": 0, "M": 1, "-L": 0, "-M": 1}


def _cone_params(make_set, family="color_field", **grid):
    return make_set(family, grid={"color_direction": list(_CONE), **grid}).params


@pytest.mark.parametrize("cone", ["L", "M"])
def test_isolating_direction_has_no_contrast_in_the_other_cones(cone):
    contrast = cm.dkl_to_cone_contrast(cm.dkl_direction(*cm.cone_isolating_direction(cone)))
    i = "LMS".index(cone)
    assert contrast[i] > 0
    np.testing.assert_allclose(np.delete(contrast, i), 0.0, atol=1e-12 * contrast[i])


def test_named_directions_isolate_one_cone_in_the_parameters(make_set):
    params = _cone_params(make_set)
    cones = params[["l_cone_contrast", "m_cone_contrast", "s_cone_contrast"]].to_numpy()
    for row, (name, i) in zip(cones, _CONE.items()):
        assert (row[i] > 0) == (not name.startswith("-")) and abs(row[i]) > 0.1
        np.testing.assert_allclose(np.delete(row, i), 0.0, atol=1e-12)
    np.testing.assert_allclose(cones[2:], -cones[:2], rtol=1e-12)     # -L, -M are the opposite modulations


@pytest.mark.parametrize("name", ["luminance", "L-M", "S", "L", "M", "-L", "-M"])
def test_canonical_names_round_trip(name, make_set):
    assert direction_name(*parse_direction(name)) == name
    params = make_set("color_field", fixed={"color_direction": name}).params
    assert params["color_direction"].iloc[0] == name
    az, el = params[["dkl_azimuth_deg", "dkl_elevation_deg"]].iloc[0]
    by_angles = make_set("color_field", fixed={"dkl_azimuth_deg": float(az), "dkl_elevation_deg": float(el)})
    assert by_angles.params["color_direction"].iloc[0] == name


def test_full_contrast_is_the_gamut_limit():
    for cone in ("L", "M"):
        amplitude, _ = cm.modulation_rgb(*cm.cone_isolating_direction(cone), 0.5)
        extremes = np.concatenate([0.5 + amplitude, 0.5 - amplitude])
        assert extremes.min() >= -1e-12 and extremes.max() <= 1 + 1e-12
        assert min(extremes.min(), 1 - extremes.max()) == pytest.approx(0.0, abs=1e-12)


def test_rendered_l_grating_measured_back_in_cone_space(make_set):
    stim = make_set("grating", fixed={"sf_cpd": 0.5, "orientation_deg": 0.0},
                    grid={"color_direction": ["L", "M"]})
    geometry = Geometry.centred(57)
    images = stim.render(geometry, dtype=torch.float64)
    assert 0 <= images.min() and images.max() <= 1
    lms = _linear_rgb(images) @ _RGB_TO_LMS.T                    # (N, H, W, 3), from display pixels
    lms0 = _linear_rgb(stim.blank(geometry, dtype=torch.float64))[0, 0, 0] @ _RGB_TO_LMS.T
    contrast = lms / lms0 - 1.0
    for k, i in ((0, 0), (1, 1)):                                # L grating: L only; M grating: M only
        c = contrast[k].reshape(-1, 3)
        peak = np.abs(c[:, i]).max()
        expected = stim.params[["l_cone_contrast", "m_cone_contrast"]].iloc[k, i]
        assert peak == pytest.approx(expected, rel=1e-3)          # the centre row holds the crest
        assert np.abs(np.delete(c, i, axis=1)).max() < 1e-6 * peak
    assert contrast[0, :, :, 0].max() > 0.18                     # L-cone contrast of the L direction's crest


def test_shipped_cone_isolating_sets_hold_both_polarities_of_every_field():
    grating = load_stimulus_set(REPO / "stimuli" / "cone_isolating.yaml").params
    fields = load_stimulus_set(REPO / "stimuli" / "cone_isolating_fields.yaml").params
    assert {"L", "M", "S"} <= set(grating["color_direction"]) and len(grating) <= 400
    cones = fields[["l_cone_contrast", "m_cone_contrast", "s_cone_contrast"]].to_numpy()
    np.testing.assert_allclose(cones[1::2], -cones[0::2], atol=1e-12)
    directions = grating.drop_duplicates("color_direction")[["l_cone_contrast", "m_cone_contrast",
                                                             "s_cone_contrast"]].to_numpy()
    np.testing.assert_allclose(cones[0::2], directions, atol=1e-12)
