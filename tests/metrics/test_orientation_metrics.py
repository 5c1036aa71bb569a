"""Orientation metrics against hand-derived values and invariances (hypothesis)."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from v1lab.errors import AnalysisError
from v1lab.metrics import (
    circular_variance,
    orientation_bandwidth,
    orthogonal_preferred_ratio,
    preferred_orientation,
)
from v1lab.metrics._checks import orientation_grid

ORIS = np.arange(0.0, 180.0, 15.0)


def cosine_curve(theta, m, mu):
    return 1.0 + m * np.cos(2 * np.deg2rad(theta - mu))


def von_mises(theta, kappa, mu):
    return np.exp(kappa * (np.cos(2 * np.deg2rad(theta - mu)) - 1))


def _circular_diff(a, b):
    """a - b on the axial circle, in [-90, 90)."""
    return (a - b + 90.0) % 180.0 - 90.0


def test_flat_curve_has_circular_variance_one():
    assert circular_variance(np.full(12, 3.0), ORIS) == pytest.approx(1.0)


def test_single_orientation_has_circular_variance_zero():
    r = np.zeros(12)
    r[4] = 5.0
    assert circular_variance(r, ORIS) == pytest.approx(0.0, abs=1e-12)
    assert preferred_orientation(r, ORIS) == pytest.approx(60.0)


@pytest.mark.parametrize("m", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("mu", [0.0, 37.0, 150.0])
def test_cosine_curve_circular_variance_is_one_minus_half_modulation(m, mu):
    # sum r e^{2i theta} = N m/2 e^{2i mu} over evenly spaced samples; sum |r| = N (m <= 1)
    r = cosine_curve(ORIS, m, mu)
    assert circular_variance(r, ORIS) == pytest.approx(1 - m / 2)
    assert _circular_diff(preferred_orientation(r, ORIS), mu) == pytest.approx(0.0, abs=1e-9)


def test_vectorised_over_units():
    r = np.stack([cosine_curve(ORIS, 0.5, 20.0), cosine_curve(ORIS, 1.0, 100.0)])
    np.testing.assert_allclose(circular_variance(r, ORIS), [0.75, 0.5])
    np.testing.assert_allclose(preferred_orientation(r, ORIS), [20.0, 100.0])


@pytest.mark.parametrize("half_width", [15.0, 20.0, 35.0])
def test_von_mises_bandwidth_without_smoothing_is_analytic(half_width):
    # exp(kappa (cos 2w - 1)) = 1/sqrt(2)  <=>  kappa = ln 2 / (2 (1 - cos 2w))
    kappa = np.log(2) / (2 * (1 - np.cos(np.deg2rad(2 * half_width))))
    theta = np.arange(0.0, 180.0, 5.0)
    bw = orientation_bandwidth(von_mises(theta, kappa, 42.0), theta, smoothing=False)
    assert bw == pytest.approx(half_width, abs=0.2)


def test_smoothing_broadens_a_von_mises_slightly():
    kappa = np.log(2) / (2 * (1 - np.cos(np.deg2rad(40.0))))
    theta = np.arange(0.0, 180.0, 5.0)
    bw = orientation_bandwidth(von_mises(theta, kappa, 42.0), theta)
    # the window [2,5,2]/9 adds variance 4 h^2 / 9 (h = 5 deg) to a curve of sd ~ 20/sqrt(ln 2) deg: +0.2 deg
    assert 20.0 < bw < 20.6


def test_bandwidth_nan_where_curve_never_falls_to_threshold():
    # min/max = (1 - m)/(1 + m) = 0.82 > 1/sqrt(2)
    assert np.isnan(orientation_bandwidth(cosine_curve(ORIS, 0.1, 30.0), ORIS))
    assert np.isnan(orientation_bandwidth(np.zeros(12), ORIS))


def test_orthogonal_preferred_ratio_of_cosine():
    r = cosine_curve(ORIS, 0.5, 45.0)
    assert orthogonal_preferred_ratio(r, ORIS) == pytest.approx(0.5 / 1.5)


def test_orthogonal_not_sampled_raises():
    theta = np.arange(0.0, 180.0, 36.0)
    with pytest.raises(AnalysisError, match="orthogonal orientation"):
        orthogonal_preferred_ratio(cosine_curve(theta, 0.5, 0.0), theta)


def test_uneven_orientations_raise_for_bandwidth():
    with pytest.raises(AnalysisError, match="evenly spaced"):
        orientation_bandwidth([1.0, 2.0, 1.0, 0.5], [0, 30, 90, 135])


def test_mismatched_lengths_raise():
    with pytest.raises(AnalysisError, match="same number"):
        circular_variance([1.0, 2.0], [0.0, 45.0, 90.0])


# exact zeros or values well above the subnormal range (scaling a subnormal underflows to 0)
curves = st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 100.0)), min_size=12, max_size=12).map(np.array)


@settings(max_examples=60, deadline=None)
@given(curves, st.floats(0.01, 1e3))
def test_circular_variance_in_unit_interval_and_scale_invariant(r, scale):
    cv = circular_variance(r, ORIS)
    if np.sum(r) == 0:
        assert np.isnan(cv)
        return
    assert -1e-12 <= cv <= 1 + 1e-12
    assert circular_variance(scale * r, ORIS) == pytest.approx(cv, abs=1e-9)


def _check_rotation(r, delta):
    """The curve rotated by delta has the preferred orientation of the curve, plus delta, in [0, 180)."""
    pref = preferred_orientation(r, ORIS)
    if np.isnan(pref) or np.abs(np.sum(r * np.exp(2j * np.deg2rad(ORIS)))) < 1e-6 * max(r.sum(), 1e-9):
        return
    rotated = preferred_orientation(r, ORIS + delta)
    assert 0.0 <= pref < 180.0 and 0.0 <= rotated < 180.0
    assert abs(_circular_diff(rotated, pref + delta)) < 1e-6


def test_preferred_orientation_just_below_180_is_kept():
    # the vector sum points 0.00087 deg below the 0/180 boundary; the curve rotated by 1 deg prefers 0.99913
    r = np.zeros(12)
    r[0], r[-1] = 1.0, 6.1e-5
    assert preferred_orientation(r, ORIS + 1.0) == pytest.approx(0.9991262855, abs=1e-9)
    assert preferred_orientation(r, ORIS) == pytest.approx(180.0 - 8.737144811e-4, abs=1e-9)
    assert preferred_orientation(r, ORIS - 1.0) == pytest.approx(179.0 - 8.737144811e-4, abs=1e-9)


@pytest.mark.parametrize("mu", [-1e-3, -1e-7, -1e-15, 0.0, 1e-15, 1e-7, 1e-3, 179.99913])
def test_cosine_tuning_near_the_boundary_prefers_its_own_orientation(mu):
    # sum r e^{2i theta} = N m/2 e^{2i mu} (evenly spaced samples): the preferred orientation is mu mod 180
    got = preferred_orientation(cosine_curve(ORIS, 0.5, mu), ORIS)
    assert 0.0 <= got < 180.0
    assert abs(_circular_diff(got, mu)) < 1e-9


def test_orientation_grid_wraps_a_rounding_error_below_zero_to_zero():
    _, theta, step = orientation_grid(cosine_curve(ORIS, 1.0, 30.0), ORIS - 1e-17)
    np.testing.assert_array_equal(theta, ORIS)
    assert step == 15.0


@settings(deadline=None)
@given(curves, st.floats(-360.0, 360.0))
def test_rotating_orientations_shifts_preferred_orientation(r, delta):
    _check_rotation(r, delta)


# a response at 0 deg with small responses at 165 and 15 deg: the vector sum points within ~0.15 deg of 0/180
near_boundary = st.tuples(st.one_of(st.just(0.0), st.floats(1e-9, 1e-2)),
                          st.one_of(st.just(0.0), st.floats(1e-9, 1e-2)),
                          st.floats(0.5, 10.0))


@settings(deadline=None)
@given(near_boundary, st.floats(-2.0, 2.0))
@example((6.1e-5, 0.0, 1.0), 1.0)
def test_small_rotations_across_the_boundary_shift_preferred_orientation(weights, delta):
    below, above, peak = weights
    r = np.zeros(12)
    r[0], r[-1], r[1] = peak, below, above
    _check_rotation(r, delta)


@settings(deadline=None)
@given(st.floats(-0.01, 0.01), st.floats(-2.0, 2.0), st.floats(0.05, 1.0))
def test_rotated_cosine_tuning_prefers_the_rotated_orientation(mu, delta, m):
    # the physics: a cell tuned to mu, rotated by delta, is tuned to mu + delta (mod 180)
    got = preferred_orientation(cosine_curve(ORIS + delta, m, mu + delta), ORIS + delta)
    assert 0.0 <= got < 180.0
    assert abs(_circular_diff(got, mu + delta)) < 1e-9


@settings(max_examples=40, deadline=None)
@given(curves, st.integers(0, 11))
def test_bandwidth_invariant_to_scaling_and_sample_order(r, k):
    bw = orientation_bandwidth(r, ORIS)
    perm = np.roll(np.arange(12), k)
    again = orientation_bandwidth(3.0 * r[perm], ORIS[perm])
    assert (np.isnan(bw) and np.isnan(again)) or again == pytest.approx(bw, abs=1e-6)
    if not np.isnan(bw):
        assert 0.0 < bw <= 90.0


@pytest.mark.parametrize("thetas, peak", [([0.0, 45.0, 90.0, 135.0], 135.0), ([90.0, 135.0, 180.0, 225.0], 180.0),
                                          ([10.0, 100.0], 100.0)])
def test_orthogonal_preferred_ratio_on_the_axial_circle(thetas, peak):
    """The orthogonal of a peak at 135 deg is 45 deg; orientations given beyond 180 deg are the same axes; two
    orientations 90 deg apart are enough; responses below 1 are not special."""
    thetas = np.asarray(thetas)
    r = 0.2 + 0.3 * np.cos(np.deg2rad(thetas - peak)) ** 2
    assert orthogonal_preferred_ratio(r, thetas) == pytest.approx(0.2 / 0.5, rel=1e-12)


def test_orthogonal_preferred_ratio_edge_cases():
    assert np.isnan(orthogonal_preferred_ratio(np.zeros(4), [0.0, 45.0, 90.0, 135.0]))
    with pytest.raises(AnalysisError, match="orthogonal orientation 90 deg"):   # 0.5 deg off: not the orthogonal
        orthogonal_preferred_ratio([1.0, 0.5, 0.2, 0.4], [0.0, 45.0, 90.5, 135.0])
    with pytest.raises(AnalysisError, match="^`responses`: expected at least 2 samples"):
        orthogonal_preferred_ratio([1.0], [0.0])
    with pytest.raises(AnalysisError, match="^`orientations_deg`: expected finite"):
        orthogonal_preferred_ratio([1.0, 0.5], [0.0, np.nan])


def test_one_curve_gives_python_floats():
    r = cosine_curve(ORIS, 0.5, 37.0)
    for value in (circular_variance(r, ORIS), preferred_orientation(r, ORIS), orientation_bandwidth(r, ORIS)):
        assert isinstance(value, float) and not isinstance(value, np.ndarray)


def test_single_precision_inputs_are_computed_in_double():
    """float32 samples are exact doubles: the metrics of them are the definitions evaluated in float64 (the test
    evaluates CV = 1 - |sum r e^{2i theta}| / sum |r| itself); float32 orientations of whole degrees are exact."""
    r32 = cosine_curve(ORIS, 0.37, 37.0).astype(np.float32)
    r = r32.astype(np.float64)
    theta = np.deg2rad(ORIS)
    expected = 1.0 - np.abs(np.sum(r * np.exp(2j * theta))) / np.sum(np.abs(r))
    assert circular_variance(r32, ORIS) == pytest.approx(expected, abs=1e-15)
    exact = cosine_curve(ORIS, 0.5, 37.0)
    assert preferred_orientation(exact, ORIS.astype(np.float32)) == pytest.approx(37.0, abs=1e-9)
    assert circular_variance(exact, ORIS.astype(np.float32)) == pytest.approx(0.75, abs=1e-13)


def test_preferred_orientation_vanishing_sum_is_relative_to_each_curve():
    """Equal responses of 1e6 at 0 and 90 deg cancel to rounding (NaN); a lone response of 1e-20 at 60 deg points
    at 60 deg, also when stacked with a curve a billion times stronger."""
    theta = np.array([0.0, 45.0, 90.0, 135.0])
    assert np.isnan(preferred_orientation([1e6, 0.0, 1e6, 0.0], theta))
    assert preferred_orientation([0.0, 1e-20], [0.0, 60.0]) == pytest.approx(60.0)
    stack = np.array([[1e6, 0.0, 0.0, 0.0], [0.0, 1e-9, 0.0, 0.0]])
    np.testing.assert_allclose(preferred_orientation(stack, theta), [0.0, 45.0], atol=1e-9)


def test_smoothing_window_stays_centred():
    """The periodic window applied to a one-sample spike puts the window on the spike (any odd length)."""
    from v1lab.metrics.orientation import HANNING_WEIGHTS, _smooth_periodic

    spike = np.zeros(12)
    spike[5] = 1.0
    np.testing.assert_allclose(_smooth_periodic(spike, HANNING_WEIGHTS)[4:7], HANNING_WEIGHTS, rtol=1e-15)
    five = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
    np.testing.assert_allclose(_smooth_periodic(spike, five), np.r_[np.zeros(3), five, np.zeros(4)], rtol=1e-15)


def test_bandwidth_smooths_by_default():
    """Brain-Score's window is the default: a one-sample spike is widened by it."""
    spike = np.zeros(12)
    spike[3] = 1.0
    assert orientation_bandwidth(spike, ORIS) == orientation_bandwidth(spike, ORIS, smoothing=True)
    assert orientation_bandwidth(spike, ORIS) > orientation_bandwidth(spike, ORIS, smoothing=False) + 1.0


