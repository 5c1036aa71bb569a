"""The luminance analyser on planted units whose every column follows from their construction.

A planted unit answers the grating (f, theta, phi) with

    r = B + g(f) h(theta) (1 + m cos(phi - phi0)),   h(theta) = a + b cos 2(theta - theta_p),

so over phase F0 = B + g h and F1 = m g h exactly, the blank is B, and F0 - blank = g h. Over n >= 3 orientations
evenly spaced over 180 deg, sum_k cos 2(theta_k - theta_p) e^{2 i theta_k} = (n / 2) e^{2 i theta_p}, so the raw
F0 curve B + g a + g b cos 2(theta - theta_p) has circular variance 1 - g b / (2 (B + g a)) and preferred
orientation theta_p; with theta_p sampled, the orthogonal / preferred ratio is (B + g (a - b)) / (B + g (a + b)).
With g a log-Gaussian exp(-log2^2(f / f_p) / (2 sigma^2)) sampled densely, the SF curve F0 - blank peaks at f_p
and falls to a fraction t of its peak at log2(f / f_p) = +-sigma sqrt(2 ln(1 / t)); the raw F0 curve B + P g,
P = g h at its peak, falls to t (B + P) where g = (t (B + P) - B) / P.
"""

import itertools

import numpy as np
import pandas as pd
import pytest

from v1lab.characterisation._grid import SetResponses
from v1lab.characterisation.luminance import analyse_luminance
from v1lab.errors import AnalysisError

NAN_COLUMNS = ("preferred_orientation_deg", "circular_variance", "orientation_bandwidth_deg",
               "orthogonal_preferred_ratio")


def log_gaussian(f_p, sigma):
    return lambda f: np.exp(-np.log2(f / f_p) ** 2 / (2 * sigma ** 2))


def unit(*, g, a=1.0, b=0.0, theta_p=0.0, m=0.0, phi0=0.0, spont=0.0):
    def respond(f, theta, phi):
        h = a + b * np.cos(2 * np.deg2rad(theta - theta_p))
        return spont + g(f) * h * (1 + m * np.cos(np.deg2rad(phi - phi0)))
    return respond


def sweep(units, sfs, oris, phases, *, name="lum", shuffle=False):
    """The set's responses (one row per unit); ``oris`` or ``phases`` None: the column is absent."""
    rows = [{"sf_cpd": f, "orientation_deg": o, "phase_deg": p}
            for f, o, p in itertools.product(sfs, [np.nan] if oris is None else oris,
                                             [0.0] if phases is None else phases)]
    if shuffle:
        rows = [rows[i] for i in np.random.default_rng(3).permutation(len(rows))]
    values = np.array([[u(r["sf_cpd"], np.nan_to_num(r["orientation_deg"]), r["phase_deg"]) for r in rows]
                       for u in units])
    params = pd.DataFrame(rows)
    params = params.drop(columns=[c for c, v in (("orientation_deg", oris), ("phase_deg", phases)) if v is None])
    return SetResponses(name, values, params)


@pytest.mark.parametrize("oris, theta_p", [((0.0, 60.0, 120.0), 60.0), ((0.0, 45.0, 90.0, 135.0), 135.0),
                                           (tuple(np.arange(0.0, 180.0, 30.0)), 30.0)])
def test_orientation_metrics_of_a_cosine_tuned_unit_from_three_orientations_up(oris, theta_p):
    """g = 0.5, 1, 0.25 at 1.5, 3, 6 c/deg; h = 1 + 0.6 cos 2(theta - theta_p); spontaneous rate 0.2, so the raw
    F0 curve at 3 c/deg is 1.2 + 0.6 cos: CV = 1 - 0.6 / 2.4, OPR = 0.6 / 1.8 where an orthogonal pair exists."""
    g = {1.5: 0.5, 3.0: 1.0, 6.0: 0.25}
    part = sweep([unit(g=g.get, b=0.6, theta_p=theta_p, m=0.5, spont=0.2)], g, oris, (0.0, 90.0, 180.0, 270.0))
    res = analyse_luminance(part, np.array([0.2]))
    t = res.columns.iloc[0]
    assert t["n_orientations"] == len(oris)
    assert t["optimum_sf_cpd"] == 3.0 and t["optimum_orientation_deg"] == theta_p
    assert t["circular_variance"] == pytest.approx(1 - 0.6 / 2.4, abs=1e-12)
    assert t["preferred_orientation_deg"] == pytest.approx(theta_p, abs=1e-9)
    if len(oris) % 2:
        assert np.isnan(t["orthogonal_preferred_ratio"])
    else:
        assert t["orthogonal_preferred_ratio"] == pytest.approx(0.6 / 1.8, abs=1e-12)
    np.testing.assert_allclose(res.fits["ori_vm"].x, oris)
    np.testing.assert_allclose(res.fits["ori_vm"].curves,
                               [[0.2 + 1 + 0.6 * np.cos(2 * np.deg2rad(o - theta_p)) for o in oris]], atol=1e-12)
    assert t["f0_above_blank_at_preferred"] == pytest.approx(1.6, abs=1e-12)
    assert t["luminance_peak_amplitude"] == pytest.approx(1.6, abs=1e-12)


