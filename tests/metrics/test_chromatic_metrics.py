"""Chromatic ratios and the preferred DKL direction."""

import numpy as np
import pytest

from v1lab.metrics import chromatic_ratio, preferred_dkl_azimuth, uniform_field_ratio


def test_ratio_of_peaks():
    assert chromatic_ratio([[0.1, 0.6], [0.3, 0.2]], [1.0, 2.0, 0.5]) == pytest.approx(0.3)
    assert uniform_field_ratio([0.2, 0.9], [0.3, 1.8]) == pytest.approx(0.5)


def test_zero_denominator_gives_inf_or_nan():
    assert chromatic_ratio([1.0], [0.0, -0.1]) == np.inf
    assert np.isnan(chromatic_ratio([0.0], [0.0]))


@pytest.mark.parametrize("pref", [0.0, 60.0, 200.0, 315.0])
def test_preferred_azimuth_of_rectified_cosine(pref):
    az = np.arange(0.0, 360.0, 45.0)
    r = np.maximum(0.0, np.cos(np.deg2rad(az - pref)))
    assert preferred_dkl_azimuth(r, az) == pytest.approx(pref, abs=1e-9)


def test_axial_direction_folds_opposite_azimuths():
    az = np.arange(0.0, 360.0, 30.0)
    r = np.abs(np.cos(np.deg2rad(az - 240.0)))     # a grating: 240 and 60 are the same axis
    assert preferred_dkl_azimuth(r, az, axial=True) == pytest.approx(60.0, abs=1e-9)
    assert np.isnan(preferred_dkl_azimuth(r, az))  # as a direction the two lobes cancel


@pytest.mark.parametrize("axial, period", [(False, 360.0), (True, 180.0)])
@pytest.mark.parametrize("offset", [-1e-3, -1e-6, 1e-6, 1e-3])
def test_preferred_azimuth_near_the_wrap_is_kept(axial, period, offset):
    # 1 + cos(m (phi - pref)) sampled evenly: the vector sum is N/2 e^{i m pref}, so the answer is pref mod P
    m = 2.0 if axial else 1.0
    az = np.arange(0.0, 360.0, 30.0)
    got = preferred_dkl_azimuth(1.0 + np.cos(m * np.deg2rad(az - offset)), az, axial=axial)
    assert 0.0 <= got < period
    assert (got - offset + period / 2) % period - period / 2 == pytest.approx(0.0, abs=1e-9)


def test_ratios_of_peaks_below_one():
    """Amplitudes are in response units, not normalised: a denominator peak of 0.4 still divides."""
    assert chromatic_ratio([0.1, 0.2], [0.4, 0.3]) == pytest.approx(0.5)
    assert uniform_field_ratio([0.3, 0.05], [0.4]) == pytest.approx(0.75)
    assert uniform_field_ratio([0.3], [0.0]) == np.inf and np.isnan(uniform_field_ratio([-0.1], [0.0]))


@pytest.mark.parametrize("metric, names", [(chromatic_ratio, ("chromatic_responses", "luminance_responses")),
                                           (uniform_field_ratio, ("uniform_responses",
                                                                  "chromatic_grating_responses"))])
def test_bad_responses_are_named_in_the_error(metric, names):
    from v1lab.errors import AnalysisError

    with pytest.raises(AnalysisError, match=rf"^`{names[0]}`: expected finite values"):
        metric([np.nan, 1.0], [1.0])
    with pytest.raises(AnalysisError, match=rf"^`{names[1]}`: expected finite values"):
        metric([1.0], [1.0, np.inf])


def test_preferred_azimuth_scale_free_vanishing_sum_and_inputs():
    """The vector sum vanishes relative to the responses' scale: opposite directions with equal responses of 1e6
    cancel to rounding (NaN), while a single response of 1e-20 still points somewhere; two samples suffice."""
    from v1lab.errors import AnalysisError

    assert np.isnan(preferred_dkl_azimuth([1e6, 1e6], [0.0, 180.0]))
    assert preferred_dkl_azimuth([1e-20, 0.0], [30.0, 210.0]) == pytest.approx(30.0)
    assert preferred_dkl_azimuth([1.0, 0.0], [40.0, 100.0]) == pytest.approx(40.0)
    with pytest.raises(AnalysisError, match="^`responses`: expected at least 2 samples"):
        preferred_dkl_azimuth([1.0], [0.0])
    with pytest.raises(AnalysisError, match="^`azimuths_deg`: expected finite"):
        preferred_dkl_azimuth([1.0, 2.0], [0.0, np.nan])


def test_preferred_azimuth_vanishing_threshold_on_both_sides():
    """Responses 0.5, -0.5 and t at one azimuth: the vector sum is t and the summed magnitudes 1 + t (both exact in
    floating point for t = 1e-12 (1 + 1e-12)); a sum of exactly 1e-12 of the magnitudes has vanished, the next
    float above it has not."""
    t = 1e-12 * (1.0 + 1e-12)
    assert 1.0 + t == 1.0 + 1e-12
    assert np.isnan(preferred_dkl_azimuth([0.5, -0.5, t], [0.0, 0.0, 0.0]))
    assert preferred_dkl_azimuth([0.5, -0.5, np.nextafter(t, 1.0)], [0.0, 0.0, 0.0]) == 0.0
