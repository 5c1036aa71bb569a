"""Every classification threshold, with planted metric rows just on either side of it and on it.

A test that passes whichever way a threshold is set does not test it: each row below sits within a few per cent
of one cited default (ClassificationCriteria), so moving the threshold or flipping a comparison changes a label.
The last tests check the table classify_units returns: its columns, their dtypes, the caller's index and the
columns it reads.
"""

import numpy as np
import pandas as pd
import pytest

from v1lab.characterisation.chromatic import sf_shape
from v1lab.classify import ClassificationCriteria, classify_units, response_threshold, responsive_units
from v1lab.errors import AnalysisError

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


@pytest.mark.parametrize("margin, expected", [(0.0, [True, False, True, False, False]),
                                              (3.0, [True, False, False, False, False])])
def test_responsive_above_a_share_of_the_layer_maximum_or_the_margin(margin, expected):
    """A quarter of the layer's largest response (8 -> threshold 2) or the margin, whichever is larger; a unit
    exactly on the threshold, a NaN or a missing (None) response is not responsive, and an unresponsive unit is
    labelled so whatever its other metrics say (orientation selectivity False, simple undefined)."""
    criteria = ClassificationCriteria(responsive_fraction_of_max=0.25, responsive_min_margin=margin)
    peaks = [8.0, 2.0, 2.5, 1.5, np.nan]
    out = classify_units(_rows("peak_response_above_blank", peaks), criteria)
    assert out["responsive"].tolist() == expected
    assert (out["response_threshold"] == max(2.0, margin)).all()
    assert out["cell_class"].tolist() == ["double-opponent" if r else "unresponsive" for r in expected]
    assert out["orientation_selective"].tolist() == expected
    assert out["simple"].tolist() == [True if r else pd.NA for r in expected]
    assert out["double_opponent"].tolist() == expected
    with_none = [8.0, 2.0, 2.5, 1.5, None]
    assert response_threshold(with_none, criteria) == max(2.0, margin)
    assert responsive_units(with_none, criteria).tolist() == expected


def test_response_threshold_defaults_to_brain_score_5_of_243_1():
    """5 / 243.1 of the layer maximum (Marques et al. 2021): 5 when the layer's largest response is 243.1."""
    assert response_threshold([243.1, 3.0, np.nan]) == pytest.approx(5.0, rel=1e-12)
    assert responsive_units([243.1, 4.99, 5.01]).tolist() == [True, False, True]


def test_a_layer_peaking_below_1_is_thresholded_on_its_own_maximum():
    criteria = ClassificationCriteria(responsive_fraction_of_max=0.25)
    assert response_threshold([0.8, 0.15, 0.25], criteria) == pytest.approx(0.2, rel=1e-12)
    assert responsive_units([0.8, 0.15, 0.25], criteria).tolist() == [True, False, True]


@pytest.mark.parametrize("peaks", [[np.nan, np.nan], [-1.0, -3.0]])
def test_a_layer_with_no_response_above_the_blank_has_the_margin_as_threshold(peaks):
    """No finite response, or none above the blank: the share of the maximum is 0, the threshold the margin."""
    assert response_threshold(peaks) == 0.0
    margin = ClassificationCriteria(responsive_min_margin=1.5)
    assert response_threshold(peaks, margin) == 1.5
    assert not responsive_units(peaks, margin).any()


def test_orientation_is_judged_with_at_least_3_orientations_in_the_sweep():
    """Fewer than 3 orientations (or none, NaN): orientation selectivity undefined and the unit unclassified; 3 or
    more with an undefined bandwidth: non-oriented."""
    out = classify_units(_rows("n_orientations", [2, 3, 4, 0, np.nan], orientation_bandwidth_deg=np.nan,
                               chromatic_ratio=0.1))
    assert out["orientation_selective"].tolist() == [pd.NA, False, False, pd.NA, pd.NA]
    assert out["cell_class"].tolist() == ["unclassified", "non-oriented", "non-oriented", "unclassified",
                                          "unclassified"]


def test_complex_needs_an_orientation_sweep_and_a_modulation_ratio():
    """A low modulation ratio without an orientation sweep, or orientation selectivity without a modulation ratio,
    is unclassified, not complex."""
    rows = pd.DataFrame([{**BASE, "chromatic_ratio": 0.1, "n_orientations": n, "modulation_ratio": mr}
                         for n, mr in ((0, 0.5), (2, 0.5), (12, np.nan), (12, 0.5))])
    out = classify_units(rows)
    assert out["cell_class"].tolist() == ["unclassified", "unclassified", "unclassified", "complex"]
    assert out["simple"].tolist() == [False, False, pd.NA, False]


def test_without_uniform_fields_the_sf_shape_alone_separates_single_from_double_opponent():
    out = classify_units(_rows("chromatic_sf_shape", ["low-pass", "band-pass"], uniform_field_ratio=np.nan))
    assert out["single_opponent"].tolist() == [True, False]
    assert out["double_opponent"].tolist() == [False, True]
    assert out["cell_class"].tolist() == ["single-opponent", "double-opponent"]