def _assert_orientation_unmeasured(res, reason):
    for c in NAN_COLUMNS:
        assert res.columns[c].dtype == np.float64 and res.columns[c].isna().all(), c
    fit = res.fits["ori_vm"]
    assert fit.curves is None and fit.x is None and fit.reason == reason


def test_two_orientations_are_too_few_for_orientation_metrics():
    g = {1.0: 0.5, 2.0: 1.0, 4.0: 0.5}
    part = sweep([unit(g=g.get, b=0.5, theta_p=90.0)], g, (0.0, 90.0), (0.0, 120.0, 240.0))
    res = analyse_luminance(part, np.zeros(1))
    assert res.columns.loc[0, "n_orientations"] == 2.0 and res.columns.loc[0, "optimum_orientation_deg"] == 90.0
    _assert_orientation_unmeasured(res, "fewer than 3 orientations in the luminance sweep")


def test_a_sweep_without_orientations_has_none():
    """No ``orientation_deg`` column (as if every grating were a field): 0 orientations, optimum orientation NaN."""
    g = {1.0: 0.5, 2.0: 1.0, 4.0: 0.5}
    res = analyse_luminance(sweep([unit(g=g.get)], g, None, (0.0, 120.0, 240.0)), np.zeros(1))
    assert res.columns.loc[0, "n_orientations"] == 0.0 and np.isnan(res.columns.loc[0, "optimum_orientation_deg"])
    assert res.columns.loc[0, "optimum_sf_cpd"] == 2.0
    _assert_orientation_unmeasured(res, "fewer than 3 orientations in the luminance sweep")


@pytest.mark.parametrize("phases", [(30.0, 150.0, 270.0), (0.0, 90.0, 180.0, 270.0)])
def test_modulation_ratio_from_three_phases_up(phases):
    """At the optimum F0 = B + P and F1 = m P exactly (P = 1.5, m = 0.4, B = 0.5), raw F1 / F0 = 0.6 / 2 and
    F1 / (F0 - blank) = m."""
    g = {1.0: 0.5, 2.0: 1.0, 4.0: 0.5}
    part = sweep([unit(g=g.get, a=1.0, b=0.5, theta_p=45.0, m=0.4, phi0=70.0, spont=0.5)], g,
                 (0.0, 45.0, 90.0, 135.0), phases)
    t = analyse_luminance(part, np.array([0.5])).columns.iloc[0]
    assert t["modulation_ratio"] == pytest.approx(0.6 / 2.0, abs=1e-12)
    assert t["modulation_ratio_above_blank"] == pytest.approx(0.4, abs=1e-12)
    assert t["luminance_peak_amplitude"] == pytest.approx(1.5, abs=1e-12)


@pytest.mark.parametrize("phases", [(0.0, 180.0), None])
def test_fewer_than_three_phases_give_f0_only(phases):
    """With two phases F0 is their mean, B + P (m cos 0 + m cos 180 = 0), and F1 is not measured; 3 orientations
    and 2 phases keep the phase axis apart from the orientation axis."""
    g = {1.0: 0.5, 2.0: 1.0, 4.0: 0.25}
    part = sweep([unit(g=g.get, b=0.5, theta_p=120.0, m=0.4 if phases else 0.0, spont=0.5)], g,
                 (0.0, 60.0, 120.0), phases)
    res = analyse_luminance(part, np.array([0.5]))
    t = res.columns.iloc[0]
    assert t["f0_above_blank_at_preferred"] == pytest.approx(1.5, abs=1e-12)
    assert t["luminance_peak_amplitude"] == pytest.approx(1.5, abs=1e-12)
    assert (t["optimum_sf_cpd"], t["optimum_orientation_deg"]) == (2.0, 120.0)
    assert np.isnan(t["modulation_ratio"]) and np.isnan(t["modulation_ratio_above_blank"])
    np.testing.assert_allclose(res.fits["sf_lg"].curves, [[0.75, 1.5, 0.375]], atol=1e-12)


