"""The orientation/SF estimator and the DKL colour measures against physics: rendered gratings of known
orientation, SF and colour direction (numpy and v1lab.stimuli), never against the estimator itself."""

import numpy as np
import pytest

from v1lab.errors import AnalysisError
from v1lab.preferred.crosscheck import orientation_difference
from v1lab.preferred.measure import fit_plane_wave, measure_stimulus
from v1lab.stimuli import Geometry, stimulus_set_from_dict
from v1lab.stimuli.colorimetry import dkl_to_srgb


def numpy_grating(theta_deg, cpp, n, phase=0.7):
    """Sinusoid whose stripes lie at theta (counter-clockwise from horizontal, y up, rows grow downward)."""
    ys, xs = np.mgrid[0:n, 0:n]
    x, y = xs - (n - 1) / 2, (n - 1) / 2 - ys
    phi = np.radians(theta_deg + 90.0)
    return 0.5 + 0.3 * np.cos(2 * np.pi * cpp * (x * np.cos(phi) + y * np.sin(phi)) + phase)


@pytest.mark.parametrize("n", [7, 24])
@pytest.mark.parametrize("theta", [0.0, 22.5, 60.0, 90.0, 151.0])
@pytest.mark.parametrize("cpp", [0.09, 0.31])
def test_plane_wave_recovers_numpy_gratings(theta, cpp, n):
    patch = np.broadcast_to(numpy_grating(theta, cpp, n), (3, n, n))
    ori, f, r2 = fit_plane_wave(patch)
    assert orientation_difference(ori, theta) < 0.5
    assert f == pytest.approx(cpp, rel=0.01)
    assert r2 > 0.99


def test_orientation_convention_on_screen():
    """Horizontal stripes (rows alternate) are 0 degrees; stripes rising to the right are 45."""
    ys, xs = np.mgrid[0:16, 0:16]
    horizontal = np.broadcast_to((ys % 4 < 2).astype(float), (1, 3, 16, 16))
    # along a line of constant column + row, one column right is one row up: the stripes rise to the right
    rising = np.broadcast_to((((xs + ys) % 8) < 4).astype(float), (1, 3, 16, 16))
    falling = np.broadcast_to((((xs - ys) % 8) < 4).astype(float), (1, 3, 16, 16))
    out = measure_stimulus(np.concatenate([horizontal, rising, falling]), ppd=28.0)
    assert orientation_difference(out.orientation_deg[0], 0.0) < 1.0
    assert orientation_difference(out.orientation_deg[1], 45.0) < 1.0
    assert orientation_difference(out.orientation_deg[2], 135.0) < 1.0


def test_v1lab_rendered_gratings():
    """Gratings drawn by v1lab.stimuli (luminance and isoluminant L-M): orientation, SF, colour class."""
    spec = {"name": "t", "family": "grating", "ppd": 28.0,
            "fixed": {"contrast": 0.5, "phase_deg": 30.0},
            "grid": {"orientation_deg": [15.0, 100.0], "sf_cpd": [3.0, 6.0],
                     "color_direction": ["luminance", "L-M"]}}
    sset = stimulus_set_from_dict(spec)
    images = sset.render(Geometry.centred(32, 28.0))
    out = measure_stimulus(images, ppd=28.0)
    p = sset.params
    assert np.all(orientation_difference(out.orientation_deg, p.orientation_deg) < 1.0)
    np.testing.assert_allclose(out.sf_cpd, p.sf_cpd, rtol=0.02)
    lum = (p.color_direction == "luminance").to_numpy()
    assert set(out.color_class[lum]) == {"luminance"}
    assert set(out.color_class[~lum]) == {"colour-preferring"}
    assert set(out.chromatic_structure[~lum]) == {"structured"}


def test_uniform_colour_is_uniform_and_chromatic():
    red = dkl_to_srgb(np.array([0.0, 0.6, 0.0]))
    field = np.broadcast_to(red[:, None, None], (1, 3, 9, 9))
    row = measure_stimulus(field, ppd=28.0).iloc[0]
    assert row.chromatic_coherence == pytest.approx(1.0)
    assert row.chromatic_structure == "uniform"
    assert row.color_class == "colour-preferring"
    assert row.lm_energy == pytest.approx(0.36, rel=1e-6)
    assert row.grating_r2 == 0.0


def test_bad_input_raises():
    with pytest.raises(AnalysisError, match=r"expected \(N, 3, H, W\)"):
        measure_stimulus(np.zeros((3, 5, 5)), ppd=28.0)
    with pytest.raises(AnalysisError, match="'ppd'"):
        measure_stimulus(np.zeros((1, 3, 5, 5)), ppd=0)
