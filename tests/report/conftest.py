"""A synthetic run folder built by hand: manifest.json, protocol.yaml, units.csv and the population tables."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from v1lab.population import write_tables
from v1lab.units import conform, empty_table

MODEL = "torchvision/resnet18"
LAYERS = {"conv1": 12, "layer1": 30, "layer2": 9}
N_BOOT = 50


def make_units(rng: np.random.Generator) -> pd.DataFrame:
    """Units of three layers with every column of the units table, some unresponsive and some NaN metrics."""
    frames = []
    for layer, n in LAYERS.items():
        resp = rng.random(n) < 0.85
        bw = rng.uniform(8, 120, n)
        bw[rng.random(n) < 0.2] = np.nan
        frames.append(pd.DataFrame(dict(
            model=MODEL, layer=layer, channel=np.arange(n), responsive=resp,
            orientation_selective=np.isfinite(bw) & (bw <= 90), preferred_orientation_deg=rng.uniform(0, 180, n),
            circular_variance=rng.random(n), orientation_bandwidth_deg=bw, orthogonal_preferred_ratio=rng.random(n),
            modulation_ratio=rng.uniform(0, 2, n), simple=rng.random(n) < 0.4,
            peak_sf_cpd=np.exp2(rng.uniform(-1, 3, n)), sf_bandwidth_oct=rng.uniform(0.5, 3, n),
            surround_suppression_index=rng.random(n), chromatic_ratio=rng.exponential(1.0, n),
            color_class=rng.choice(["luminance", "colour-luminance", "colour-preferring"], n),
            double_opponent=rng.random(n) < 0.1, single_opponent=rng.random(n) < 0.1,
            cell_class=rng.choice(["simple", "complex", "non-oriented"], n),
            ori_vm_kappa=rng.gamma(2.0, 1.0, n) * 1e-4,  # a fit parameter: small values, in scientific notation
        )))
    filled = pd.concat(frames, ignore_index=True)
    return conform(empty_table(len(filled)).assign(**filled))


PROTOCOL = {
    "name": "synthetic",
    "description": "A hand-built run folder <for tests> & nothing else.",
    "model": MODEL,
    "device": "cpu",
    "seed": 3,
    "ppd": 28.0,
    "layers": [{"name": "relu", "label": "conv1"}, {"name": "layer1"}, {"name": "layer2"}],
    "stimuli": ["gratings_osp_quick"],
    "references": ["cavanaugh2002", "devalois1982b_peak_sf"],  # a source prefix and an exact name
}


def make_run(path, rng, *, tables=True) -> pd.DataFrame:
    """Write a run folder at ``path``; with ``tables`` also the population tables (write_tables)."""
    path.mkdir(parents=True, exist_ok=True)
    units = make_units(rng)
    units.to_csv(path / "units.csv", index=False)
    (path / "protocol.yaml").write_text(yaml.safe_dump(PROTOCOL, sort_keys=False), encoding="utf-8")
    manifest = {
        "v1lab_run": 1, "model": MODEL, "weights_sha256": "ab" * 32, "device": "cpu", "seed": 3,
        "versions": {"python": "3.12.0", "v1lab": "0.1.0", "torch": "2.14.0"},
        "protocol": yaml.safe_dump(PROTOCOL, sort_keys=False), "status": "complete",
        "started": "2025-01-01T10:00:00+00:00", "finished": "2025-01-01T10:05:00+00:00",
        "command": ["v1lab", "run", "protocols/synthetic.yaml"],
    }
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if tables:
        refs = ["ringach2002_circular_variance", "ringach2002_simple_fraction", "devalois1982b_peak_sf",
                "cavanaugh2002_surround_suppression_index"]
        write_tables(units, path, references=refs, n_boot=N_BOOT, seed=0)
    return units


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


@pytest.fixture
def run_dir(tmp_path, rng):
    path = tmp_path / "run"
    make_run(path, rng)
    return path


EXTRA_TABLES = {
    "preferred/agreement.csv": pd.DataFrame({"layer": ["conv1", "layer1"], "agreement": [0.8123, 0.4], "n": [12, 30]}),
    "lesion/lesion.csv": pd.DataFrame({"set": ["simple", "random"], "delta_top1": [-0.01234, 0.0],
                                       "p_value": [3.2e-6, 0.7]}),
}
EXTRA_IMAGE = "preferred/gallery_conv1.png"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A run folder with its tables and preferred/ and lesion/ results; its report built once for the module
    (``max_unit_rows=10``)."""
    from PIL import Image

    from v1lab.report import build_report

    path = tmp_path_factory.mktemp("built") / "run"
    make_run(path, np.random.default_rng(7))
    for name, table in EXTRA_TABLES.items():
        (path / name).parent.mkdir(exist_ok=True)
        table.to_csv(path / name, index=False)
    Image.new("RGB", (8, 6), (200, 30, 30)).save(path / EXTRA_IMAGE)
    return path, build_report(path, max_unit_rows=10)
