"""Across-layer tests detect planted trends and stay quiet without one."""

import numpy as np
import pandas as pd

from v1lab.population import depth_tests

from .conftest import make_layer


def test_planted_class_and_metric_trends_are_detected(rng):
    layers = []
    for depth, (p_simple, cv_mean) in enumerate([(0.2, 0.3), (0.5, 0.5), (0.8, 0.7)]):
        n = 150
        layers.append(make_layer("m", f"layer{depth}", n, rng, simple=rng.random(n) < p_simple,
                                 circular_variance=np.clip(rng.normal(cv_mean, 0.1, n), 0, 1)))
    result = depth_tests(pd.concat(layers, ignore_index=True)).set_index(["quantity", "level", "test"])
    simple = result.loc[("simple", "True", "linear-by-linear trend")]
    assert simple["significant"] and simple["statistic"] > 0 and simple["effect"] > 1.5
    cv = result.loc[("circular_variance", "", "Kruskal-Wallis")]
    assert cv["significant"] and cv["p_adjusted"] < 1e-10
    assert not result.loc[("peak_sf_cpd", "", "Kruskal-Wallis")]["significant"]


def test_no_trend_no_significance_and_correction_applied(rng):
    units = pd.concat([make_layer("m", f"l{i}", 100, rng) for i in range(4)], ignore_index=True)
    result = depth_tests(units)
    assert not result["significant"].any()
    assert (result["p_adjusted"] >= result["p_value"] - 1e-12).all()


def test_layer_order_argument_sets_depth(rng):
    layers = [make_layer("m", name, 100, rng, simple=rng.random(100) < p) for name, p in
              [("deep", 0.9), ("shallow", 0.1)]]
    units = pd.concat(layers, ignore_index=True)
    default = depth_tests(units).set_index(["quantity", "test"]).loc[("simple", "linear-by-linear trend")]
    ordered = depth_tests(units, layer_order=["shallow", "deep"]).set_index(["quantity", "test"])
    assert default["statistic"] < 0 < ordered.loc[("simple", "linear-by-linear trend")]["statistic"]
