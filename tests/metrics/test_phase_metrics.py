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


def test_default_phases_are_evenly_spaced_from_zero():
    """Without phases the N samples are at 360 k / N: a + b cos(phi - 73) gives F0 = a, F1 = b, for N = 3 too."""
    for n in (3, 5, 8):
        phases = 360.0 * np.arange(n) / n
        r = 2.0 + 0.7 * np.cos(np.deg2rad(phases - 73.0))
        f0, f1 = phase_harmonics(r)
        assert f0 == pytest.approx(2.0, abs=1e-12) and f1 == pytest.approx(0.7, abs=1e-12)
        assert modulation_ratio(r) == pytest.approx(0.35, abs=1e-12)
        assert phase_harmonics(r, phases) == pytest.approx((2.0, 0.7), abs=1e-12)


def test_one_response_gives_floats_in_double_precision():
    r = (2.0 + np.cos(np.deg2rad(PHASES - 30.0))).astype(np.float32)
    f0, f1 = phase_harmonics(r, PHASES)
    mr = modulation_ratio(r, PHASES)
    for value in (f0, f1, mr):
        assert isinstance(value, float) and not isinstance(value, np.ndarray)
    assert f0 == pytest.approx(np.mean(r.astype(np.float64)), abs=1e-15)


def test_single_precision_phases_are_converted_before_radians():
    """Whole-degree phases are exact in float32; converted to radians in double, F1 of b cos(phi - 73) is b."""
    r = 3.0 + 1.3 * np.cos(np.deg2rad(PHASES - 73.0))
    _, f1 = phase_harmonics(r, PHASES.astype(np.float32))
    assert f1 == pytest.approx(1.3, abs=1e-13)


def test_phases_beyond_a_turn_are_the_same_phases():
    r = 2.0 + np.cos(np.deg2rad(PHASES - 30.0))
    assert modulation_ratio(r, PHASES + 360.0) == pytest.approx(0.5, abs=1e-12)
    assert modulation_ratio(r, PHASES - 720.0) == pytest.approx(0.5, abs=1e-12)


def test_phase_spacing_tolerance_and_errors():
    """3600 phases 0.1 deg apart: 5e-7 rad off is accepted, 3e-6 rad is not; 20 deg off in 4 phases is refused and
    the error lists the phases to 4 decimals; fewer than 3 phases or the wrong number are named."""
    phases = 0.1 * np.arange(3600)
    for off, ok in ((np.rad2deg(5e-7), True), (np.rad2deg(3e-6), False)):
        shifted = phases.copy()
        shifted[1] += off
        if ok:
            assert phase_harmonics(np.ones(3600), shifted) == pytest.approx((1.0, 0.0), abs=1e-9)
        else:
            with pytest.raises(AnalysisError, match="evenly spaced"):
                phase_harmonics(np.ones(3600), shifted)
    with pytest.raises(AnalysisError, match=r"^`phases_deg`: expected 4 phases evenly spaced over 360 deg, got "
                                            r"\[0\.0, 90\.5, 180\.0, 250\.0\]$"):
        phase_harmonics([1.0, 2.0, 3.0, 4.0], [0.0, 90.5, 180.0, 250.00003])
    with pytest.raises(AnalysisError, match=r"^`responses_over_phase`: expected at least 3 phases for F1, got 2$"):
        phase_harmonics([1.0, 2.0], [0.0, 180.0])
    with pytest.raises(AnalysisError, match=r"^`phases_deg`: expected 8 phases, got shape \(4,\)$"):
        phase_harmonics(np.ones(8), [0.0, 90.0, 180.0, 270.0])


def test_an_f1_within_rounding_of_the_responses_is_0_on_either_side_of_1e_12():
    """c (1 + e cos(phi - 40 deg)) at 8 phases has F1 = |c| e and largest |r| = |c| (1 + e). Each curve is judged
    on its own responses, along the phase axis given: e = 2e-12 is kept and e = 5e-13 is 0 at c = 3 and -3; a flat
    curve at 1000 has F1 0 exactly and modulation ratio 0, and beside it c = 1e-3, e = 1e-11 (F1 = 1e-14) is
    kept."""
    cells = [(3.0, 2e-12), (3.0, 5e-13), (-3.0, 2e-12), (-3.0, 5e-13), (1000.0, 0.0), (1e-3, 1e-11)]
    r = np.array([c * (1 + e * np.cos(np.deg2rad(PHASES - 40.0))) for c, e in cells])
    for values, axis in ((r, -1), (r.T, 0)):
        f0, f1 = phase_harmonics(values, PHASES, axis=axis)
        np.testing.assert_allclose(f1, [6e-12, 0.0, 6e-12, 0.0, 0.0, 1e-14], rtol=1e-3, atol=0.0)
        assert f1[[1, 3, 4]].tolist() == [0.0, 0.0, 0.0]
    assert modulation_ratio(r[4], PHASES) == 0.0


def test_a_modulated_response_whose_mean_is_the_blank_has_no_ratio():
    """1 + cos(phi) at 0, 90, 180 and 270 deg, written exactly (2, 1, 0, 1), over a blank of 1: F1 = 1 over
    F0 - blank = 0 exactly is NaN, without a division warning (warnings are errors here); over a blank of 0.5 it
    is 1 / 0.5 = 2."""
    r = np.array([2.0, 1.0, 0.0, 1.0])
    phases = np.array([0.0, 90.0, 180.0, 270.0])
    assert phase_harmonics(r, phases)[0] == 1.0
    assert np.isnan(modulation_ratio(r, phases, baseline=1.0))
    assert np.isnan(modulation_ratio(np.stack([r, r]), phases, baseline=1.0)).all()
    assert modulation_ratio(r, phases, baseline=0.5) == pytest.approx(2.0, rel=1e-12)
