"""Bars, sparse noise, white noise, colour fields and opponent patches against their geometric definitions."""

import numpy as np
import pytest
import torch

from v1lab.stimuli import Geometry
from v1lab.stimuli.patterns import check_signs

PPD = 28.0


def test_bar_area_and_position(make_set, cie_y):
    stim = make_set("bar", {"length_deg": 1.5, "width_deg": 0.2, "x_deg": 0.5, "y_deg": 0.25},
                    {"orientation_deg": [0.0, 37.0], "polarity": ["light", "dark"]})
    y = cie_y(stim.render(Geometry(96, 96, 47.5, 47.5, PPD)))
    modulation = (y - 0.5) / 0.5
    for k, sign in enumerate([1, -1, 1, -1]):
        assert modulation[k].sum() == pytest.approx(sign * 1.5 * 0.2 * PPD ** 2, rel=0.01)
        rows, cols = np.indices(modulation[k].shape)
        weight = np.abs(modulation[k])
        assert (weight * cols).sum() / weight.sum() == pytest.approx(47.5 + 0.5 * PPD, abs=0.05)
        assert (weight * rows).sum() / weight.sum() == pytest.approx(47.5 - 0.25 * PPD, abs=0.05)


def test_horizontal_bar_is_long_along_x(make_set, cie_y):
    y = cie_y(make_set("bar", {"orientation_deg": 0.0, "length_deg": 2.0, "width_deg": 0.25}).render(
        Geometry.centred(80, PPD)))[0]
    inside = y > 0.75
    assert np.ptp(np.nonzero(inside)[1]) + 1 == pytest.approx(2.0 * PPD, abs=1)
    assert np.ptp(np.nonzero(inside)[0]) + 1 == pytest.approx(0.25 * PPD, abs=1)


def test_sparse_noise_square_lands_on_its_grid_position(make_set, cie_y):
    stim = make_set("sparse_noise", {"size_deg": 0.25, "polarity": "dark", "x_deg": -0.5, "y_deg": 0.75})
    weight = -(cie_y(stim.render(Geometry.centred(84, PPD)))[0] - 0.5) / 0.5  # dark: 1 inside, 0 outside
    rows, cols = np.indices(weight.shape)
    assert weight.sum() == pytest.approx((0.25 * PPD) ** 2, rel=0.005)
    assert (weight * cols).sum() / weight.sum() == pytest.approx(41.5 - 0.5 * PPD, abs=0.01)
    assert (weight * rows).sum() / weight.sum() == pytest.approx(41.5 - 0.75 * PPD, abs=0.01)


def test_white_noise_is_reproducible_balanced_and_uncorrelated(make_set):
    stim = make_set("white_noise", {"check_deg": 1.0 / PPD, "size_deg": 200 / PPD}, {"seed": [3, 3, 4]})
    images = stim.render(Geometry.centred(200, PPD), supersample=1)[:, 0].numpy()
    signs = np.where(images > 0.5, 1.0, -1.0)
    assert np.array_equal(images[0], images[1])
    assert abs(signs[0].mean()) < 0.02                                  # 40000 checks: SD of the mean 0.005
    for a, b in [(signs[0][:, 1:], signs[0][:, :-1]), (signs[0][1:], signs[0][:-1]), (signs[0], signs[2])]:
        assert abs((a * b).mean()) < 0.02                               # neighbours and seeds independent


def test_check_signs_cover_negative_indices():
    i = torch.arange(-50, 50).reshape(1, -1)
    values = check_signs(torch.tensor(1), i, torch.zeros(1, 1, dtype=torch.int64))
    assert set(values.unique().tolist()) == {-1, 1}


def test_colour_field_is_uniform_and_single_opponent_patch_is_opposite(make_set):
    from v1lab.stimuli.colorimetry import RGB_TO_LMS, decode_srgb

    field = make_set("color_field", {"color_direction": "L-M", "contrast": 0.5})
    patch = make_set("opponent_patch", {"opponency": "single", "size_deg": 1.0, "surround_deg": 2.0,
                                        "color_direction": "L-M"})
    g = Geometry.centred(70, PPD)
    f = decode_srgb(field.render(g).double())[0]
    assert float((f - f[:, :1, :1]).abs().max()) < 1e-6
    lms = np.einsum("ij,jhw->ihw", RGB_TO_LMS, decode_srgb(patch.render(g).double())[0].numpy())
    lms0 = RGB_TO_LMS @ np.full(3, 0.5)
    centre, surround, outside = lms[:, 34, 34], lms[:, 34, 34 + 20], lms[:, 0, 0]
    np.testing.assert_allclose(centre - lms0, -(surround - lms0), atol=1e-6)
    np.testing.assert_allclose(outside, lms0, atol=1e-6)
    assert centre[0] > lms0[0] and centre[1] < lms0[1]


