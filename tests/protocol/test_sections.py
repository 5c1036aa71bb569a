"""A protocol's preferred-stimulus and lesion sections run end to end from the one file, also when the units
table is written only as Parquet; layers are named by label or by module."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from v1lab.cli import main

HERE = Path(__file__).parent
REPO = HERE.parents[1]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Twelve small photographs-to-be: noise images in two class folders."""
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for i in range(12):
        folder = root / ("b_two" if i % 2 else "a_one")
        folder.mkdir(exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(folder / f"{i:02d}.png")
    return root


@pytest.fixture(scope="module")
def run(images, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sections")
    protocol = {
        "name": "sections", "model": f"python:{HERE / 'tiny_net.py'}:make", "device": "cpu",
        "layers": [{"name": "relu", "label": "L1"}, "layer1"],
        "stimuli": [str(REPO / "stimuli" / f"{n}.yaml") for n in ("gratings_osp_quick", "color_fields_quick")],
        "analyses": {"roles": {"luminance_gratings": "gratings_osp_quick", "uniform_fields": "color_fields_quick"},
                     "fits": False},
        "preferred_stimuli": {"layers": ["L1"], "steps": 4, "channels": [0, 1], "images": str(images), "k": 2},
        "lesion": {"images": str(images), "layer": "L1", "n_random": 2, "single_units": False, "batch_size": 6,
                   "n_bootstrap": 100},
        "output": {"root": str(tmp / "runs"), "formats": ["parquet"], "batch_size": 64},
    }
    path = tmp / "sections.yaml"
    path.write_text(yaml.safe_dump(protocol))
    assert main(["validate", str(path), "--trust-code"]) == 0
    assert main(["run", str(path), "--out", str(tmp / "run"), "--no-progress", "--trust-code"]) == 0
    return tmp / "run"


def test_parquet_only_run_has_its_report_and_both_sections(run):
    assert (run / "units.parquet").is_file() and not (run / "units.csv").exists()
    units = pd.read_parquet(run / "units.parquet")
    assert set(units["layer"]) == {"L1", "layer1"}     # one identity per layer: the label
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    report = (run / "report.html").read_text()
    assert "Lesion experiments" in report and "Preferred stimuli" in report
    assert (run / "preferred" / "gallery_L1.png").is_file()
    assert (run / "preferred" / "preferred_stimuli_L1.csv").is_file()


def test_the_lesion_section_reads_this_runs_units_by_label(run):
    lesion = pd.read_csv(run / "lesion" / "lesion.csv")
    assert {"class", "random"} <= set(lesion["kind"])     # class groups come from units.parquet
    assert "responsive" in set(lesion.loc[lesion["kind"] == "class", "definition"])
    inactive = pd.read_csv(run / "lesion" / "inactive.csv")
    assert set(inactive["layer"]) == {"L1"} and inactive["stimulus_max_ratio"].notna().all()
    config = yaml.safe_load((run / "lesion" / "protocol.yaml").read_text())["lesion"]
    assert config["layer"] == "relu"     # the label's module: the network has no module called L1
    assert config["label"] == "L1" and config["units_table"] == str(run)
