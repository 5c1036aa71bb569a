"""compare_characterisations: planted disagreements are found, float32-sized ones are not."""

import numpy as np
import pandas as pd
import pytest

from v1lab.agreement import compare_characterisations
from v1lab.units import CLASS_COLUMNS, COLUMNS, COMPARED_COLUMNS


def _table():
    return pd.DataFrame({
        "circular_variance": [0.2, 0.5, 0.8, 0.4],
        "uniform_peak_response": [1.0, 2.0, 5.6e-5, 3.0],
        "preferred_orientation_deg": [0.05, 90.0, 45.0, 135.0],
        "simple": pd.array([True, pd.NA, False, True], dtype="boolean"),
    })


def _row(result, column):
    return result.set_index("column").loc[column]


def test_identical_tables_agree_and_missing_classes_equal_each_other():
    result = compare_characterisations(_table(), _table())
    assert set(result["column"]) == {"circular_variance", "uniform_peak_response", "preferred_orientation_deg",
                                     "simple"}
    assert (result["disagree"] == 0).all()


def test_relative_tolerance_on_ordinary_values():
    other = _table()
    other.loc[1, "circular_variance"] *= 1 + 2e-3     # beyond 1e-3
    other.loc[2, "circular_variance"] *= 1 + 5e-4     # within
    row = _row(compare_characterisations(_table(), other), "circular_variance")
    assert row["disagree"] == 1 and row["max_scaled_difference"] == pytest.approx(2e-3, rel=1e-6)


def test_tiny_values_are_compared_on_the_column_scale():
    other = _table()
    other.loc[2, "uniform_peak_response"] = 5.5e-5       # 2 % of itself, 5e-7 of the column's median (2.5)
    assert _row(compare_characterisations(_table(), other), "uniform_peak_response")["disagree"] == 0
    other.loc[2, "uniform_peak_response"] = 0.01          # 4e-3 of the column's scale
    assert _row(compare_characterisations(_table(), other), "uniform_peak_response")["disagree"] == 1


def test_angles_wrap_nan_and_class_changes_disagree():
    other = _table()
    other.loc[0, "preferred_orientation_deg"] = 179.99      # 0.06 deg on the circle: 9e-4 of the column scale (67.5)
    assert _row(compare_characterisations(_table(), other), "preferred_orientation_deg")["disagree"] == 0
    other.loc[3, "preferred_orientation_deg"] = np.nan
    other["simple"] = pd.array([True, False, False, True], dtype="boolean")
    result = compare_characterisations(_table(), other)
    assert _row(result, "preferred_orientation_deg")["disagree"] == 1
    assert _row(result, "simple")["disagree"] == 1


def test_tables_of_different_units_are_refused():
    with pytest.raises(ValueError, match="same units"):
        compare_characterisations(_table(), _table().iloc[:3])


def test_every_measured_column_is_compared_or_an_identifier():
    identifiers = {"model", "layer", "channel", "n_orientations"}
    measured = {c.name for c in COLUMNS if c.kind not in ("fit", "note")}
    assert set(COMPARED_COLUMNS) | set(CLASS_COLUMNS) | identifiers == measured
    assert not set(COMPARED_COLUMNS) & set(CLASS_COLUMNS)
