"""Block dissection on a tiny ResNet: four modes per block characterised, parts that add up, tables and tests."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nets import make

from v1lab.recording import load_layer
from v1lab.residual import dissection_protocol, dissection_table, run_dissection
from v1lab.units import empty_table

REPO = Path(__file__).resolve().parents[2]
SETS = ("gratings_osp_quick", "isoluminant_osp_quick", "color_fields_quick")


def _protocol(tmp_path):
    return {"name": "tiny", "model": "resnet50-caffe", "device": "cpu", "layers": ["layer1"],
            "stimuli": [str(REPO / "stimuli" / f"{n}.yaml") for n in SETS],
            "analyses": {"roles": {"luminance_gratings": SETS[0], "chromatic_gratings": SETS[1],
                                   "uniform_fields": SETS[2]}, "fits": False},
            "output": {"root": str(tmp_path / "runs"), "batch_size": 128, "report": False}}


@pytest.fixture(scope="module")
def dissected(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dissect")
    return run_dissection(_protocol(tmp), ["layer2.0"], model=make(), out=tmp / "run", progress=False)


def test_every_block_is_recorded_in_four_modes(dissected):
    assert dissected.layers == [f"layer2.0-{m}" for m in ("shortcut", "residual", "sum", "post_relu")]
    assert set(dissected.units["layer"]) == set(dissected.layers)
    assert dissected.protocol["layers"][1] == {"name": "layer2.0", "response": "residual", "label": "layer2.0-residual"}


def test_recorded_parts_add_up(dissected, block="layer2.0"):
    r = {m: load_layer(dissected.path / "responses" / f"{block}-{m}.nc")["responses"].values
         for m in ("shortcut", "residual", "sum", "post_relu")}
    scale = np.abs(r["sum"]).max()
    np.testing.assert_allclose(r["shortcut"] + r["residual"], r["sum"], atol=1e-5 * scale)
    np.testing.assert_allclose(np.maximum(r["sum"], 0), r["post_relu"], atol=1e-5 * scale)


def test_tables_are_written(dissected):
    summary = pd.read_csv(dissected.path / "dissection.csv")
    assert list(summary[["block", "mode"]].itertuples(index=False, name=None))[:4] == [
        ("layer2.0", m) for m in ("shortcut", "residual", "sum", "post_relu")]
    assert {"orientation_selective", "orientation_selective_ci_low", "peak_sf_cpd_median", "os_changed"} <= set(summary)
    tests = pd.read_csv(dissected.path / "dissection_tests.csv")
    assert set(tests["group_a"]) == {"shortcut"} and set(tests["group_b"]) == {"residual", "sum"}
    assert set(tests["quantity"]) <= {"orientation_selective", "color_class", "peak_sf_cpd", "circular_variance"}


def test_the_protocol_keeps_its_sets_and_replaces_its_layers(tmp_path):
    data = dissection_protocol(_protocol(tmp_path), ["layer3.1"], modes=("residual",))
    assert data["name"] == "tiny-dissection" and data["stimuli"][0].endswith("gratings_osp_quick.yaml")
    assert data["layers"] == [{"name": "layer3.1", "response": "residual", "label": "layer3.1-residual"}]


def _planted(n=200, seed=0):
    """Two blocks; in block b1 the residual branch is orientation-selective far more often than the shortcut."""
    rng = np.random.default_rng(seed)
    rows = []
    for block, p_res in (("b1", 0.9), ("b2", 0.3)):
        for mode, p in (("shortcut", 0.3), ("residual", p_res), ("sum", 0.3), ("post_relu", 0.3)):
            t = empty_table(n)
            t["model"], t["layer"], t["channel"] = "m", f"{block}-{mode}", np.arange(n)
            t["responsive"] = True
            t["orientation_selective"] = rng.random(n) < p
            t["peak_sf_cpd"] = rng.lognormal(0.0, 0.5, n)
            rows.append(t)
    return pd.concat(rows, ignore_index=True)


def test_a_planted_difference_is_found_and_equal_populations_are_not():
    summary, tests = dissection_table(_planted())
    os_tests = tests[(tests["quantity"] == "orientation_selective") & (tests["group_b"] == "residual")]
    assert os_tests.set_index("block").loc["b1", "significant"]
    assert not os_tests.set_index("block").loc["b2", "significant"]
    sf = tests[tests["quantity"] == "peak_sf_cpd"]
    assert not sf["significant"].any()  # the same distribution in every mode
    b1 = summary.set_index(["block", "mode"])
    os_ = b1["orientation_selective"]
    assert os_.loc[("b1", "residual")] > 0.8 > os_.loc[("b1", "shortcut")]
