"""Cone weights and cone opponency on planted units whose weights are computed here, analytically, from the colour
chain (published CIE 170-2 LMS -> XYZ, colour-science's sRGB primaries and transfer function), not from v1lab.

A planted unit reads one pixel of a grating through its display-space weights ``b``: at phase ``phi`` the pixel's
linear RGB is ``0.5 + dRGB_k cos(phi - phi0)`` with ``dRGB_k = LMS_TO_RGB (lms0 * c d_k)``; the drive is
``b . (V - V0)`` on display values ``V`` (gamma-encoded) or ``b . (rgb - 0.5)`` on linear RGB. Small-signal
analysis gives cone weights ``w ∝ lms0 * (LMS_TO_RGB^T b)`` (the common gain of the transfer function at the
grey drops out of the L1 normalisation).
"""

import colour
import numpy as np
import pytest

from v1lab.errors import AnalysisError
from v1lab.metrics.cone_weights import cone_opponency, cone_weights

_LMS_TO_XYZ = np.array([[1.94735469, -1.41445123, 0.36476327],
                        [0.68990272, 0.34832189, 0.0],
                        [0.0, 0.0, 1.93485343]])
_RGB_TO_XYZ = np.asarray(colour.RGB_COLOURSPACES["sRGB"].matrix_RGB_to_XYZ)
_LMS_TO_RGB = np.linalg.inv(np.linalg.solve(_LMS_TO_XYZ, _RGB_TO_XYZ))
_LMS0 = np.linalg.solve(_LMS_TO_RGB, np.full(3, 0.5))
# cone contrasts of the 8 directions of stimuli/cone_isolating.yaml at full gamut (rounded: any d_k will do)
DIRECTIONS = np.array([[0.188, 0, 0], [0, 0.225, 0], [0, 0, 0.86], [1, 1, 1], [0.064, -0.149, 0],
                       [0.058, -0.134, 0.778], [-0.065, 0.151, 0.875], [0.5, 0.5, 0.93]])
PHASES = np.arange(4) * 90.0

# display-space weights b, whether they act on gamma-encoded display values, and the expected class
UNITS = {
    "luminance": (_RGB_TO_XYZ[1], False, "non-opponent"),            # CIE Y weights on linear RGB
    "equal_rgb": (np.ones(3), True, "L-M"),                          # R + G + B on display values
    "blue_minus_luminance": (np.array([0, 0, 1.0]) - _RGB_TO_XYZ[1], True, "S-(L+M)"),
    "blue_minus_red_green": (np.array([-0.5, -0.5, 1.0]), True, "L-M"),  # B - (R+G)/2: L against M and S
}


def analytic_weights(b):
    w = _LMS0 * (_LMS_TO_RGB.T @ b)
    w = w / np.abs(w).sum()
    return w if w[np.argmax(np.abs(w))] > 0 else -w


def drive(b, display, scale, phases, phi0=25.0):
    """(K, P) drive of a display-space unit to the directions at ``scale`` x their contrast, over phases."""
    delta = (_LMS_TO_RGB @ (_LMS0[:, None] * DIRECTIONS.T * scale)).T                  # (K, 3) linear RGB
    rgb = 0.5 + delta[:, None, :] * np.cos(np.deg2rad(phases - phi0))[None, :, None]
    if display:
        return (colour.cctf_encoding(rgb, function="sRGB") - colour.cctf_encoding(0.5, function="sRGB")) @ b
    return (rgb - 0.5) @ b


def test_analytic_weights_of_the_equal_rgb_unit():
    # docs/metrics.md and notes: cone-isolating probes give L +1.541, M -0.926, S +0.372 (M/L = -0.601)
    w = analytic_weights(np.ones(3))
    np.testing.assert_allclose(w, [0.5428, -0.3261, 0.1312], atol=1e-4)
    assert w[1] / w[0] == pytest.approx(-0.601, abs=1e-3)
    np.testing.assert_allclose(analytic_weights(_RGB_TO_XYZ[1]), [0.6982, 0.3018, 0.0], atol=1e-4)