@pytest.mark.parametrize("shape, single, double", [
    ("low-pass", [True, True, False, True], [False, False, False, False]),
    ("band-pass", [False, False, False, False], [True, True, False, pd.NA]),
])
def test_opponent_cells_need_cone_opponency_where_it_was_measured(shape, single, double):
    """Single-opponent: L-M or S-(L+M), or cone inputs not measured; double-opponent: L-M or S-(L+M), undefined
    for a colour-responsive band-pass unit whose cone inputs were not measured."""
    out = classify_units(_rows("cone_opponency", ["L-M", "S-(L+M)", "non-opponent", None], chromatic_sf_shape=shape,
                               uniform_field_ratio=0.8 if shape == "low-pass" else 0.2))
    assert out["single_opponent"].tolist() == single
    assert out["double_opponent"].tolist() == double


def test_opponency_is_undefined_without_the_data_it_needs():
    """No SF shape: undefined for a colour-responsive unit, False for one below the luminance ratio (it cannot be
    opponent); no chromatic ratio: colour class and opponency undefined; a colour-blind unit whose cone inputs were
    not measured is not double-opponent."""
    rows = pd.DataFrame([{**BASE, "chromatic_sf_shape": None},
                         {**BASE, "chromatic_sf_shape": None, "chromatic_ratio": 0.1},
                         {**BASE, "chromatic_ratio": np.nan},
                         {**BASE, "chromatic_ratio": 0.1, "cone_opponency": None}])
    out = classify_units(rows)
    assert out["single_opponent"].tolist() == [pd.NA, False, pd.NA, False]
    assert out["double_opponent"].tolist() == [pd.NA, False, pd.NA, False]
    assert out["color_class"].tolist() == ["colour-luminance", "luminance", pd.NA, "luminance"]


def test_requiring_orientation_never_makes_a_unit_double_opponent():
    """The switch only removes unoriented units: an oriented single-opponent (low-pass) unit stays not
    double-opponent."""
    rows = _rows("chromatic_sf_shape", ["low-pass", "band-pass"], uniform_field_ratio=0.8)
    strict = ClassificationCriteria(double_opponent_requires_orientation=True)
    assert classify_units(rows, strict)["double_opponent"].tolist() == [False, False]

COLUMNS = ["responsive", "orientation_selective", "simple", "color_class", "single_opponent", "double_opponent",
           "cell_class", "response_threshold"]


def _planted():
    """Three units with an asymmetric index: double-opponent, unresponsive and complex luminance."""
    rows = [BASE, {**BASE, "peak_response_above_blank": 0.1}, {**BASE, "chromatic_ratio": 0.1,
                                                                 "modulation_ratio": 0.5}]
    return pd.DataFrame(rows, index=pd.Index(["u7", "u2", "u5"], name="unit"))


def test_columns_dtypes_and_index_follow_the_documented_table():
    table = _planted()
    out = classify_units(table)
    assert out.columns.tolist() == COLUMNS
    assert out.index.equals(table.index)
    for column in ("responsive", "orientation_selective", "simple", "single_opponent", "double_opponent"):
        assert out[column].dtype == "boolean", column
    # pandas' nullable string dtype (missing = <NA>, as in the boolean columns), not pandas 3's default str (NaN)
    assert out["color_class"].dtype == out["cell_class"].dtype == pd.StringDtype(na_value=pd.NA)
    assert out["cell_class"].to_dict() == {"u7": "double-opponent", "u2": "unresponsive", "u5": "complex"}
    assert out["responsive"].to_dict() == {"u7": True, "u2": False, "u5": True}
    assert out["color_class"].to_dict() == {"u7": "colour-luminance", "u2": "colour-luminance", "u5": "luminance"}
    assert out["response_threshold"].to_numpy() == pytest.approx(10.0 * 5.0 / 243.1, rel=1e-12)


@pytest.mark.parametrize("column", ["cone_opponency", "n_orientations"])
def test_a_missing_metric_column_is_named(column):
    with pytest.raises(AnalysisError, match=rf"missing column\(s\) \['{column}'\]"):
        classify_units(_planted().drop(columns=column))


def test_metric_columns_of_none_read_as_not_measured():
    """A metric measured for no unit, held as a column of None (object dtype), is NaN: the same labels as NaN."""
    unmeasured = ["n_orientations", "orientation_bandwidth_deg", "modulation_ratio", "chromatic_ratio",
                  "uniform_field_ratio", "chromatic_orientation_bandwidth_deg"]
    as_none = _planted().assign(**{k: None for k in unmeasured})
    assert all(as_none[k].dtype == object for k in unmeasured)
    strict = ClassificationCriteria(double_opponent_requires_orientation=True)
    out = classify_units(as_none, strict)
    pd.testing.assert_frame_equal(out, classify_units(_planted().assign(**{k: np.nan for k in unmeasured}), strict))
    assert out["cell_class"].tolist() == ["unclassified", "unresponsive", "unclassified"]
    assert out["orientation_selective"].isna().all() and out["color_class"].isna().all()
