"""Synthetic per-unit tables built by hand (the columns of units.csv)."""

import numpy as np
import pandas as pd
import pytest

from v1lab.references import load_reference


def make_layer(model, layer, n, rng, **overrides):
    """A layer of ``n`` responsive units with neutral random values; ``overrides`` replace columns."""
    cols = dict(
        model=model, layer=layer, channel=np.arange(n), responsive=True,
        orientation_selective=rng.random(n) < 0.8, simple=rng.random(n) < 0.4,
        color_class=rng.choice(["luminance", "color_luminance"], n), single_opponent=False, double_opponent=False,
        cell_class=rng.choice(["simple", "complex"], n), circular_variance=rng.random(n),
        orientation_bandwidth_deg=rng.uniform(10, 60, n), orthogonal_preferred_ratio=rng.random(n),
        modulation_ratio=rng.uniform(0, 2, n), peak_sf_cpd=np.exp2(rng.uniform(-1, 3, n)),
        sf_bandwidth_oct=rng.uniform(0.5, 3, n), surround_suppression_index=rng.random(n),
        chromatic_ratio=rng.random(n), preferred_orientation_deg=rng.uniform(0, 180, n),
        sf_f0_bandwidth_0707_oct=rng.uniform(0.5, 3, n), response_threshold=0.1,
        f0_above_blank_at_preferred=1.0, luminance_peak_amplitude=1.0, size_peak_amplitude=1.0,
    )
    cols.update(overrides)
    return pd.DataFrame(cols)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def ringach_cv():
    return load_reference("ringach2002_circular_variance")
