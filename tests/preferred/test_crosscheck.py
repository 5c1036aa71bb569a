"""Cross-check tables: axial orientation differences, agreement flags and Wilson intervals (known values)."""

import io

import numpy as np
import pandas as pd
import pytest

from v1lab.errors import UnitsTableError
from v1lab.preferred import agreement_table, cross_check, orientation_difference


def test_orientation_difference_is_axial():
    np.testing.assert_allclose(orientation_difference([0, 170, 10, 90, 45], [179, 10, 100, 0, 45]),
                               [1, 20, 90, 90, 0])


def _measured(n):
    return pd.DataFrame({"layer": "conv1", "channel": range(n), "orientation_deg": 10.0, "sf_cpd": 4.0,
                         "grating_r2": 0.5, "color_class": "luminance", "chromatic_structure": "none"})


UNITS_CSV = """layer,channel,orientation_selective,preferred_orientation_deg,peak_sf_cpd,color_class,single_opponent,double_opponent,cell_class
conv1,0,True,12,2,luminance,False,False,simple
conv1,1,True,170,8,luminance,False,False,simple
conv1,2,True,30,4,colour-luminance,False,False,simple
conv1,3,False,,,unresponsive,,,unresponsive
"""


def test_cross_check_flags_from_a_units_csv():
    units = pd.read_csv(io.StringIO(UNITS_CSV))
    cross = cross_check(_measured(4), units)
    assert list(cross.orientation_diff_deg[:3]) == [2.0, 20.0, 20.0]
    assert list(cross.orientation_agree[:3]) == [True, False, False] and pd.isna(cross.orientation_agree[3])
    np.testing.assert_allclose(cross.sf_log2_ratio[:3], [1.0, -1.0, 0.0])
    assert list(cross.color_agree[:3]) == [True, True, False] and pd.isna(cross.color_agree[3])
    assert cross.opponency_agree.isna().all()


def test_no_grating_means_no_orientation_agreement():
    units = pd.read_csv(io.StringIO(UNITS_CSV))
    flat = _measured(4).assign(grating_r2=0.01)
    assert not cross_check(flat, units).orientation_agree[0]


def test_agreement_rate_and_wilson_interval():
    """9 of 10 agree: Wilson 95 % interval (0.5958, 0.9821) (Wilson 1927, by hand)."""
    units = pd.DataFrame({"layer": "conv1", "channel": range(10), "orientation_selective": True,
                          "preferred_orientation_deg": [10.0] * 9 + [100.0], "peak_sf_cpd": 4.0,
                          "color_class": "luminance", "single_opponent": False, "double_opponent": False})
    table = agreement_table(cross_check(_measured(10), units))
    row = table.iloc[0]
    assert (row.n_orientation_selective, row.n_orientation_agree) == (10, 9)
    assert row.orientation_agree_rate == 0.9
    assert row.orientation_ci_low == pytest.approx(0.5958, abs=1e-4)
    assert row.orientation_ci_high == pytest.approx(0.9821, abs=1e-4)


def test_missing_units_column_raises():
    with pytest.raises(UnitsTableError, match="peak_sf_cpd"):
        cross_check(_measured(1), pd.DataFrame({"layer": ["conv1"], "channel": [0]}))
