"""Anti-aliasing against analysis: a sine grating's pixel is the mean of its s x s sub-pixel samples, which has a
closed form (a product of Dirichlet kernels), and that mean approaches the pixel's area average (sinc)."""

import numpy as np
import pytest
import torch

from v1lab.stimuli import Geometry

PPD = 28.0
GEOMETRY = Geometry(40, 52, 17.3, 30.6, PPD)    # asymmetric canvas, centre off the pixel grid


def _dirichlet(w, s):
    """Mean of ``cos(w o)`` over the sub-pixel offsets ``o = (k + 1/2) / s - 1/2``: sin(w/2) / (s sin(w/(2s)))."""
    return np.sinc(w / (2 * np.pi)) / np.sinc(w / (2 * np.pi * s))  # the same, with the limit 1 at w = 0


def _sinc(w):
    """Area mean of ``cos(w o)`` over ``o`` in [-1/2, 1/2]: sin(w/2) / (w/2)."""
    return np.sinc(w / (2 * np.pi))


def _expected(orientation, sf, phase, kernel):
    """m at every pixel of GEOMETRY: cos(psi at the pixel centre) times the kernel of each axis.

    psi = 2 pi f (-x sin t + y cos t) - phase is linear in the sub-pixel offsets (a, b) (columns right, rows
    down): psi = psi_c + alpha a + beta b with alpha = -2 pi f sin t / ppd and beta = -2 pi f cos t / ppd; the
    offsets are symmetric, so the mean of cos is cos(psi_c) times the mean of cos(alpha a) and of cos(beta b).
    """
    t, f = np.radians(orientation), sf
    x = (np.arange(GEOMETRY.width_px) - GEOMETRY.centre_x_px) / PPD
    y = (GEOMETRY.centre_y_px - np.arange(GEOMETRY.height_px)) / PPD
    psi = 2 * np.pi * f * (-x[None, :] * np.sin(t) + y[:, None] * np.cos(t)) - np.radians(phase)
    alpha, beta = -2 * np.pi * f * np.sin(t) / PPD, -2 * np.pi * f * np.cos(t) / PPD
    return np.cos(psi) * kernel(alpha) * kernel(beta)


def _modulation(make_set, cie_y, orientation, sf, phase, contrast, **render):
    stim = make_set("grating", {"orientation_deg": orientation, "sf_cpd": sf, "phase_deg": phase,
                                "contrast": contrast})
    # a luminance grating at contrast c around grey Y0 = 0.5: Y = Y0 (1 + c m)
    return (cie_y(stim.render(GEOMETRY, **render))[0] / 0.5 - 1) / contrast


@pytest.mark.parametrize("orientation, sf, phase, supersample", [(0.0, 2.0, 0.0, 4), (33.0, 5.5, 71.0, 4),
                                                                 (118.0, 9.0, 200.0, 3), (71.0, 13.0, 45.0, 5)])
def test_pixels_are_the_mean_of_the_sub_pixel_samples(make_set, cie_y, orientation, sf, phase, supersample):
    want = _expected(orientation, sf, phase, lambda w: _dirichlet(w, supersample))
    got64 = _modulation(make_set, cie_y, orientation, sf, phase, 0.8, supersample=supersample, dtype=torch.float64)
    got32 = _modulation(make_set, cie_y, orientation, sf, phase, 0.8, supersample=supersample)
    assert np.abs(got64 - want).max() < 1e-10
    assert np.abs(got32 - want).max() < 2e-5     # float32: the phase at 13 c/deg and 1.4 deg rounds to ~2e-6


@pytest.mark.parametrize("orientation, sf", [(20.0, 3.0), (100.0, 7.0)])
def test_four_by_four_samples_approach_the_pixel_area_average(make_set, cie_y, orientation, sf):
    # midpoint rule on s points: |mean cos(w o) - sinc| <= w^2 / (24 s^2) per axis, at most twice that together
    got = _modulation(make_set, cie_y, orientation, sf, 0.0, 1.0, dtype=torch.float64)
    w = 2 * np.pi * sf / PPD
    assert np.abs(got - _expected(orientation, sf, 0.0, _sinc)).max() <= 2 * w**2 / (24 * 16)
    assert np.abs(got - _expected(orientation, sf, 0.0, lambda _: 1.0)).max() > 2 * w**2 / (24 * 16)
