"""Spatial-frequency and area-summation metrics against curves with known peak, bandwidth, SI and GSF."""

import numpy as np
import pytest
from scipy.special import erf

from v1lab.errors import AnalysisError
from v1lab.metrics import (
    grating_summation_field,
    peak_spatial_frequency,
    spatial_frequency_bandwidth,
    spatial_frequency_falloff,
    surround_suppression_index,
)

SFS = 2.0 ** np.arange(-3.0, 4.01, 0.125)


def log_gaussian(sf, peak, sigma):
    return np.exp(-np.log2(sf / peak) ** 2 / (2 * sigma ** 2))


@pytest.mark.parametrize("peak,sigma", [(1.5, 0.6), (0.7, 1.0), (3.0, 0.4)])
def test_log_gaussian_peak_and_bandwidth(peak, sigma):
    r = log_gaussian(SFS, peak, sigma)
    expected_bw = 2 * sigma * np.sqrt(np.log(2))   # full width at 1/sqrt(2), octaves
    assert peak_spatial_frequency(r, SFS, smoothing=False) == pytest.approx(peak, rel=2e-3)
    assert spatial_frequency_bandwidth(r, SFS, smoothing=False) == pytest.approx(expected_bw, rel=5e-3)
    # the [1,5,1]/7 window adds variance 2 h^2/7 (h = 1/8 octave): well under 1 % for these widths
    assert peak_spatial_frequency(r, SFS) == pytest.approx(peak, rel=5e-3)
    assert spatial_frequency_bandwidth(r, SFS) == pytest.approx(expected_bw, rel=0.02)


def test_low_pass_curve_has_no_bandwidth_and_peaks_at_lowest_frequency():
    r = np.exp(-SFS / 2.0)
    assert np.isnan(spatial_frequency_bandwidth(r, SFS))
    assert peak_spatial_frequency(r, SFS) == pytest.approx(SFS[0])


def test_sf_order_does_not_matter_and_silence_is_nan():
    r = log_gaussian(SFS, 1.0, 0.8)
    perm = np.random.default_rng(0).permutation(SFS.size)
    assert peak_spatial_frequency(r[perm], SFS[perm]) == pytest.approx(peak_spatial_frequency(r, SFS))
    assert np.isnan(peak_spatial_frequency(np.zeros(SFS.size), SFS))


def test_nonpositive_frequency_raises():
    with pytest.raises(AnalysisError, match="positive spatial frequencies"):
        peak_spatial_frequency([1.0, 2.0, 1.0], [0.0, 1.0, 2.0])


def rog(d, k_c, w_c, k_s, w_s):
    return k_c * erf(d / (2 * w_c)) ** 2 / (1 + k_s * erf(d / (2 * w_s)) ** 2)


@pytest.mark.parametrize("params", [(2.0, 0.5, 1.5, 1.5), (1.0, 0.3, 4.0, 1.0), (1.0, 0.4, 0.3, 3.0)])
def test_ratio_of_gaussians_area_summation(params):
    # continuous truth from the formula on a 1e-4 deg grid, up to a diameter where the surround has saturated
    dense = np.linspace(0.0, 20.0, 200_001)
    curve = rog(dense, *params)
    r_peak = curve.max()
    plateau = params[0] / (1 + params[2])            # R(d -> inf) = k_c / (1 + k_s)
    si_true = (r_peak - plateau) / r_peak
    gsf_true = dense[np.argmax(curve >= 0.95 * r_peak)]
    step = 0.05
    d = np.arange(step, 20.0 + step / 2, step)
    r = rog(d, *params)
    assert surround_suppression_index(r, d) == pytest.approx(si_true, abs=1e-3)
    assert gsf_true <= grating_summation_field(r, d) < gsf_true + step


def test_no_suppression_gives_zero_si():
    d = np.linspace(0.2, 8.0, 40)
    r = rog(d, 1.0, 0.5, 0.0, 1.0)
    assert surround_suppression_index(r, d) == pytest.approx(0.0)
    assert np.isnan(surround_suppression_index(np.zeros(5), np.arange(1.0, 6.0)))


