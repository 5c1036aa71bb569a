"""Colorimetry against published numbers and cone-space identities (not against the generator itself)."""

import colour
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from v1lab.errors import GamutError, StimulusError
from v1lab.stimuli import colorimetry as cm


# CIE 170-2:2015 (Stockman & Sharpe 2000 fundamentals -> CIE 2006 XYZ), coefficients as published
PUBLISHED_LMS_TO_XYZ = np.array([[1.94735469, -1.41445123, 0.36476327],
                                 [0.68990272, 0.34832189, 0.0],
                                 [0.0, 0.0, 1.93485343]])


def test_cie_2006_lms_to_xyz_matches_published_coefficients():
    np.testing.assert_allclose(cm.LMS_TO_XYZ, PUBLISHED_LMS_TO_XYZ, atol=2e-6)


def test_cie_2006_fit_reproduces_the_published_coefficients_and_zeros():
    """The least-squares fit itself (run once at import for LMS_TO_XYZ), with the published zeros exact."""
    fitted = cm._lms_to_xyz()
    np.testing.assert_allclose(fitted, PUBLISHED_LMS_TO_XYZ, atol=2e-6)
    assert fitted[1, 2] == fitted[2, 0] == fitted[2, 1] == 0.0


def test_rgb_to_lms_reproduces_srgb_luminance_row():
    # Y from cones (V* = 0.68990272 L + 0.34832189 M) equals the sRGB standard's Y row (0.2126, 0.7152, 0.0722)
    np.testing.assert_allclose(cm.LUMINANCE_WEIGHTS @ cm.RGB_TO_LMS, [0.2126, 0.7152, 0.0722], atol=1e-12)


@pytest.mark.parametrize("x", [0.0, 0.002, 0.0031308, 0.01, 0.2, 0.5, 0.9, 1.0])
def test_transfer_function_matches_colour_science(x):
    ours = cm.encode_srgb(torch.tensor([x], dtype=torch.float64)).item()
    assert ours == pytest.approx(float(colour.cctf_encoding(x, function="sRGB")), abs=1e-12)
    back = cm.decode_srgb(torch.tensor([ours], dtype=torch.float64)).item()
    assert back == pytest.approx(float(colour.cctf_decoding(ours, function="sRGB")), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (4, 3), elements=st.floats(0.0, 1.0)), st.floats(0.05, 0.95))
def test_dkl_round_trip_is_exact(srgb, mean_luminance):
    back = cm.dkl_to_srgb(cm.srgb_to_dkl(srgb, mean_luminance), mean_luminance)
    np.testing.assert_allclose(back, srgb, atol=1e-6)


def _peak_lms(azimuth, elevation, mean_luminance=0.5):
    amplitude, _ = cm.modulation_rgb(azimuth, elevation, mean_luminance)
    background = cm.background_rgb(mean_luminance)
    return cm.RGB_TO_LMS @ background, cm.RGB_TO_LMS @ (background + amplitude)


@pytest.mark.parametrize("mean_luminance", [0.2, 0.5, 0.8])
def test_isoluminant_l_minus_m_leaves_s_and_luminance_unchanged(mean_luminance):
    lms0, lms = _peak_lms(0.0, 0.0, mean_luminance)
    delta = lms - lms0
    assert abs(delta[2]) < 1e-12 * lms0[2]                                  # S unchanged
    assert abs(cm.LUMINANCE_WEIGHTS @ delta) < 1e-12                        # L+M (luminance) unchanged
    assert delta[0] > 0 > delta[1]                                          # L up, M down at azimuth 0


def test_s_axis_isolates_s_cones_and_luminance_axis_is_equal_cone_contrast():
    lms0, lms = _peak_lms(90.0, 0.0)
    np.testing.assert_allclose((lms - lms0)[:2], 0.0, atol=1e-12)
    assert lms[2] > lms0[2]
    lms0, lms = _peak_lms(0.0, 90.0)
    contrast = (lms - lms0) / lms0
    np.testing.assert_allclose(contrast, contrast[0], rtol=1e-12)


@pytest.mark.parametrize("mean_luminance", [0.5, 0.2, 0.85])
@pytest.mark.parametrize("azimuth, elevation", [(0, 0), (90, 0), (45, 0), (200, 30), (0, 90), (10, -60)])
def test_full_contrast_touches_the_gamut_boundary(azimuth, elevation, mean_luminance):
    """background +- amplitude stays in [0, 1] on both sides and touches it, around greys nearer black or white."""
    amplitude, _ = cm.modulation_rgb(azimuth, elevation, mean_luminance)
    extremes = np.concatenate([mean_luminance + amplitude, mean_luminance - amplitude])
    assert extremes.min() >= -1e-12 and extremes.max() <= 1 + 1e-12
    assert min(extremes.min(), 1 - extremes.max()) == pytest.approx(0.0, abs=1e-12)


def test_dkl_to_srgb_outside_gamut_raises_with_amount():
    with pytest.raises(GamutError, match=r"outside the sRGB gamut by 0\.\d+"):
        cm.dkl_to_srgb(np.array([0.0, 1.5, 0.0]))