def test_phases_not_evenly_spaced_over_a_cycle_are_refused():
    g = {1.0: 0.5, 2.0: 1.0, 4.0: 0.5}
    part = sweep([unit(g=g.get, m=0.5)], g, (0.0, 60.0, 120.0), (0.0, 90.0, 180.0))
    with pytest.raises(AnalysisError, match=r"^`phases_deg`: expected 3 phases evenly spaced over 360 deg, got "
                                            r"\[0\.0, 90\.0, 180\.0\]$"):
        analyse_luminance(part, np.zeros(1))


def test_sf_peak_and_bandwidths_of_a_log_gaussian_unit():
    """Sampled every 0.1 octave (0.125 to 32 c/deg), g peaks at f_p = 2^0.83 c/deg with sigma = 0.8 octave.
    Unit 0 (no spontaneous rate): the SF curve and the raw F0 curve are P g, so the bandwidths at 1/2 and
    1/sqrt2 are 2 sigma sqrt(2 ln 2) and 2 sigma sqrt(ln 2). Unit 1 (spontaneous rate 0.3, P = 1): the raw F0
    curve 0.3 + g is wider, 2 sigma sqrt(2 ln(1 / q)) with q = (1.3 / sqrt2 - 0.3). The smoothing window widens a
    0.1-octave-sampled curve by 0.2 %."""
    sfs = 2.0 ** np.round(np.arange(-3.0, 5.001, 0.1), 10)
    f_p, sigma = 2.0 ** 0.83, 0.8
    g = log_gaussian(f_p, sigma)
    units = [unit(g=g, a=1.0, b=0.5, theta_p=45.0, m=0.5), unit(g=g, a=0.6, b=0.4, theta_p=135.0, spont=0.3)]
    res = analyse_luminance(sweep(units, sfs, (0.0, 45.0, 90.0, 135.0), (0.0, 90.0, 180.0, 270.0)),
                            np.array([0.0, 0.3]))
    t = res.columns
    np.testing.assert_allclose(t["peak_sf_cpd"], [f_p, f_p], rtol=1e-3)
    np.testing.assert_allclose(t["sf_bandwidth_oct"], 2 * sigma * np.sqrt(2 * np.log(2)), rtol=1e-2)
    np.testing.assert_allclose(t["sf_bandwidth_0707_oct"], 2 * sigma * np.sqrt(np.log(2)), rtol=1e-2)
    q = 1.3 / np.sqrt(2) - 0.3
    np.testing.assert_allclose(t["sf_f0_bandwidth_0707_oct"],
                               [2 * sigma * np.sqrt(np.log(2)), 2 * sigma * np.sqrt(2 * np.log(1 / q))], rtol=1e-2)
    assert t["peak_sf_at_edge"].dtype == "boolean" and not t["peak_sf_at_edge"].any()
    fit = res.fits["sf_lg"]
    np.testing.assert_array_equal(fit.x, sfs)
    np.testing.assert_allclose(fit.curves, [1.5 * g(sfs), 1.0 * g(sfs)], atol=1e-12)


def test_three_sfs_are_enough_for_the_sf_metrics_and_fit():
    """A curve symmetric in log2 SF about the middle of 3 samples peaks there."""
    g = {1.5: 0.5, 3.0: 1.0, 6.0: 0.5}
    res = analyse_luminance(sweep([unit(g=g.get)], g, (0.0, 60.0, 120.0), (0.0, 120.0, 240.0)), np.zeros(1))
    assert res.columns.loc[0, "peak_sf_cpd"] == pytest.approx(3.0, rel=1e-6)
    assert res.columns["peak_sf_at_edge"].tolist() == [False]
    np.testing.assert_array_equal(res.fits["sf_lg"].x, [1.5, 3.0, 6.0])
    np.testing.assert_allclose(res.fits["sf_lg"].curves, [[0.5, 1.0, 0.5]], atol=1e-12)