@pytest.mark.parametrize("mu", [42.3, 101.37, 7.01])
def test_dense_von_mises_bandwidth_to_a_thousandth_of_a_degree(mu):
    """Sampled every degree, the spline is the von Mises curve to ~1e-7: the crossings interpolated on the
    0.05-deg grid give the analytic half-width 1/2 arccos(1 + ln t / kappa) within 1e-3 deg, for t = 1/sqrt2 and for
    t = 1 - 1e-6, whose crossings lie within 0.05 deg of the peak (the first grid sample already below)."""
    kappa = np.log(2) / (2 * (1 - np.cos(np.deg2rad(40.0))))     # half-width 20 deg at 1/sqrt(2)
    theta = np.arange(0.0, 180.0, 1.0)
    r = von_mises(theta, kappa, mu)
    assert orientation_bandwidth(r, theta, smoothing=False) == pytest.approx(20.0, abs=1e-3)
    t = 1 - 1e-6
    narrow = 0.5 * np.rad2deg(np.arccos(1 + np.log(t) / kappa))
    assert narrow < 0.05
    assert orientation_bandwidth(r, theta, smoothing=False, threshold=t) == pytest.approx(narrow, abs=0.03)


def test_bandwidth_of_a_curve_whose_orthogonal_is_at_the_threshold_is_90():
    """Samples 1, 0.75, 0.5, 0.75: the periodic spline's minimum, 90 deg from the peak, is the sample 0.5, exactly
    half the peak: at threshold 0.5 the curve reaches the level there and nowhere else, a half-width of 90 deg."""
    theta = np.array([0.0, 45.0, 90.0, 135.0])
    assert orientation_bandwidth([1.0, 0.75, 0.5, 0.75], theta, smoothing=False, threshold=0.5) == 90.0
    assert np.isnan(orientation_bandwidth([1.0, 0.75, 0.5, 0.75], theta, smoothing=False, threshold=0.49))