def test_duplicate_sizes_raise():
    with pytest.raises(AnalysisError, match="distinct"):
        surround_suppression_index([1.0, 2.0, 3.0], [1.0, 1.0, 2.0])


def test_falloff_of_one_curve_and_of_a_spike_with_and_without_smoothing():
    """A one-sample spike of 1 on a floor of 0.68: the raw samples fall below 1/sqrt2 of the peak on both sides;
    Brain-Score's window lowers the peak to (0.136 + 1 + 0.136) / 1.4 = 0.909 and the floor stays above 0.707 of it."""
    sf = 2.0 ** np.arange(7.0) / 4
    spike = np.where(np.arange(7) == 3, 1.0, 0.68)
    below, above, edge = spatial_frequency_falloff(spike, sf)              # one curve: one value each
    assert np.ndim(below) == 0 and not below and not above and not edge
    below, above, _ = spatial_frequency_falloff(spike, sf, smoothing=False)
    assert below and above


@pytest.mark.parametrize("threshold", [0.0, 1.0, 1.5, -0.2])
def test_falloff_threshold_is_a_fraction(threshold):
    with pytest.raises(AnalysisError, match=r"^`threshold`: expected a fraction in \(0, 1\)"):
        spatial_frequency_falloff(np.ones(5), 2.0 ** np.arange(5.0), threshold=threshold)


def test_falloff_of_planted_band_low_and_high_pass_curves():
    """Curves of height 3 at 7 octave steps: a log-Gaussian (peak at the middle sample) falls
    on both sides; a decaying exponential (peak at the lowest SF) only above, with its peak at the edge; its mirror
    image; a silent and a negative curve have no positive value, so nothing is observed."""
    sf = 2.0 ** np.arange(7.0) / 4
    k = np.arange(7.0)
    band, low = 3 * np.exp(-(k - 3) ** 2 / 2), 3 * np.exp(-k / 1.5)
    curves = np.stack([band, low, low[::-1], np.zeros(7), -np.ones(7)])
    below, above, edge = spatial_frequency_falloff(curves, sf, smoothing=False)
    assert below.tolist() == [True, False, True, False, False]
    assert above.tolist() == [True, True, False, False, False]
    assert edge.tolist() == [False, True, True, False, False]


def test_suppression_index_reads_the_largest_diameter_given_in_any_order():
    """Peak 4 at 2 deg, 1 at the largest diameter (4 deg): SI = (4 - 1) / 4; two diameters are enough."""
    assert surround_suppression_index([1.0, 4.0, 1.0, 2.0], [4.0, 2.0, 1.0, 3.0]) == pytest.approx(0.75)
    assert surround_suppression_index([2.0, 1.0], [1.0, 2.0]) == pytest.approx(0.5)


def test_summation_field_at_and_around_the_criterion():
    """A response exactly at 0.95 of the peak reaches it; at 2 diameters; criterion 1 is the peak's diameter."""
    assert grating_summation_field([0.95, 1.0, 0.2], [1.0, 2.0, 3.0]) == 1.0
    assert grating_summation_field([0.94, 1.0, 0.2], [1.0, 2.0, 3.0]) == 2.0
    assert grating_summation_field([1.0, 2.0], [2.0, 1.0]) == 1.0
    assert grating_summation_field([0.5, 0.99, 1.0], [1.0, 2.0, 3.0], criterion=1.0) == 3.0
    assert grating_summation_field([0.5, 0.99, 1.0], [1.0, 2.0, 3.0], criterion=0.5) == 1.0
    assert np.isnan(grating_summation_field(np.zeros(4), np.arange(1.0, 5.0)))
    assert np.isnan(grating_summation_field([-1.0, -0.5], [1.0, 2.0]))


