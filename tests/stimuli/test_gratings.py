"""Gratings against physics: FFT orientation and frequency, phase shifts, isoluminance, apertures, stimupy."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from v1lab.stimuli import Geometry
from v1lab.stimuli.colorimetry import decode_srgb

PPD = 28.0


def _dominant(image: np.ndarray, pad: int = 1024):
    """(orientation of the stripes in degrees, spatial frequency in cycles/degree) of the FFT peak.

    Hann-windowed, zero-padded 2-D FFT of the mean-subtracted image; the peak's wave vector (fx, fy) is in
    cycles/pixel with fy along rows (downwards), so on screen (y up) it is (fx, -fy); the stripes run at
    90 degrees to the wave vector.
    """
    h, w = image.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    spectrum = np.abs(np.fft.fft2((image - image.mean()) * window, s=(pad, pad)))
    spectrum[:, pad // 2:] = 0  # keep fx >= 0 (the spectrum of a real image is symmetric)
    iy, ix = np.unravel_index(np.argmax(spectrum), spectrum.shape)
    fy, fx = np.fft.fftfreq(pad)[iy], np.fft.fftfreq(pad)[ix]
    orientation = (np.degrees(np.arctan2(-fy, fx)) - 90.0) % 180.0
    return orientation, np.hypot(fx, fy) * PPD


@settings(max_examples=25, deadline=None)
@given(st.floats(0.0, 179.9), st.floats(1.5, 6.0), st.floats(0.0, 360.0))
def test_fft_finds_requested_orientation_and_frequency(make_set, cie_y, orientation, sf, phase):
    stim = make_set("grating", {"orientation_deg": orientation, "sf_cpd": sf, "phase_deg": phase})
    image = cie_y(stim.render(Geometry.centred(128, PPD)))[0]
    found_orientation, found_sf = _dominant(image)
    error = (found_orientation - orientation + 90.0) % 180.0 - 90.0
    assert abs(error) < 1.0
    assert found_sf == pytest.approx(sf, rel=0.02)


def test_orientation_zero_is_horizontal_stripes_and_phase_zero_is_bright_at_centre(make_set, cie_y):
    stim = make_set("grating", {"orientation_deg": 0.0, "sf_cpd": 2.0})
    y = cie_y(stim.render(Geometry.centred(65, PPD)))[0]
    assert np.ptp(y, axis=1).max() < 1e-6          # constant along each row: horizontal stripes
    assert y[32, 32] == pytest.approx(y.max())     # bright stripe through the centre


def test_orientation_is_counter_clockwise_on_screen(make_set, cie_y):
    # 45 degrees: stripes rise to the right on screen, i.e. constant along (row - 1, col + 1)
    y = cie_y(make_set("grating", {"orientation_deg": 45.0, "sf_cpd": 2.0}).render(Geometry.centred(33, PPD)))[0]
    assert np.allclose(y[1:, :-1], y[:-1, 1:], atol=1e-6)


@pytest.mark.parametrize("orientation, axis, sign", [(0.0, 0, -1), (90.0, 1, -1), (180.0 - 1e-9, 0, 1)])
def test_phase_step_shifts_pattern_by_expected_pixels(orientation, axis, sign, make_set, cie_y):
    # sf = ppd / 16: one period is 16 px, so a 90-degree step moves the pattern 4 px along (-sin t, cos t)
    # on screen: up (towards row 0) for t = 0, left for t = 90
    fixed = {"orientation_deg": orientation, "sf_cpd": PPD / 16}
    images = make_set("grating", fixed, {"phase_deg": [0.0, 90.0]}).render(Geometry.centred(64, PPD))
    y0, y90 = cie_y(images)
    shifted = np.roll(y0, sign * 4, axis=axis)
    np.testing.assert_allclose(y90, shifted, atol=1e-5)


def test_isoluminant_grating_has_constant_cie_y(make_set, cie_y):
    images = make_set("grating", {"orientation_deg": 30.0, "sf_cpd": 2.0, "color_direction": "L-M"}).render(
        Geometry.centred(64, PPD))
    y = cie_y(images)[0]
    assert np.ptp(y) < 0.01 * y.mean()
    rgb = decode_srgb(images.double())[0]
    assert (rgb[0].max() - rgb[0].min()) > 0.9  # it is a strong red-green modulation nonetheless


@pytest.mark.parametrize("aperture, extra, area", [
    ("circular", {"size_deg": 2.0}, np.pi * (2.0 * PPD) ** 2 / 4),
    ("annulus", {"size_deg": 2.5, "inner_deg": 1.0}, np.pi * ((2.5 * PPD) ** 2 - (1.0 * PPD) ** 2) / 4),
    ("gaussian", {"size_deg": 1.2}, 2 * np.pi * (1.2 * PPD / 4) ** 2),
])
def test_aperture_covers_expected_area(aperture, extra, area, make_set, cie_y):
    stim = make_set("color_field", {"aperture": aperture, "color_direction": "luminance", **extra}) \
        if aperture != "annulus" else make_set("grating", {"aperture": "annulus", "orientation_deg": 0.0,
                                                            "sf_cpd": 1e-6, **extra})
    y = cie_y(stim.render(Geometry(96, 97, 47.3, 48.6, PPD)))[0]
    covered = (y - 0.5) / 0.5  # linear-light modulation: 1 inside, 0 outside, fractional on the edge
    assert covered.sum() == pytest.approx(area, rel=0.005)


def test_crops_with_consistent_centres_render_identical_overlap(make_set, cie_y):
    big = Geometry(70, 90, 33.4, 41.7, PPD)
    crop_rows, crop_cols = slice(10, 60), slice(25, 80)
    small = Geometry(50, 55, 33.4 - 10, 41.7 - 25, PPD)
    sets = [
        make_set("grating", {"orientation_deg": 23.0, "sf_cpd": 2.5, "phase_deg": 40.0, "aperture": "circular",
                             "size_deg": 1.3, "color_direction": "dkl(30,20)", "contrast": 0.7}),
        make_set("gabor", {"orientation_deg": 100.0, "sf_cpd": 3.0, "sigma_deg": 0.3, "x_deg": 0.2}),
        make_set("bar", {"orientation_deg": 70.0, "length_deg": 1.0, "width_deg": 0.1, "y_deg": -0.2}),
        make_set("white_noise", {"seed": 7, "check_deg": 0.1, "size_deg": 1.5}),
    ]
    for stim in sets:
        a = stim.render(big)[0, :, crop_rows, crop_cols]
        b = stim.render(small)[0]
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)


@pytest.mark.parametrize("orientation, phase", [(0.0, 0.0), (30.0, 33.0), (118.0, 250.0)])
def test_sine_grating_matches_stimupy(orientation, phase, make_set, cie_y):
    """Pixel-by-pixel against ``stimupy.components.waves.sine`` with its conventions mapped to ours.

    Mapping: stimupy's ``rotation`` is the direction of the modulation (wave vector), counter-clockwise from
    horizontal, so rotation = orientation + 90; it draws ``sin(2 pi f d + phase_shift)`` along that direction,
    ours ``cos(2 pi f u - phase)`` = ``sin(2 pi f u + 90 - phase)``, so phase_shift = 90 - phase. With
    ``origin="mean"`` stimupy spaces its n pixel centres over ``visual_size`` with ``linspace`` (spacing
    visual_size / (n - 1)), so visual_size = (n - 1) / ppd gives our spacing of 1/ppd around the centre
    (n - 1) / 2. stimupy rescales the drawn image so its sampled min and max hit ``intensities`` and nudges
    distances by 1e-5 degrees, so both images are min-max normalised before comparing; we point-sample
    (supersample=1) like stimupy and compare in linear light.
    """
    from stimupy.components import waves

    n, sf = 64, 1.5
    stim = make_set("grating", {"orientation_deg": orientation, "sf_cpd": sf, "phase_deg": phase, "contrast": 0.8})
    ours = cie_y(stim.render(Geometry.centred(n, PPD), supersample=1, dtype=torch.float64))[0]
    theirs = waves.sine(visual_size=(n - 1) / PPD, shape=n, frequency=sf, rotation=orientation + 90,
                        phase_shift=90 - phase, intensities=(0.0, 1.0), origin="mean",
                        distance_metric="oblique")["img"]

    def normalise(img):
        return (img - img.min()) / np.ptp(img)

    np.testing.assert_allclose(normalise(ours), normalise(theirs), atol=2e-4)


def test_square_wave_is_binary_with_half_duty_cycle(make_set, cie_y):
    stim = make_set("grating", {"orientation_deg": 90.0, "sf_cpd": PPD / 16, "waveform": "square"})
    # period 16 px with the stripe edges on pixel boundaries: every pixel is fully light or fully dark
    y = cie_y(stim.render(Geometry.centred(64, PPD)))[0]
    levels = np.unique(np.round(y, 4))
    assert len(levels) == 2 and levels == pytest.approx([0.0, 1.0], abs=1e-4)
    assert (y > 0.5).mean() == pytest.approx(0.5)
    # shifted by a quarter pixel (phase 360 / 64): edge pixels are 1/4 and 3/4 covered, in linear light
    shifted = make_set("grating", {"orientation_deg": 90.0, "sf_cpd": PPD / 16, "waveform": "square",
                                   "phase_deg": 360 / 64})
    levels = np.unique(np.round(cie_y(shifted.render(Geometry.centred(64, PPD)))[0], 4))
    assert levels == pytest.approx([0.0, 0.25, 0.75, 1.0], abs=1e-4)


@pytest.mark.parametrize("ppd, sigma, x0, y0", [(14.0, 0.45, 0.3, -0.5), (56.0, 0.2, -0.15, 0.1)])
def test_gabor_envelope_is_a_gaussian_of_standard_deviation_sigma(ppd, sigma, x0, y0, make_set, cie_y):
    """A Gabor with a carrier of (nearly) zero frequency is its envelope exp(-r^2 / (2 sigma^2)): in linear light
    it covers 2 pi sigma^2 ppd^2 pixels, is centred on (x_deg, y_deg) and has standard deviation sigma (degrees)
    along each axis, at any ppd."""
    stim = make_set("gabor", {"orientation_deg": 0.0, "sf_cpd": 1e-6, "sigma_deg": sigma, "x_deg": x0, "y_deg": y0})
    n = int(16 * sigma * ppd) | 1
    m = (cie_y(stim.with_ppd(ppd).render(Geometry.centred(n, ppd)))[0] - 0.5) / 0.5
    assert m.sum() == pytest.approx(2 * np.pi * (sigma * ppd) ** 2, rel=0.005)
    x = (np.arange(n) - (n - 1) / 2) / ppd              # degrees, right
    y = ((n - 1) / 2 - np.arange(n)) / ppd              # degrees, up
    wx, wy = m.sum(axis=0), m.sum(axis=1)
    assert (wx @ x / wx.sum(), wy @ y / wy.sum()) == pytest.approx((x0, y0), abs=0.02 / ppd)
    sx = np.sqrt(wx @ (x - x0) ** 2 / wx.sum())
    sy = np.sqrt(wy @ (y - y0) ** 2 / wy.sum())
    # box-averaging each pixel adds 1/12 px^2 to the variance
    assert (sx, sy) == pytest.approx((np.sqrt(sigma ** 2 + 1 / (12 * ppd ** 2)),) * 2, rel=0.003)


@pytest.mark.parametrize("ppd", [PPD, 19.0])
def test_centre_annulus_is_the_centre_disc_and_everything_beyond_the_gap(ppd, make_set, cie_y):
    """A uniform (near-zero SF) grating through a centre_annulus window: 1 inside the disc of diameter size_deg
    and beyond diameter gap_deg, 0 in the grey ring between; the covered area is the canvas minus the ring."""
    stim = make_set("grating", {"aperture": "centre_annulus", "size_deg": 1.0, "gap_deg": 2.5,
                                "orientation_deg": 0.0, "sf_cpd": 1e-6})
    geometry = Geometry(int(3.5 * ppd), int(3.5 * ppd) + 5, 1.75 * ppd - 0.3, 1.75 * ppd + 1.6, ppd)
    covered = (cie_y(stim.with_ppd(ppd).render(geometry))[0] - 0.5) / 0.5
    ring = np.pi * ((2.5 * ppd) ** 2 - (1.0 * ppd) ** 2) / 4
    assert covered.sum() == pytest.approx(covered.size - ring, rel=0.002)
    row, col = round(geometry.centre_y_px), round(geometry.centre_x_px)
    assert covered[row, col] == pytest.approx(1.0, abs=1e-6)                       # the centre disc
    assert covered[row, col + round(0.85 * ppd)] == pytest.approx(0.0, abs=1e-6)  # the grey ring (radius 0.85)
    assert covered[0, 0] == pytest.approx(1.0, abs=1e-6)                           # the surround


@pytest.mark.parametrize("ppd, orientation, sf, phase", [(19.0, 35.0, 2.0, 60.0), (40.0, 120.0, 3.5, 200.0)])
def test_gabor_is_a_sine_carrier_under_a_gaussian_envelope_at_each_pixel(ppd, orientation, sf, phase, make_set,
                                                                         cie_y):
    """Point-sampled (one sample per pixel) Gabor against its definition at every pixel centre:
    ``cos(2 pi f u - phase) exp(-r^2 / (2 sigma^2))`` with ``u = -x' sin(theta) + y' cos(theta)`` and (x', y') the
    position from the Gabor's centre (x_deg, y_deg), on an asymmetric canvas."""
    sigma, x0, y0 = 0.4, 0.25, -0.15
    stim = make_set("gabor", {"orientation_deg": orientation, "sf_cpd": sf, "phase_deg": phase, "sigma_deg": sigma,
                              "x_deg": x0, "y_deg": y0})
    geometry = Geometry(int(3 * ppd), int(3 * ppd) + 7, 1.5 * ppd + 0.3, 1.5 * ppd + 2.8, ppd)
    m = (cie_y(stim.with_ppd(ppd).render(geometry, supersample=1, dtype=torch.float64))[0] - 0.5) / 0.5
    x = (np.arange(geometry.width_px) - geometry.centre_x_px)[None, :] / ppd - x0
    y = (geometry.centre_y_px - np.arange(geometry.height_px))[:, None] / ppd - y0
    t = np.radians(orientation)
    want = np.cos(2 * np.pi * sf * (-x * np.sin(t) + y * np.cos(t)) - np.radians(phase)) * \
        np.exp(-(x ** 2 + y ** 2) / (2 * sigma ** 2))
    np.testing.assert_allclose(m, want, atol=1e-9)


def test_square_wave_edges_are_area_weighted_at_one_sample_per_pixel(make_set, cie_y):
    """Stripe edges 0.3 pixel into a pixel (period 16 px, one sample per pixel): the edge pixels are 0.3 and 0.7
    covered in linear light, the others fully light or dark."""
    stim = make_set("grating", {"orientation_deg": 90.0, "sf_cpd": PPD / 16, "waveform": "square",
                                "phase_deg": 360 * 0.3 / 16})
    y = cie_y(stim.render(Geometry.centred(64, PPD), supersample=1, dtype=torch.float64))[0]
    assert np.unique(np.round(y, 6)).tolist() == pytest.approx([0.0, 0.3, 0.7, 1.0], abs=1e-6)