def test_two_sfs_are_too_few_for_the_sf_metrics_and_fit():
    g = {2.0: 1.0, 4.0: 0.5}
    res = analyse_luminance(sweep([unit(g=g.get), unit(g=g.get, b=0.5)], g, (0.0, 60.0, 120.0),
                                  (0.0, 120.0, 240.0)), np.zeros(2))
    t = res.columns
    for c in ("peak_sf_cpd", "sf_bandwidth_oct", "sf_bandwidth_0707_oct", "sf_f0_bandwidth_0707_oct"):
        assert t[c].dtype == np.float64 and t[c].isna().all(), c
    assert t["peak_sf_at_edge"].dtype == "boolean" and t["peak_sf_at_edge"].isna().all()
    fit = res.fits["sf_lg"]
    assert fit.curves is None and fit.x is None
    assert fit.reason == "fewer than 3 spatial frequencies in the luminance sweep"


def test_a_sweep_through_sf_0_has_no_sf_metrics_but_its_curve_is_kept():
    """SF 0 (a uniform field) has no place on a log-frequency axis: the SF metrics are left undefined; the curve
    still goes to the fit, which names the bad frequency itself."""
    g = {0.0: 0.2, 1.0: 0.5, 2.0: 1.0, 4.0: 0.5}
    res = analyse_luminance(sweep([unit(g=g.get)], g, (0.0, 60.0, 120.0), (0.0, 120.0, 240.0)), np.zeros(1))
    t = res.columns.iloc[0]
    assert np.isnan(t["peak_sf_cpd"]) and np.isnan(t["sf_bandwidth_oct"]) and pd.isna(t["peak_sf_at_edge"])
    np.testing.assert_array_equal(res.fits["sf_lg"].x, [0.0, 1.0, 2.0, 4.0])


def test_peak_at_the_edge_is_defined_only_for_a_positive_sf_curve():
    """Unit 0 peaks (0.5) at 2 c/deg inside the sweep; unit 1 rises to the highest SF; unit 2 answers nothing
    (its SF curve is 0 everywhere) and unit 3 is suppressed below its blank of 0.4 everywhere (F0 - blank < 0,
    F1 = 0): the edge is undefined for both. So it is for a phase-invariant unit tuned to 2 c/deg but below its
    blank everywhere: its F1 is 0, not the ~1e-17 that rounding leaves, so it has no SF curve to read a peak
    from."""
    sfs = (0.5, 1.0, 2.0, 4.0, 8.0)
    units = [unit(g=lambda f: 0.5 * log_gaussian(2.0, 1.0)(f)), unit(g=lambda f: f / 8.0),
             unit(g=lambda f: 0.0 * f), unit(g=lambda f: 0.0 * f)]
    part = sweep(units, sfs, (0.0, 60.0, 120.0), (0.0, 120.0, 240.0))
    t = analyse_luminance(part, np.array([0.0, 0.0, 0.0, 0.4])).columns
    assert t["peak_sf_at_edge"].dtype == "boolean"
    assert t["peak_sf_at_edge"].tolist() == [False, True, pd.NA, pd.NA]
    assert t.loc[0, "peak_sf_cpd"] == pytest.approx(2.0, rel=1e-3) and t.loc[1, "peak_sf_cpd"] == 8.0
    suppressed = analyse_luminance(sweep([unit(g=lambda f: 0.3 * log_gaussian(2.0, 1.0)(f))], sfs, (0.0, 60.0, 120.0),
                                         (0.0, 90.0, 180.0, 270.0)), np.array([1.0])).columns.iloc[0]
    assert suppressed["luminance_peak_amplitude"] == 0.0 and pd.isna(suppressed["peak_sf_at_edge"])
    assert np.isnan(suppressed["peak_sf_cpd"]) and np.isnan(suppressed["sf_bandwidth_0707_oct"])
    silent = analyse_luminance(sweep(units[2:], sfs, (0.0, 60.0, 120.0), (0.0, 120.0, 240.0)),
                               np.array([0.0, 0.4])).columns["peak_sf_at_edge"]
    assert silent.dtype == "boolean" and silent.isna().all()