@pytest.mark.parametrize("criterion", [0.0, -0.1, 1.0 + 1e-9, 1.5])
def test_summation_field_criterion_is_a_fraction(criterion):
    with pytest.raises(AnalysisError, match=rf"^`criterion`: expected a fraction in \(0, 1\], got {criterion}$"):
        grating_summation_field([1.0, 2.0], [1.0, 2.0], criterion=criterion)


@pytest.mark.parametrize("metric", [surround_suppression_index, grating_summation_field])
def test_size_metrics_name_the_bad_argument(metric):
    with pytest.raises(AnalysisError, match="^`responses`: expected finite"):
        metric([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(AnalysisError, match="^`sizes_deg`: expected distinct"):
        metric([1.0, 2.0], [1.0, 1.0])
    with pytest.raises(AnalysisError, match="^`responses`: expected at least 2 samples"):
        metric([1.0], [1.0])


def _parabola_vertex(x, s):
    """Vertex of the parabola through three equally spaced points (the not-a-knot spline through 3 samples)."""
    h = x[1] - x[0]
    return x[1] + 0.5 * h * (s[0] - s[2]) / (s[0] - 2 * s[1] + s[2])


@pytest.mark.parametrize("vertex", [0.0025, 0.7137, 1.0, 1.9975])
@pytest.mark.parametrize("start", [0.0, -1.0])
def test_peak_of_three_samples_is_the_parabola_vertex(vertex, start):
    """Through three samples the spline is the parabola: its peak is the vertex, to rounding, also within a grid
    step (0.002 octave) of either end, and for a sweep starting below 1 cycle/deg."""
    x = start + np.array([0.0, 1.0, 2.0])
    s = 5.0 - (x - start - vertex) ** 2
    assert peak_spatial_frequency(s, 2.0 ** x, smoothing=False) == pytest.approx(2.0 ** (start + vertex), rel=1e-9)


def test_peak_of_three_smoothed_samples():
    """Brain-Score's window [1, 5, 1]/7 with the end samples repeated, applied here by hand, then the vertex."""
    raw = np.array([1.0, 2.0, 1.8])
    padded = np.r_[raw[0], raw, raw[-1]]
    smoothed = (padded[:-2] + 5 * padded[1:-1] + padded[2:]) / 7
    x = np.array([-1.0, 0.0, 1.0])
    expected = 2.0 ** _parabola_vertex(x, smoothed)
    assert peak_spatial_frequency(raw, 2.0 ** x) == pytest.approx(expected, rel=1e-9)      # smoothing by default
    assert peak_spatial_frequency(raw, 2.0 ** x, smoothing=True) == pytest.approx(expected, rel=1e-9)
    assert peak_spatial_frequency(raw, 2.0 ** x, smoothing=False) == pytest.approx(2.0 ** _parabola_vertex(x, raw),
                                                                                    rel=1e-9)


def test_bandwidth_of_three_samples_is_the_parabola_width():
    """S(x) = 2 - (x - 1)^2 through x = 0, 1, 2 octaves: S = 2t at x = 1 -/+ sqrt(2 (1 - t)), so B = 2 sqrt(2 (1 - t));
    the crossings interpolated on the 0.002-octave grid are within 1e-5 octave."""
    x = np.array([0.0, 1.0, 2.0])
    s = 2.0 - (x - 1.0) ** 2
    for t in (1 / np.sqrt(2), 0.8):
        assert spatial_frequency_bandwidth(s, 2.0 ** x, smoothing=False, threshold=t) == pytest.approx(
            2 * np.sqrt(2 * (1 - t)), abs=1e-5)


def test_bandwidth_and_falloff_of_a_curve_at_the_threshold_at_both_ends():
    """Samples 0.5, 1, 0.5: the parabola reaches exactly half its peak at both ends of the sweep, so at threshold 0.5
    it falls there: a bandwidth of 2 octaves, falling below and above; at 0.49 it does not fall."""
    sf = np.array([1.0, 2.0, 4.0])
    s = [0.5, 1.0, 0.5]
    assert spatial_frequency_bandwidth(s, sf, smoothing=False, threshold=0.5) == pytest.approx(2.0, abs=1e-12)
    below, above, edge = spatial_frequency_falloff(s, sf, smoothing=False, threshold=0.5)
    assert below and above and not edge
    assert np.isnan(spatial_frequency_bandwidth(s, sf, smoothing=False, threshold=0.49))


def test_bandwidth_needs_both_sides_and_a_positive_peak():
    """A rising curve has no high side; a curve peaking at exactly 0 has no positive value; a flat curve never
    falls (and computes no 0/0 on the way: warnings are errors here)."""
    assert np.isnan(spatial_frequency_bandwidth(np.exp(SFS / 8.0), SFS))
    assert np.isnan(spatial_frequency_bandwidth([-1.0, 0.0, -1.0], [1.0, 2.0, 4.0], smoothing=False))
    assert np.isnan(spatial_frequency_bandwidth(np.ones(SFS.size), SFS))


def test_bandwidth_smooths_by_default():
    sf = 2.0 ** np.arange(7.0) / 4
    spike = np.where(np.arange(7) == 3, 1.0, 0.5)
    assert spatial_frequency_bandwidth(spike, sf) == spatial_frequency_bandwidth(spike, sf, smoothing=True)
    assert spatial_frequency_bandwidth(spike, sf) != pytest.approx(
        spatial_frequency_bandwidth(spike, sf, smoothing=False), abs=0.1)


@pytest.mark.parametrize("threshold", [0.0, 1.0, 1.5, -0.2])
def test_bandwidth_threshold_is_a_fraction(threshold):
    with pytest.raises(AnalysisError, match=r"^`threshold`: expected a fraction in \(0, 1\), got "):
        spatial_frequency_bandwidth(np.ones(5), 2.0 ** np.arange(5.0), threshold=threshold)


def test_sf_metrics_name_the_bad_argument_and_take_a_3d_stack():
    with pytest.raises(AnalysisError, match="^`responses`: expected finite"):
        peak_spatial_frequency([1.0, np.nan, 2.0], [1.0, 2.0, 4.0])
    with pytest.raises(AnalysisError, match="^`sf_cpd`: expected finite"):
        peak_spatial_frequency([1.0, 2.0, 3.0], [1.0, np.nan, 4.0])
    curves = np.stack([log_gaussian(SFS, p, s) for p, s in ((0.5, 0.6), (1.5, 1.0), (3.0, 0.4), (1.0, 0.8))])
    stacked = peak_spatial_frequency(curves.reshape(2, 2, -1), SFS)
    assert stacked.shape == (2, 2)
    np.testing.assert_allclose(stacked.ravel(), [peak_spatial_frequency(c, SFS) for c in curves], rtol=1e-12)


def test_bandwidth_of_a_narrow_parabola_within_the_linear_interpolation_bound():
    """S(x) = 1 - 100 (x - 1)^2 through x = 0, 1, 2: crossings at 1 -/+ d, d = sqrt((1 - t) / 100) = 0.054 octave.
    Linear interpolation between grid points h apart misplaces a crossing of a parabola of curvature 2c by at most
    c h^2 / (4 |S'|), |S'| = 2 c d: with h = 0.002 octave that is 9.2e-6 octave a side."""
    t = 1 / np.sqrt(2)
    d = np.sqrt((1 - t) / 100)
    bound = 100 * 0.002 ** 2 / (4 * 2 * 100 * d)
    got = spatial_frequency_bandwidth([-99.0, 1.0, -99.0], [1.0, 2.0, 4.0], smoothing=False)
    assert got == pytest.approx(2 * d, abs=2 * bound)


def test_silent_curve_has_no_bandwidth_without_warnings():
    """Every sample at the (zero) level: the crossing interpolation is 0/0, which is not a warning (errors here)."""
    assert np.isnan(spatial_frequency_bandwidth(np.zeros(SFS.size), SFS))