def test_dkl_axes_are_scaled_to_the_gamut_around_the_reference_grey():
    """Each cardinal axis is scaled to the largest modulation inside the sRGB gamut around linear grey 0.5
    (Derrington, Krauskopf & Lennie 1984): k computed here from the published CIE 2006 and sRGB matrices and the
    axes' cone-contrast directions; DKL points +-1 on an axis touch the gamut and 1.001 lies outside it."""
    rgb_to_lms = np.linalg.solve(PUBLISHED_LMS_TO_XYZ, np.asarray(colour.RGB_COLOURSPACES["sRGB"].matrix_RGB_to_XYZ))
    lms0 = rgb_to_lms @ np.full(3, 0.5)
    lw, mw = 0.68990272 * lms0[0], 0.34832189 * lms0[1]
    axes = [np.ones(3), np.array([mw, -lw, 0.0]) / (lw + mw), np.array([0.0, 0.0, 1.0])]
    deltas = [np.linalg.solve(rgb_to_lms, lms0 * axis) for axis in axes]
    expected = [0.5 / np.abs(delta[np.abs(delta) > 1e-12]).max() for delta in deltas]
    np.testing.assert_allclose(cm._dkl_scale(), expected, rtol=1e-6)
    np.testing.assert_allclose(cm.DKL_SCALE, expected, rtol=1e-6)
    for axis in np.eye(3):
        rgb = colour.cctf_decoding(np.stack([cm.dkl_to_srgb(axis), cm.dkl_to_srgb(-axis)]), function="sRGB")
        assert min(rgb.min(), 1 - rgb.max()) == pytest.approx(0.0, abs=1e-9)
        with pytest.raises(GamutError):
            cm.dkl_to_srgb(1.001 * axis)


def test_s_cone_isolating_direction_is_the_s_axis_and_only_l_m_s_are_cones():
    assert cm.cone_isolating_direction("S") == (90.0, 0.0)
    for bad in ("s", "X"):
        with pytest.raises(StimulusError, match=rf"field 'cone' is '{bad}', expected 'L', 'M' or 'S'"):
            cm.cone_isolating_direction(bad)


@pytest.mark.parametrize("mean_luminance", [0.5, 0.3])
def test_dkl_points_on_the_gamut_boundary_encode_inside_0_1(mean_luminance):
    """Full-contrast points (on the gamut boundary) at every azimuth and several elevations: linear RGB lands a
    rounding error outside [0, 1], and the display values must still be in [0, 1]."""
    az, el = np.meshgrid(np.arange(0.0, 360.0, 5.0), [-60.0, 0.0, 30.0, 90.0])
    _, scale = cm.modulation_rgb(az, el, mean_luminance)
    points = cm.dkl_direction(az, el) * scale[..., None]
    for sign in (1, -1):
        srgb = cm.dkl_to_srgb(sign * points, mean_luminance)
        assert srgb.min() >= 0.0 and srgb.max() <= 1.0
        assert min(srgb.min(), 1 - srgb.max()) == pytest.approx(0.0, abs=1e-6)


def test_decoding_is_linear_up_to_and_including_0_04045():
    """IEC 61966-2-1: L = V / 12.92 for V <= 0.04045 (the end point included), the power law above it."""
    v = torch.tensor([0.0, 0.02, 0.04045, 0.5], dtype=torch.float64)
    expected = [0.0, 0.02 / 12.92, 0.04045 / 12.92, ((0.5 + 0.055) / 1.055) ** 2.4]
    np.testing.assert_allclose(cm.decode_srgb(v).numpy(), expected, rtol=1e-15, atol=0)


def test_encoding_has_the_standard_slopes_and_a_finite_gradient_at_black():
    """dV/dL = 12.92 on the linear segment and 1.055 / 2.4 L^(1/2.4 - 1) above 0.0031308; at black the gradient
    is finite (the power branch, unused there, must not turn it into NaN)."""
    lin = torch.tensor([0.0, 0.001, 0.2, 0.7], dtype=torch.float64, requires_grad=True)
    cm.encode_srgb(lin).sum().backward()
    assert torch.isfinite(lin.grad[0])
    expected = [12.92, 1.055 / 2.4 * 0.2 ** (1 / 2.4 - 1), 1.055 / 2.4 * 0.7 ** (1 / 2.4 - 1)]
    np.testing.assert_allclose(lin.grad[1:].numpy(), expected, rtol=1e-12)


def test_gamut_limit_is_set_by_the_channel_with_least_room():
    """The largest t with rgb0 +- t delta inside [0, 1]^3: room min(rgb0, 1 - rgb0) over |delta| per channel, a
    channel without modulation never limits, and no modulation at all has no limit."""
    rgb0 = np.array([0.3, 0.8, 0.5])                                   # room 0.3, 0.2, 0.5
    deltas = np.array([[0.2, 0.0, -0.1], [0.0, 0.1, 0.0], [0.0, 0.0, 0.0], [-0.6, 0.5, 2.0]])
    np.testing.assert_allclose(cm._gamut_limit(deltas, rgb0), [1.5, 2.0, np.inf, 0.25], rtol=1e-12)
    np.testing.assert_allclose(cm._gamut_limit(deltas[0], rgb0), 1.5, rtol=1e-12)


def test_luminance_is_cie_y_of_the_srgb_primaries():
    """Y of the sRGB primaries (IEC 61966-2-1, the ITU-R BT.709 weights) and of white (1), for any leading shape."""
    np.testing.assert_allclose(cm.luminance(np.eye(3)), [0.2126, 0.7152, 0.0722], atol=5e-5)
    np.testing.assert_allclose(cm.luminance(np.full((2, 1, 3), 0.6)), np.full((2, 1), 0.6), rtol=1e-12)
