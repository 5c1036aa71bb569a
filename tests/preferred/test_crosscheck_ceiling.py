"""The exact-receptive-field ceiling of the cross-check: filter vs label and optimised image vs filter.

Planted tables with known answers (degrees; grating_r2 0.5 = grating-like, 0.05 = not):

====  ====  =====  ======  =====  ==========  =========  ==============  =============
unit  sel.  label  filter  image  image-label filter-lbl image-filter    note
====  ====  =====  ======  =====  ==========  =========  ==============  =============
0     yes   5      175     2      3 agree     10 agree   7 agree         axial wrap
1     yes   10     12      60     50 differ   2 agree    48 differ       filter agrees, image does not
2     yes   10     70      72     62 differ   60 differ  2 agree         ceiling: label is the odd one out
3     yes   10     80      79     69 differ   70 differ  1 agree         ceiling
4     yes   10     10*     10     agree       differ     <NA>            filter not grating-like
5     yes   10     10      10*    differ      agree      differ          image not grating-like
6     no    -      30      30     <NA>        <NA>       agree           not selective: excluded per layer
7     no    -      30      100    <NA>        <NA>       differ          not selective: excluded per layer
====  ====  =====  ======  =====  ==========  =========  ==============  =============
"""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from torch import nn

from v1lab.errors import UnitsTableError
from v1lab.models.core import LoadedModel
from v1lab.preferred import agreement_table, cross_check, run_preferred

LABEL = [5.0, 10, 10, 10, 10, 10, np.nan, np.nan]
FILTER = [175.0, 12, 70, 80, 10, 10, 30, 30]
FILTER_R2 = [0.5, 0.5, 0.5, 0.5, 0.05, 0.5, 0.5, 0.5]
IMAGE = [2.0, 60, 72, 79, 10, 10, 30, 100]
IMAGE_R2 = [0.5, 0.5, 0.5, 0.5, 0.5, 0.05, 0.5, 0.5]
SELECTIVE = [True] * 6 + [False] * 2
FILTER_COLUMNS = ("filter_orientation_diff_deg", "filter_orientation_agree", "stim_filter_orientation_diff_deg",
                  "stim_filter_orientation_agree")
TABLE_COLUMNS = ("n_filter_agree", "filter_agree_rate", "filter_ci_low", "filter_ci_high",
                 "n_stim_filter_compared", "n_stim_filter_agree", "stim_filter_agree_rate", "stim_filter_ci_low",
                 "stim_filter_ci_high")


def _units():
    return pd.DataFrame({"layer": "conv1", "channel": range(8), "orientation_selective": SELECTIVE,
                         "preferred_orientation_deg": LABEL, "peak_sf_cpd": 4.0, "color_class": "luminance",
                         "single_opponent": False, "double_opponent": False})


def _measured(with_filter=True):
    table = pd.DataFrame({"layer": "conv1", "channel": range(8), "orientation_deg": IMAGE, "sf_cpd": 4.0,
                          "grating_r2": IMAGE_R2, "color_class": "luminance", "chromatic_structure": "none"})
    if with_filter:
        table = table.assign(filter_orientation_deg=FILTER, filter_sf_cpd=3.0, filter_grating_r2=FILTER_R2)
    return table


def _flags(series):
    return [None if pd.isna(v) else bool(v) for v in series]


def _wilson(k, n, alpha=0.05):
    """Wilson (1927) score interval from its formula: (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)."""
    z, p = norm.ppf(1 - alpha / 2), k / n
    centre, half = p + z**2 / (2 * n), z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return (centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)


def test_filter_differences_are_axial_and_against_the_right_reference():
    cross = cross_check(_measured(), _units())
    np.testing.assert_allclose(cross.filter_orientation_diff_deg[:6], [10, 2, 60, 70, 0, 0])
    np.testing.assert_allclose(cross.stim_filter_orientation_diff_deg, [7, 48, 2, 1, 0, 0, 0, 70])
    assert list(cross.filter_sf_cpd) == [3.0] * 8  # the filter's own columns are kept