@pytest.mark.parametrize("threshold", [0.0, 1.0, 1.5, -0.2])
def test_bandwidth_threshold_is_a_fraction(threshold):
    with pytest.raises(AnalysisError, match=r"^`threshold`: expected a fraction in \(0, 1\), got "):
        orientation_bandwidth(cosine_curve(ORIS, 1.0, 0.0), ORIS, threshold=threshold)


def test_orthogonal_preferred_ratio_of_orientations_beyond_a_turn_and_rounded():
    """Orientations given a full turn (360 deg) later are the same axes; a peak at 90 - 1e-12 deg (rounding) has
    its orthogonal at 0 deg, the same axis as 180."""
    theta = np.array([0.0, 45.0, 90.0, 135.0])
    r = np.array([0.2, 0.3, 0.5, 0.3])
    assert orthogonal_preferred_ratio(r, theta + 360.0) == pytest.approx(0.4)
    assert orthogonal_preferred_ratio(r, [0.0, 45.0, 90.0 - 1e-12, 135.0]) == pytest.approx(0.4)


def test_preferred_orientation_vanishing_threshold_on_both_sides():
    """As for the DKL azimuth: a vector sum of exactly 1e-12 of the summed magnitudes has vanished."""
    t = 1e-12 * (1.0 + 1e-12)
    assert np.isnan(preferred_orientation([0.5, -0.5, t], [0.0, 0.0, 0.0]))
    assert preferred_orientation([0.5, -0.5, np.nextafter(t, 1.0)], [0.0, 0.0, 0.0]) == 0.0
