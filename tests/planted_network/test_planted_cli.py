"""Planted ground truth through the real command line: every hand-built unit gets its true class.

The network (planted_net.py) holds Gabor simple cells, energy-model complex cells, a double-opponent and a
single-opponent unit, a non-oriented luminance DoG and a silent unit; `v1lab run` characterises it with the
same code path as any model.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from v1lab.cli import main

from .planted_net import PLANTED

HERE = Path(__file__).parent
REPO = HERE.parents[1]


@pytest.fixture(scope="module")
def units(tmp_path_factory) -> pd.DataFrame:
    tmp = tmp_path_factory.mktemp("planted")
    protocol = yaml.safe_load((HERE / "planted.yaml").read_text())
    protocol["stimuli"][2] = str(REPO / "stimuli" / "color_fields.yaml")
    protocol["stimuli"][3] = str(REPO / "stimuli" / "cone_isolating_fields.yaml")
    protocol["stimuli"][4]["file"] = str(REPO / "stimuli" / "cone_tuning.yaml")
    protocol["output"]["report"] = False   # the units table is what these tests read; tests/report draws reports
    path = tmp / "planted.yaml"
    path.write_text(yaml.safe_dump(protocol))
    code = main(["run", str(path), "--model", f"python:{HERE / 'planted_net.py'}:make",
                 "--out", str(tmp / "run"), "--no-progress"])
    assert code == 0
    return pd.read_csv(tmp / "run" / "units.csv").set_index("channel").sort_index()


def _circular_diff(a, b):
    d = (a - b) % 180.0
    return min(d, 180.0 - d)


@pytest.mark.parametrize("channel", range(len(PLANTED)))
def test_every_planted_unit_gets_its_class(units, channel):
    kind = PLANTED[channel][0]
    assert units.loc[channel, "cell_class"] == kind, units.loc[channel].to_dict()


@pytest.mark.parametrize("channel", [i for i, p in enumerate(PLANTED) if p[0] in ("simple", "complex")])
def test_oriented_units_recover_orientation_and_sf(units, channel):
    _, theta, sf = PLANTED[channel]
    row = units.loc[channel]
    assert row["orientation_selective"]
    assert _circular_diff(row["preferred_orientation_deg"], theta) <= 5.0
    assert abs(np.log2(row["peak_sf_cpd"] / sf)) <= 0.25


def test_modulation_ratio_separates_gabor_from_energy_units(units):
    for channel, (kind, _, _) in enumerate(PLANTED):
        if kind == "simple":
            assert units.loc[channel, "modulation_ratio"] > 1.3
        elif kind == "complex":
            assert units.loc[channel, "modulation_ratio"] < 0.3


def test_colour_classes(units):
    kinds = [p[0] for p in PLANTED]
    do, so = kinds.index("double-opponent"), kinds.index("single-opponent")
    assert units.loc[do, "double_opponent"] and not units.loc[do, "single_opponent"]
    assert units.loc[do, "cone_opponency"] == "L-M" and units.loc[so, "cone_opponency"] == "L-M"
    for channel, kind in enumerate(kinds):
        if kind in ("simple", "complex"):
            assert units.loc[channel, "cone_opponency"] == "non-opponent", channel
    assert units.loc[so, "single_opponent"] and not units.loc[so, "double_opponent"]
    assert units.loc[do, "color_class"] == "colour-preferring"
    for channel, kind in enumerate(kinds):
        if kind in ("simple", "complex", "non-oriented"):
            assert units.loc[channel, "color_class"] == "luminance"
    assert not units.loc[kinds.index("unresponsive"), "responsive"]