@pytest.mark.parametrize("unit", list(UNITS))
@pytest.mark.parametrize("kind", ["simple", "energy"])
def test_planted_display_units_give_their_analytic_weights(unit, kind):
    b, display, expected = UNITS[unit]
    scale = 0.01                       # small signal: the transfer function is linear to 1e-3 here
    in_phase = drive(b, display, scale, PHASES)
    if kind == "simple":               # Gabor-like: half-wave rectified linear drive
        responses = np.maximum(in_phase, 0.0)
    else:                              # energy: quadrature pair, phase-invariant
        responses = np.hypot(in_phase, drive(b, display, scale, PHASES, phi0=25.0 + 90.0))
    fit = cone_weights(DIRECTIONS * scale, responses, PHASES)
    assert fit.estimator == ("first harmonic" if kind == "simple" else "energy")
    np.testing.assert_allclose(fit.weights, analytic_weights(b), atol=1e-3)
    assert fit.r_squared > 0.9999
    assert cone_opponency(fit.weights) == expected


def test_equal_rgb_at_full_gamut_contrast_stays_l_minus_m():
    b = np.ones(3)
    fit = cone_weights(DIRECTIONS, np.maximum(drive(b, True, 1.0, PHASES), 0.0), PHASES)
    np.testing.assert_allclose(fit.weights, analytic_weights(b), atol=0.03)   # gamma distortion at full swing
    assert cone_opponency(fit.weights) == "L-M"


