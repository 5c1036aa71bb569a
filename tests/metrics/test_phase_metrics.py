"""F0, F1 and the modulation ratio against sinusoids derived by hand."""

import numpy as np
import pytest

from v1lab.errors import AnalysisError
from v1lab.metrics import modulation_ratio, phase_harmonics

PHASES = np.arange(0.0, 360.0, 45.0)


@pytest.mark.parametrize("a,b,phi0", [(2.0, 1.0, 0.0), (5.0, 4.0, 73.0), (1.0, 0.0, 10.0)])
def test_pure_sinusoid(a, b, phi0):
    r = a + b * np.cos(np.deg2rad(PHASES - phi0))
    f0, f1 = phase_harmonics(r, PHASES)
    assert f0 == pytest.approx(a)
    assert f1 == pytest.approx(b, abs=1e-12)
    assert modulation_ratio(r, PHASES) == pytest.approx(b / a, abs=1e-12)


def test_blank_is_subtracted_from_f0_only():
    r = 3.0 + 2.0 * np.cos(np.deg2rad(PHASES))
    assert modulation_ratio(r, PHASES, baseline=1.0) == pytest.approx(2.0 / 2.0)


def test_half_wave_rectified_sinusoid_gives_pi_over_two():
    # F0 = b/pi, F1 = b/2 for max(0, b cos phi)
    phases = np.arange(0.0, 360.0, 1.0)
    r = np.maximum(0.0, 3.0 * np.cos(np.deg2rad(phases)))
    assert modulation_ratio(r, phases) == pytest.approx(np.pi / 2, rel=1e-4)


def test_phase_order_does_not_matter():
    r = 2.0 + np.cos(np.deg2rad(PHASES - 30.0))
    perm = np.array([3, 0, 7, 1, 5, 2, 6, 4])
    assert modulation_ratio(r[perm], PHASES[perm]) == pytest.approx(modulation_ratio(r, PHASES))


def test_nan_where_mean_does_not_exceed_blank():
    assert np.isnan(modulation_ratio(np.zeros(8), PHASES))
    assert np.isnan(modulation_ratio(np.ones(8), PHASES, baseline=1.0))


def test_vectorised_over_axis():
    r = np.stack([2.0 + np.cos(np.deg2rad(PHASES)), 4.0 + 0.0 * PHASES])
    np.testing.assert_allclose(modulation_ratio(r, PHASES), [0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(modulation_ratio(r.T, PHASES, axis=0), [0.5, 0.0], atol=1e-12)


def test_uneven_phases_raise():
    with pytest.raises(AnalysisError, match="evenly spaced over 360"):
        phase_harmonics([1.0, 2.0, 3.0, 4.0], [0, 90, 180, 200])