def test_double_opponent_surround_is_the_centre_grating_in_antiphase(make_set, cie_y):
    patch = make_set("opponent_patch", {"opponency": "double", "size_deg": 2.0, "surround_deg": 4.0,
                                        "color_direction": "luminance", "orientation_deg": 0.0,
                                        "sf_cpd": PPD / 14})
    y = cie_y(patch.render(Geometry.centred(113, PPD), supersample=1))[0] - 0.5
    # centre column: rows 56 +- 14 px (inside the 1-degree radius) and rows 56 +- 42 (in the surround)
    # lie a whole number of periods apart, so the surround must be the negative of the centre there
    assert y[56 - 14, 56] == pytest.approx(-y[56 - 42, 56], abs=1e-6)
    assert abs(y[56 - 14, 56]) > 0.4


@pytest.mark.parametrize("ppd, size", [(PPD, 1.0), (19.0, 1.5)])
def test_white_noise_fills_a_square_of_size_deg_on_the_centre(ppd, size, make_set, cie_y):
    """Checks of +-1 inside the square of side size_deg, grey outside: |m| sums to (size ppd)^2 pixels (one sample
    per pixel, edges area-weighted) and is centred on the stimulus centre of an asymmetric canvas."""
    stim = make_set("white_noise", {"seed": 5, "check_deg": 0.1, "size_deg": size}).with_ppd(ppd)
    geometry = Geometry(int(2 * size * ppd) + 3, int(2 * size * ppd), size * ppd + 0.4, size * ppd - 0.7, ppd)
    weight = np.abs(cie_y(stim.render(geometry, supersample=1))[0] - 0.5) / 0.5
    assert weight.sum() == pytest.approx((size * ppd) ** 2, rel=1e-4)
    rows, cols = np.indices(weight.shape)
    assert (weight * cols).sum() / weight.sum() == pytest.approx(geometry.centre_x_px, abs=0.01)
    assert (weight * rows).sum() / weight.sum() == pytest.approx(geometry.centre_y_px, abs=0.01)


@pytest.mark.parametrize("ppd", [PPD, 17.0])
def test_double_opponent_patch_is_a_sine_grating_reversed_in_the_surround(ppd, make_set, cie_y):
    """Point-sampled double-opponent patch (luminance direction) against its definition away from the two edges:
    ``cos(2 pi f u - phase)`` inside the centre disc (diameter size_deg), its negative in the surround annulus (to
    surround_deg), grey beyond; u across stripes at an oblique orientation, asymmetric canvas."""
    size, surround, sf, orientation, phase = 1.2, 2.6, 1.7, 35.0, 50.0
    patch = make_set("opponent_patch", {"opponency": "double", "size_deg": size, "surround_deg": surround,
                                        "color_direction": "luminance", "orientation_deg": orientation,
                                        "sf_cpd": sf, "phase_deg": phase}).with_ppd(ppd)
    geometry = Geometry(int(3 * ppd), int(3 * ppd) + 6, 1.5 * ppd - 0.2, 1.5 * ppd + 2.7, ppd)
    m = (cie_y(patch.render(geometry, supersample=1, dtype=torch.float64))[0] - 0.5) / 0.5
    x = (np.arange(geometry.width_px) - geometry.centre_x_px)[None, :] / ppd
    y = (geometry.centre_y_px - np.arange(geometry.height_px))[:, None] / ppd
    r = np.hypot(x, y)
    t = np.radians(orientation)
    wave = np.cos(2 * np.pi * sf * (-x * np.sin(t) + y * np.cos(t)) - np.radians(phase))
    sign = np.where(r < size / 2, 1.0, np.where(r < surround / 2, -1.0, 0.0))
    away = (np.abs(r - size / 2) > 1 / ppd) & (np.abs(r - surround / 2) > 1 / ppd)
    np.testing.assert_allclose(m[away], (sign * wave)[away], atol=1e-9)
    assert (sign[away] == 0).sum() > 100 and (sign[away] == 1).sum() > 100 and (sign[away] == -1).sum() > 100


def test_colour_fields_of_several_sizes_in_one_batch_cover_their_own_discs(make_set, cie_y):
    stim = make_set("color_field", {"aperture": "circular", "color_direction": "luminance"},
                    {"size_deg": [0.6, 1.1, 1.7]})
    y = cie_y(stim.render(Geometry(64, 70, 31.2, 35.4, PPD)))
    covered = ((y - 0.5) / 0.5).sum(axis=(1, 2))
    np.testing.assert_allclose(covered, np.pi * (np.array([0.6, 1.1, 1.7]) * PPD) ** 2 / 4, rtol=0.005)