def test_uniform_fields_of_both_polarities_are_two_phases():
    w = np.array([-0.3, -0.2, 0.5])
    x = DIRECTIONS @ w
    fields = np.maximum(np.stack([x, -x], axis=1), 0.0)             # +d and -d fields, rectified
    fit = cone_weights(DIRECTIONS, fields, [0.0, 180.0])
    assert fit.estimator == "first harmonic"
    np.testing.assert_allclose(fit.weights, w, atol=1e-12)
    flipped = cone_weights(DIRECTIONS, fields[:, ::-1], [0.0, 180.0])  # an OFF unit: same weights by convention
    np.testing.assert_allclose(flipped.weights, w, atol=1e-12)
    amplitudes = cone_weights(DIRECTIONS, np.abs(x) + 2.0, blank=2.0)    # one polarity of an energy unit
    assert amplitudes.estimator == "energy"
    np.testing.assert_allclose(amplitudes.weights, w, atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_noisy_responses(seed):
    rng = np.random.default_rng(seed)
    w = analytic_weights(np.ones(3))
    x = DIRECTIONS @ w
    phases = np.arange(8) * 45.0
    simple = np.maximum(x[:, None] * np.cos(np.deg2rad(phases - 40.0)), 0.0)
    energy = np.abs(x)[:, None] * np.ones(phases.size)
    for clean in (simple, energy):
        noisy = clean + rng.normal(0.0, 0.02 * np.abs(x).max(), clean.shape)
        fit = cone_weights(DIRECTIONS, noisy, phases)
        np.testing.assert_allclose(fit.weights, w, atol=0.03)
        assert cone_opponency(fit.weights) == "L-M" and 0.95 < fit.r_squared <= 1


@pytest.mark.parametrize("w, expected", [
    ([0.55, -0.12, 0.33], "L-M"),             # M above 0.1: opposed to L
    ([0.55, -0.08, 0.37], "non-opponent"),    # M below 0.1 counts as 0; S shares L's sign
    ([0.55, -0.08, -0.37], "S-(L+M)"),        # S opposes L (M ignored)
    ([0.45, 0.44, -0.11], "S-(L+M)"),
    ([0.46, 0.45, -0.09], "non-opponent"),
    ([0.05, -0.05, 0.9], "non-opponent"),     # S alone
])
def test_planted_units_either_side_of_min_weight(w, expected):
    w = np.asarray(w)
    x = DIRECTIONS @ w
    fit = cone_weights(DIRECTIONS, np.maximum(x[:, None] * np.cos(np.deg2rad(PHASES)), 0.0), PHASES)
    np.testing.assert_allclose(fit.weights, w / np.abs(w).sum(), atol=1e-12)
    assert cone_opponency(fit.weights) == expected


def test_too_few_or_degenerate_directions_give_nan_with_a_reason():
    w = np.array([0.5, -0.3, 0.2])
    x = DIRECTIONS @ w
    fit = cone_weights(DIRECTIONS[:5], np.abs(x[:5]), estimator="energy")
    assert np.all(np.isnan(fit.weights)) and "needs >= 6 directions" in fit.reason
    assert cone_opponency(fit.weights) is None
    rectified = np.maximum(x[:, None] * np.cos(np.deg2rad(PHASES)), 0.0)
    fit = cone_weights(DIRECTIONS[:2], rectified[:2], PHASES, estimator="first harmonic")
    assert np.all(np.isnan(fit.weights)) and "fewer than the 3 dimensions" in fit.reason
    s_axis, lm_axis = np.array([0, 0, 0.86]), np.array([0.064, -0.149, 0])
    isoluminant = np.stack([s_axis, lm_axis, s_axis + lm_axis, s_axis - lm_axis])   # a plane of cone space
    fit = cone_weights(isoluminant, np.maximum((isoluminant @ w)[:, None] * np.cos(np.deg2rad(PHASES)), 0), PHASES)
    assert np.all(np.isnan(fit.weights)) and "fewer than the 3 dimensions" in fit.reason
    silent = cone_weights(DIRECTIONS, np.zeros((8, 4)), PHASES)
    assert np.all(np.isnan(silent.weights)) and "no response above the blank" in silent.reason


@pytest.mark.parametrize("args, kwargs, match", [
    ((np.ones((8, 2)), np.ones(8)), {}, r"`cone_contrasts`: expected shape \(K, 3\)"),
    ((DIRECTIONS, np.ones(7)), {}, r"`responses`: expected shape \(8,\) or \(8, P\)"),
    ((DIRECTIONS, np.ones((8, 4)), [0, 90, 180, 200]), {}, r"`phases_deg`: expected >= 2 phases evenly spaced"),
    ((DIRECTIONS, np.ones(8)), {"estimator": "first harmonic"}, r"needs a phase sweep"),
    ((DIRECTIONS, np.ones(8)), {"estimator": "f1"}, r"`estimator` is 'f1'"),
])
def test_bad_input_raises_one_line(args, kwargs, match):
    with pytest.raises(AnalysisError, match=match):
        cone_weights(*args, **kwargs)
    with pytest.raises(AnalysisError, match=r"`min_weight` is 1\.5"):
        cone_opponency([0.5, 0.3, 0.2], min_weight=1.5)


def test_a_unit_silent_at_grey_that_answers_one_direction_has_no_weights():
    # A rectifier with a threshold above the background: only the L-cone grating (the largest drive) crosses it,
    # every other direction gives exactly the blank (0). Fitting those zeros returns a vector fixed by the design
    # whatever the unit's weights, so the weights are not identified.
    d = np.array([[0.2, 0, 0], [0, 0.2, 0], [0, 0, 0.8], [0.06, -0.15, 0]])
    phase = np.arange(4) * 90.0
    for w in ([2.0, 0.3, 0.05], [2.0, -0.3, 0.05]):
        drive = (d @ w)[:, None] * np.cos(np.deg2rad(phase))
        r = np.maximum(drive - 0.3, 0.0)                    # threshold 0.3: only |d_L . w| = 0.4 crosses it
        assert np.count_nonzero(r.max(axis=1)) == 1
        fit = cone_weights(d, r, phase, blank=0.0)
        assert np.all(np.isnan(fit.weights)) and "not identified" in fit.reason and fit.estimator == ""
        assert cone_opponency(fit.weights) is None
        # the same unit with threshold 0.01 answers all four directions: its weights come back
        fit = cone_weights(d, np.maximum(drive - 0.01, 0.0), phase)
        assert np.all(np.isfinite(fit.weights)) and np.sign(fit.weights[1]) == np.sign(w[1])


def _rectified(d, w, phases=PHASES, phi0=0.0):
    return np.maximum((np.asarray(d) @ w)[:, None] * np.cos(np.deg2rad(np.asarray(phases) - phi0)), 0.0)


def test_three_directions_and_six_suffice():
    """Three cone-isolating directions determine a linear unit's weights; six in general position an energy
    unit's; six that are three axes and their opposites give the same quadratic forms twice and do not."""
    w = np.array([0.5, -0.3, 0.2])
    axes = np.eye(3) * [0.2, 0.2, 0.8]
    fit = cone_weights(axes, _rectified(axes, w, phi0=20.0), PHASES)
    assert fit.estimator == "first harmonic"
    np.testing.assert_allclose(fit.weights, w, atol=1e-12)
    six = DIRECTIONS[[0, 1, 2, 4, 5, 7]]
    fit = cone_weights(six, np.abs(six @ w), estimator="energy")
    assert fit.estimator == "energy"
    np.testing.assert_allclose(fit.weights, w, atol=1e-9)
    both = np.concatenate([axes, -axes])
    fit = cone_weights(both, np.abs(both @ w), estimator="energy")
    assert np.all(np.isnan(fit.weights)) and np.isnan(fit.r_squared) and fit.estimator == "energy"
    assert fit.reason == ("6 colour directions do not determine the 6 entries of w w^T (the energy estimator needs "
                          ">= 6 directions in general position)")


def test_a_unit_inhibited_by_every_direction_has_no_energy_weights():
    """Responses below the blank differ from it (the directions are answered) but give no amplitude above it."""
    w = np.array([0.5, -0.3, 0.2])
    fit = cone_weights(DIRECTIONS, 1.0 - 0.1 * np.abs(DIRECTIONS @ w), blank=1.0)
    assert np.all(np.isnan(fit.weights)) and np.isnan(fit.r_squared) and fit.estimator == "energy"
    assert fit.reason == "no response above the blank to any colour direction"


def test_silence_and_degenerate_contrasts_give_exact_reasons():
    silent = cone_weights(DIRECTIONS, np.full((8, 4), 2.0), PHASES, blank=2.0)
    assert silent.reason == "no response above the blank to any colour direction" and silent.estimator == ""
    zero = cone_weights(np.zeros((8, 3)), np.ones(8))
    assert np.all(np.isnan(zero.weights)) and zero.reason.startswith("the 8 colour directions whose responses differ")


def test_first_harmonic_fit_refuses_directions_in_a_plane():
    from v1lab.metrics.cone_weights import _first_harmonic_fit

    plane = np.array([[0, 0, 0.86], [0.064, -0.149, 0], [0.064, -0.149, 0.86], [0.064, -0.149, -0.86]])
    fit = _first_harmonic_fit(plane, (plane @ [0.5, -0.3, 0.2]).astype(complex), 1.0)
    assert np.all(np.isnan(fit.weights)) and fit.estimator == "first harmonic"
    assert fit.reason == "4 colour directions span fewer than the 3 dimensions of cone space"


@pytest.mark.parametrize("small, identified", [(1e-9, False), (1e-7, True)])
def test_rank_tolerance_is_relative_to_the_largest_contrast(small, identified):
    """Contrasts 1, small, small: the directions span cone space when small / 1 exceeds 1e-8."""
    d = np.diag([1.0, small, small])
    w = np.array([0.5, -0.3 / small, 0.2 / small])              # drives 0.5, -0.3, 0.2: every direction answered
    fit = cone_weights(d, _rectified(d, w), PHASES)
    assert np.all(np.isfinite(fit.weights)) == identified


@pytest.mark.parametrize("moved, identified", [(4e-6, False), (4.4e-6, True)])
def test_a_direction_is_answered_above_a_millionth_of_the_largest_response(moved, identified):
    """L and M answered with 4 above the blank; S moved by exactly 1e-6 x 4 does not count, a little more does."""
    d = np.eye(3) * 0.2
    fit = cone_weights(d, np.array([4.0, 4.0, moved]))            # |r - blank| exact with the blank at 0
    assert ("not identified" in fit.reason) != identified


def test_a_unit_silent_at_grey_above_a_nonzero_blank():
    """The silent-at-grey rectifier of the test above, riding on a blank response of 2."""
    d = np.array([[0.2, 0, 0], [0, 0.2, 0], [0, 0, 0.8], [0.06, -0.15, 0]])
    drive = (d @ [2.0, 0.3, 0.05])[:, None] * np.cos(np.deg2rad(PHASES))
    fit = cone_weights(d, 2.0 + np.maximum(drive - 0.3, 0.0), PHASES, blank=2.0)
    assert "not identified" in fit.reason


def test_default_phases_single_phase_column_and_blank_in_the_energy_estimator():
    w = np.array([0.5, -0.3, 0.2])
    r = _rectified(DIRECTIONS, w, phi0=30.0)
    np.testing.assert_allclose(cone_weights(DIRECTIONS, r).weights, w, atol=1e-12)   # 360 p / P by default
    np.testing.assert_allclose(cone_weights(DIRECTIONS, np.abs(DIRECTIONS @ w)[:, None] + 2.0, blank=2.0).weights,
                               w, atol=1e-9)                                         # one phase: (K, 1)
    energy = np.abs(DIRECTIONS @ w)[:, None] * np.ones(4) + 2.0                     # phase-invariant over 4 phases
    fit = cone_weights(DIRECTIONS, energy, PHASES, blank=2.0)
    assert fit.estimator == "energy"
    np.testing.assert_allclose(fit.weights, w, atol=1e-9)


@pytest.mark.parametrize("modulation, estimator", [(0.9, "energy"), (1.1, "first harmonic")])
def test_auto_estimator_on_either_side_of_modulation_ratio_one(modulation, estimator):
    """Responses A (1 + m cos phi) to each direction (A = |d.w| + 0.1): F1 / F0 = m; simple when m > 1."""
    w = np.array([0.5, -0.3, 0.2])
    amp = np.abs(DIRECTIONS @ w) + 0.1
    r = amp[:, None] * (1.0 + modulation * np.cos(np.deg2rad(PHASES)))
    assert cone_weights(DIRECTIONS, r, PHASES).estimator == estimator


def test_auto_estimator_reads_the_direction_of_largest_amplitude():
    """The first direction answers weakly and phase-invariantly; the others, far stronger, as a rectified linear
    unit: the largest decides (first harmonic)."""
    w = np.array([0.5, -0.3, 0.2])
    r = _rectified(DIRECTIONS, w, phi0=10.0)
    r[0] = 1e-3
    assert cone_weights(DIRECTIONS, r, PHASES).estimator == "first harmonic"


def test_single_precision_inputs_give_the_double_precision_weights():
    rng = np.random.default_rng(3)
    w = np.array([0.5, -0.3, 0.2])
    r32 = (_rectified(DIRECTIONS, w, phases=np.arange(8) * 45.0, phi0=30.0)
           + rng.normal(0.0, 0.01, (8, 8))).astype(np.float32)
    d32 = DIRECTIONS.astype(np.float32)
    phases32 = (np.arange(8) * 45.0).astype(np.float32)
    double = cone_weights(d32.astype(float), r32.astype(float), np.arange(8) * 45.0)
    single = cone_weights(d32, r32, phases32)
    np.testing.assert_allclose(single.weights, double.weights, rtol=0, atol=1e-13)
    assert single.r_squared == pytest.approx(double.r_squared, abs=1e-13)


def test_r_squared_is_one_minus_residual_over_total_variance():
    from v1lab.metrics.cone_weights import _r_squared

    observed = np.array([1.0, 2.0, 3.0, 4.0])                  # total sum of squares 5
    assert _r_squared(observed, observed + [0.0, 0.0, 0.0, 2.0]) == pytest.approx(1.0 - 4.0 / 5.0)
    assert _r_squared(observed, observed + [0.0, 1.0, 0.0, 1.0]) == pytest.approx(1.0 - 2.0 / 5.0)
    assert np.isnan(_r_squared(np.full(4, 3.0), np.zeros(4)))


def test_bad_values_and_names_in_the_errors():
    with pytest.raises(AnalysisError, match=r"^`cone_contrasts` and `responses`: expected finite values, got NaN/inf$"):
        cone_weights(DIRECTIONS, np.r_[np.nan, np.ones(7)])
    with pytest.raises(AnalysisError, match=r"^`cone_contrasts` and `responses`: expected finite"):
        cone_weights(np.r_[DIRECTIONS[:7], [[np.inf, 0, 0]]], np.ones(8))
    with pytest.raises(AnalysisError, match=r"^`estimator` is 'f1'; expected one of auto, first harmonic, energy$"):
        cone_weights(DIRECTIONS, np.ones(8), estimator="f1")
    with pytest.raises(AnalysisError, match=r"^`responses`: the first-harmonic estimator needs a phase sweep, got "
                                            r"one phase$"):
        cone_weights(DIRECTIONS, np.ones(8), estimator="first harmonic")
    with pytest.raises(AnalysisError, match=r"^`phases_deg`: expected 4 phases \(one per column of `responses`\), "
                                            r"got shape \(3,\)$"):
        cone_weights(DIRECTIONS, np.ones((8, 4)), [0.0, 90.0, 180.0])
    with pytest.raises(AnalysisError, match=r"^`weights`: expected 3 cone weights \(L, M, S\), got shape \(2,\)$"):
        cone_opponency([0.5, 0.5])


def test_phases_of_the_sweep_beyond_a_turn_and_their_tolerance():
    """Phases 360 deg later are the same; 3600 phases 0.1 deg apart accept 5e-7 rad of error and refuse 3e-6; 20
    deg off is refused with the phases listed to 4 decimals."""
    w = np.array([0.5, -0.3, 0.2])
    r = _rectified(DIRECTIONS, w, phi0=30.0)
    np.testing.assert_allclose(cone_weights(DIRECTIONS, r, PHASES + 360.0).weights, w, atol=1e-12)
    phases = 0.1 * np.arange(3600)
    dense = _rectified(DIRECTIONS, w, phases=phases, phi0=30.0)
    for off, ok in ((np.rad2deg(5e-7), True), (np.rad2deg(3e-6), False)):
        shifted = phases.copy()
        shifted[1] += off
        if ok:
            np.testing.assert_allclose(cone_weights(DIRECTIONS, dense, shifted).weights, w, atol=1e-6)
        else:
            with pytest.raises(AnalysisError, match="evenly spaced"):
                cone_weights(DIRECTIONS, dense, shifted)
    with pytest.raises(AnalysisError, match=r"^`phases_deg`: expected >= 2 phases evenly spaced over 360 deg, got "
                                            r"\[0\.0, 90\.5, 180\.0, 250\.0\]$"):
        cone_weights(DIRECTIONS, r, [0.0, 90.5, 180.0, 250.00003])


@pytest.mark.parametrize("w, expected", [
    ([0.5, -0.1, 0.4], "L-M"),               # M exactly at min_weight counts
    ([0.05, -0.3, 0.65], "S-(L+M)"),          # L ignored: S opposes M alone
    ([0.05, 0.4, 0.55], "non-opponent"),      # L ignored: S shares M's sign
    ([0.3, 0.3, -0.4], "S-(L+M)"),            # equal L and M
])
def test_cone_opponency_rule_cases(w, expected):
    assert cone_opponency(w) == expected


def test_min_weight_range():
    assert cone_opponency([0.5, -0.01, 0.49], min_weight=0.0) == "L-M"
    for bad in (1.0, -0.1):
        with pytest.raises(AnalysisError, match=rf"^`min_weight` is {bad}; expected a number in \[0, 1\)$"):
            cone_opponency([0.5, 0.3, 0.2], min_weight=bad)


def test_first_harmonic_of_a_phase_invariant_unit_is_absent():
    """An energy unit forced through the first-harmonic estimator: its F1 is rounding (~1e-17 of the responses), so
    there is no harmonic to fit, over 4 phases, over the two polarities of uniform fields, and for responses of
    order 1e6 (the tolerance is relative to the largest response); a modulation of 1e-9
    of the response is a harmonic, and gives the unit's weights."""
    w = np.array([0.5, -0.3, 0.2])
    energy = np.abs(DIRECTIONS @ w)[:, None] * np.ones(4)
    for r, phases in ((energy, PHASES), (energy[:, :2], [0.0, 180.0]), (1e6 * energy, PHASES)):
        fit = cone_weights(DIRECTIONS, r, phases, estimator="first harmonic")
        assert np.all(np.isnan(fit.weights)) and fit.estimator == "first harmonic"
        assert fit.reason == "no first harmonic: the responses do not vary with phase"
    faint = energy + 1e-9 * (DIRECTIONS @ w)[:, None] * np.cos(np.deg2rad(PHASES - 30.0))
    np.testing.assert_allclose(cone_weights(DIRECTIONS, faint, PHASES, estimator="first harmonic").weights, w,
                               atol=1e-5)


def test_single_precision_inputs_to_the_energy_estimator():
    """float32 contrasts and responses are exact doubles: the quadratic forms and squared amplitudes are formed in
    double, as for the same numbers given as float64 (one phase and four phases)."""
    rng = np.random.default_rng(4)
    w = np.array([0.5, -0.3, 0.2])
    d32 = DIRECTIONS.astype(np.float32)
    for r in (np.abs(DIRECTIONS @ w) + rng.normal(0.0, 0.01, 8),
              np.abs(DIRECTIONS @ w)[:, None] + rng.normal(0.0, 0.01, (8, 4))):
        r32 = r.astype(np.float32)
        single = cone_weights(d32, r32, estimator="energy")
        double = cone_weights(d32.astype(float), r32.astype(float), estimator="energy")
        assert single.estimator == "energy"
        np.testing.assert_allclose(single.weights, double.weights, rtol=0, atol=1e-13)


def test_energy_weights_from_the_largest_eigenpair_when_the_fit_is_indefinite():
    """With 2 % noise the least-squares W of this energy unit has two negative eigenvalues (checked here from the
    definition); the weights come from the one positive eigenpair, close to the unit's."""
    w = np.array([0.5, -0.3, 0.2])
    x = np.abs(DIRECTIONS @ w)
    a = x + np.random.default_rng(30).normal(0.0, 0.02 * x.max(), 8)
    d = DIRECTIONS
    q = np.stack([d[:, 0] ** 2, d[:, 1] ** 2, d[:, 2] ** 2, 2 * d[:, 0] * d[:, 1], 2 * d[:, 0] * d[:, 2],
                  2 * d[:, 1] * d[:, 2]], axis=1)
    c = np.linalg.lstsq(q, np.maximum(a, 0) ** 2, rcond=None)[0]
    eigenvalues = np.linalg.eigvalsh([[c[0], c[3], c[4]], [c[3], c[1], c[5]], [c[4], c[5], c[2]]])
    assert eigenvalues[1] < 0 < eigenvalues[2]
    fit = cone_weights(d, a)
    assert fit.estimator == "energy"
    np.testing.assert_allclose(fit.weights, w, atol=0.05)


def test_auto_estimator_at_a_modulation_ratio_of_exactly_one_is_energy():
    """Responses 3a and a at phases 0 and 180 (a a power of two): F0 = 2a and |F1| = |3a - a| = 2a exactly, so
    |F1| > F0 - b, Skottun's simple-cell side, does not hold."""
    a = 2.0 ** np.array([0, -1, 1, -2, 0, 1, -1, -3])
    assert cone_weights(DIRECTIONS, np.stack([3 * a, a], axis=1), [0.0, 180.0]).estimator == "energy"
    assert cone_weights(DIRECTIONS, np.stack([3 * a, 0.99 * a], axis=1), [0.0, 180.0]).estimator == "first harmonic"
