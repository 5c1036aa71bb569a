"""Every classification threshold, with planted metric rows just on either side of it and on it.

A test that passes whichever way a threshold is set does not test it: each row below sits within a few per cent
of one cited default (ClassificationCriteria), so moving the threshold or flipping a comparison changes a label.
"""

import numpy as np
import pandas as pd
import pytest

from v1lab.characterisation.chromatic import sf_shape
from v1lab.classify import ClassificationCriteria, classify_units

#: a responsive, orientation-selective, simple, colour-luminance, band-pass, L-M double-opponent unit
BASE = {"peak_response_above_blank": 10.0, "n_orientations": 12, "orientation_bandwidth_deg": 20.0,
        "modulation_ratio": 1.5, "chromatic_ratio": 1.0, "uniform_field_ratio": 0.2,
        "chromatic_sf_shape": "band-pass", "cone_opponency": "L-M", "chromatic_orientation_bandwidth_deg": 25.0}


def _rows(column, values, **fixed):
    return pd.DataFrame([{**BASE, **fixed, column: v} for v in values])


def test_luminance_and_colour_preferring_ratios_of_johnson_2001():
    """Luminance below 0.2, colour-preferring above 6 (Johnson et al. 2001), colour-luminance between and on
    both thresholds; only colour-responsive units (ratio >= 0.2) can be double-opponent."""
    out = classify_units(_rows("chromatic_ratio", [0.19, 0.2, 0.21, 5.9, 6.0, 6.1]))
    assert out["color_class"].tolist() == ["luminance", "colour-luminance", "colour-luminance", "colour-luminance",
                                           "colour-luminance", "colour-preferring"]
    assert out["double_opponent"].tolist() == [False, True, True, True, True, True]
    assert out["cell_class"].tolist() == ["simple"] + ["double-opponent"] * 5


def test_low_pass_for_colour_is_a_fall_to_1_over_sqrt2_on_the_high_side_only():
    """Chromatic SF curves peaking at 2 c/deg that fall to 0.1 of the peak above it and level off below it at
    0.66 or 0.76 of the peak: band-pass (below 1/sqrt2 on both sides) and low-pass respectively."""
    sfs = 2.0 ** np.arange(-1.0, 3.01, 0.5)
    octaves = np.log2(sfs / 2.0)
    high = np.exp(-octaves ** 2 / (2 * 0.5 ** 2))
    curves = [np.where(octaves < 0, floor + (1 - floor) * high, 0.1 + 0.9 * high) for floor in (0.66, 0.76)]
    assert sf_shape(np.array(curves), sfs).tolist() == ["band-pass", "low-pass"]


def test_double_opponent_requires_orientation_only_when_asked():
    """A band-pass cone-opponent unit with no orientation bandwidth for isoluminant gratings (NaN) is
    double-opponent by default (Johnson et al. 2008: most, not all, are oriented), not when the switch is on."""
    rows = _rows("chromatic_orientation_bandwidth_deg", [np.nan, 25.0])
    assert classify_units(rows)["double_opponent"].tolist() == [True, True]
    strict = ClassificationCriteria(double_opponent_requires_orientation=True)
    assert classify_units(rows, strict)["double_opponent"].tolist() == [False, True]


def test_uniform_field_ratio_separates_single_from_double_opponent_at_0_5():
    weak_strong = [0.49, 0.5, 0.51]
    band = classify_units(_rows("uniform_field_ratio", weak_strong))
    assert band["double_opponent"].tolist() == [True, False, False]
    low = classify_units(_rows("uniform_field_ratio", weak_strong, chromatic_sf_shape="low-pass"))
    assert low["single_opponent"].tolist() == [False, True, True]
    assert low["cell_class"].tolist() == ["simple", "single-opponent", "single-opponent"]


def test_simple_when_the_modulation_ratio_exceeds_1():
    out = classify_units(_rows("modulation_ratio", [0.99, 1.0, 1.01], chromatic_ratio=0.1))
    assert out["simple"].tolist() == [False, False, True]
    assert out["cell_class"].tolist() == ["complex", "complex", "simple"]


@pytest.mark.parametrize("limit, expected", [(None, [True, True, True, False]), (30.0, [True, True, False, False])])
def test_orientation_selective_needs_a_bandwidth_at_most_the_limit(limit, expected):
    out = classify_units(_rows("orientation_bandwidth_deg", [29.0, 30.0, 31.0, np.nan], chromatic_ratio=0.1),
                         ClassificationCriteria(max_orientation_bandwidth_deg=limit))
    assert out["orientation_selective"].tolist() == expected
    assert out["cell_class"].tolist() == ["simple" if s else "non-oriented" for s in expected]