def test_filter_agrees_but_image_does_not():
    cross = cross_check(_measured(), _units())
    assert _flags(cross.loc[[1], ["orientation_agree", "filter_orientation_agree", "stim_filter_orientation_agree"]]
                  .iloc[0]) == [False, True, False]


def test_ceiling_case_image_follows_filter_both_differ_from_label():
    cross = cross_check(_measured(), _units())
    for unit in (2, 3):
        row = cross.loc[unit]
        assert _flags([row.orientation_agree, row.filter_orientation_agree, row.stim_filter_orientation_agree]) \
            == [False, False, True]


def test_grating_like_rule_for_filter_and_image():
    cross = cross_check(_measured(), _units())
    assert _flags(cross.filter_orientation_agree) == [True, True, False, False, False, True, None, None]
    # defined wherever the filter is grating-like (unit 4's is not), selective or not; the image must be too
    assert _flags(cross.stim_filter_orientation_agree) == [True, False, True, True, None, False, True, False]


def test_agreement_table_ceiling_and_optimiser_rates_exclude_non_selective_units():
    row = agreement_table(cross_check(_measured(), _units())).iloc[0]
    assert (row.n_orientation_selective, row.n_orientation_agree) == (6, 2)
    assert (row.n_filter_agree, row.filter_agree_rate) == (3, 0.5)
    assert (row.filter_ci_low, row.filter_ci_high) == pytest.approx(_wilson(3, 6), abs=1e-9)
    # units 0, 1, 2, 3, 5: selective with a grating-like filter; 0, 2, 3 agree (units 6, 7 are not counted)
    assert (row.n_stim_filter_compared, row.n_stim_filter_agree, row.stim_filter_agree_rate) == (5, 3, 0.6)
    assert (row.stim_filter_ci_low, row.stim_filter_ci_high) == pytest.approx(_wilson(3, 5), abs=1e-9)


def test_without_filter_measurement_the_columns_are_absent():
    cross = cross_check(_measured(with_filter=False), _units())
    assert not set(FILTER_COLUMNS + ("filter_orientation_deg",)) & set(cross.columns)
    assert not set(TABLE_COLUMNS) & set(agreement_table(cross).columns)
    assert set(FILTER_COLUMNS) <= set(cross_check(_measured(), _units()).columns)


def test_half_a_filter_measurement_is_an_error():
    with pytest.raises(UnitsTableError, match="filter_orientation_deg"):
        cross_check(_measured().drop(columns="filter_grating_r2"), _units())


@pytest.mark.parametrize(("layer", "linear"), [("conv", True), ("relu", True), ("top", False)])
def test_run_preferred_adds_the_ceiling_only_for_a_linear_layer(planted, tmp_path, layer, linear):
    """The planted ``conv`` is linear and ``relu`` is linear before rectification (filter view, ceiling
    columns); ``top``, a 1 x 1 convolution after the ReLU, is not (no filter view, no ceiling)."""
    if layer == "top":
        net = nn.Sequential(planted.module.conv, nn.ReLU(), nn.Conv2d(6, 6, 1))
        net.add_module("top", nn.Identity())
        planted = LoadedModel("nl", "nl", net.eval(), planted.preprocessing, None)
    units = pd.DataFrame({"layer": "v1", "channel": range(6), "orientation_selective": [True] * 4 + [False] * 2,
                          "preferred_orientation_deg": [0.0, 45, 90, 135, np.nan, np.nan], "peak_sf_cpd": 4.0,
                          "color_class": "luminance", "single_opponent": False, "double_opponent": False})
    run_preferred(planted, layer, tmp_path, label="v1", units=units, steps=2)
    table = pd.read_csv(tmp_path / "preferred_stimuli_v1.csv")
    agreement = pd.read_csv(tmp_path / "agreement_v1.csv")
    assert (set(FILTER_COLUMNS) <= set(table.columns)) is linear
    assert (set(TABLE_COLUMNS) <= set(agreement.columns)) is linear
    if linear:  # the planted filters are the planted Gabors: filter vs label agrees for every selective unit
        assert table.filter_orientation_agree[:4].astype(bool).all()
        assert agreement.n_filter_agree.iloc[0] == 4
