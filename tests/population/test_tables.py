"""Population tables: Wilson intervals, denominators, medians/IQRs, wide and long forms."""

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from v1lab.errors import UnitsTableError
from v1lab.population import population_long, population_table

from .conftest import make_layer


def _wilson(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_class_fractions_with_wilson_intervals(rng):
    units = make_layer("m", "conv1", 10, rng, simple=[True] * 3 + [False] * 7,
                       responsive=[True] * 10)
    units = pd.concat([units, make_layer("m", "conv1", 5, rng, responsive=False, simple=True)], ignore_index=True)
    long = population_long(units)
    row = long[(long.quantity == "simple")].set_index("statistic")["value"]
    assert row["count"] == 3 and row["n"] == 10 and row["fraction"] == pytest.approx(0.3)
    lo, hi = _wilson(3, 10)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(proportion_confint(3, 10, method="wilson"))
    resp = long[(long.quantity == "responsive")].set_index("statistic")["value"]
    assert resp["count"] == 10 and resp["n"] == 15  # responsive is counted over all units


def test_metric_median_and_iqr_over_responsive_finite_values(rng):
    cv = np.array([0.1, 0.2, 0.3, 0.4, np.nan])
    units = make_layer("m", "l", 5, rng, circular_variance=cv)
    units = pd.concat([units, make_layer("m", "l", 3, rng, responsive=False, circular_variance=9.0)])
    stats = population_long(units).query("quantity == 'circular_variance'").set_index("statistic")["value"]
    assert stats["n"] == 4 and stats["median"] == pytest.approx(0.25)
    assert stats["iqr"] == pytest.approx(np.percentile([0.1, 0.2, 0.3, 0.4], 75) - np.percentile([0.1, 0.2, 0.3, 0.4], 25))


def test_wide_table_has_one_row_per_layer(rng):
    units = pd.concat([make_layer("m", name, 20, rng) for name in ("a", "b", "c")], ignore_index=True)
    wide = population_table(units)
    assert wide[["model", "layer"]].values.tolist() == [["m", "a"], ["m", "b"], ["m", "c"]]
    assert (wide["n_units"] == 20).all() and "cell_class=simple.fraction" in wide
    assert "circular_variance.median" in wide


def test_csv_style_flags_and_missing_columns(rng):
    units = make_layer("m", "l", 4, rng, responsive=["True", "False", "1", "0"])
    assert population_table(units)["n_responsive"].item() == 2
    with pytest.raises(UnitsTableError, match="responsive"):
        population_table(units.drop(columns="responsive"))
    with pytest.raises(UnitsTableError, match="maybe"):
        population_table(units.assign(responsive=["maybe"] * 4))
