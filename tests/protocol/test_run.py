"""End-to-end runs through the real CLI on a tiny network: outputs, manifest, never-overwrite, resume."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from v1lab.cli import main
from v1lab.recording import load_layer, save_layer

HERE = Path(__file__).parent
REPO = HERE.parents[1]


def _protocol(tmp_path: Path, model: str, *, batch_size: int = 16) -> Path:
    """A tiny run's protocol; without a report (tables and responses are what these tests compare;
    test_sections.py and tests/report check run reports)."""
    protocol = {
        "name": "tiny",
        "model": model,
        "device": "cpu",
        "layers": [{"name": "relu", "label": "conv1"}, "layer1"],
        "stimuli": [str(REPO / "stimuli" / f"{n}.yaml") for n in
                    ("gratings_osp_quick", "isoluminant_osp_quick", "gratings_osp_matched_quick", "color_fields_quick")],
        "analyses": {"roles": {"luminance_gratings": "gratings_osp_quick",
                               "chromatic_gratings": "isoluminant_osp_quick",
                               "matched_luminance_gratings": "gratings_osp_matched_quick",
                               "uniform_fields": "color_fields_quick"}},
        # a budget no process reaches: the batches are batch_size whatever the worker already holds (under the
        # default 2GB a pytest worker that has loaded ResNet-50 records one stimulus at a time, and another
        # summation order changes responses in the last bit, which the resume test compares exactly)
        "output": {"root": str(tmp_path / "runs"), "batch_size": batch_size, "max_memory": "1TB", "report": False},
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(protocol))
    return path


def _responses(run: Path) -> dict:
    out = {}
    for f in sorted((run / "responses").rglob("*.nc")):
        with xr.open_dataset(f, engine="h5netcdf") as ds:
            out[str(f.relative_to(run))] = {k: ds[k].values.copy() for k in ds.data_vars}
    return out


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("complete")
    path = _protocol(tmp, f"python:{HERE / 'tiny_net.py'}:make")
    assert main(["run", str(path), "--out", str(tmp / "run"), "--no-progress", "--trust-code"]) == 0
    return path, tmp / "run"


def test_run_writes_tables_responses_and_manifest(complete_run):
    _, run = complete_run
    units = pd.read_csv(run / "units.csv")
    assert set(units["layer"]) == {"conv1", "layer1"}
    assert len(units) == 8 + 12
    assert pd.read_parquet(run / "units.parquet").shape == units.shape
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["seed"] == 0
    assert manifest["model"].endswith("tiny_net.py:make") and "torch" in manifest["versions"]
    assert "gratings_osp_quick" in manifest["protocol"]
    assert sorted(p.name for p in (run / "responses").iterdir()) == ["conv1.nc", "layer1.nc"]  # parts removed
    assert (run / "comparison.csv").is_file() and not (run / "report.html").exists()   # output.report: false


def test_run_never_overwrites(complete_run, capsys):
    path, run = complete_run
    assert main(["run", str(path), "--out", str(run), "--no-progress", "--trust-code"]) == 2
    assert "not empty" in capsys.readouterr().err


def test_resume_after_losing_files_gives_identical_results(complete_run, tmp_path):
    """The state a kill leaves (some whole files, a stray temporary file) resumes to the same results."""
    path, run = complete_run
    partial = tmp_path / "partial"
    import shutil

    shutil.copytree(run, partial)
    layer1 = load_layer(run / "responses" / "layer1.nc")
    for f in ["units.csv", "units.parquet", "responses/layer1.nc"]:
        (partial / f).unlink()
    parts = partial / "responses" / "layer1.parts"   # two of the four sets were recorded before the kill
    for name in ("gratings_osp_quick", "gratings_osp_matched_quick"):
        one = layer1.isel(stimulus=np.flatnonzero(layer1["set"].values == name))
        save_layer(parts / f"{name}.nc", one.drop_vars([c for c in one.coords if one[c].dims == ("stimulus",)
                                                       and (one[c].astype(str) == "").all()]))
    (parts / ".isoluminant_osp_quick.nc.x.tmp").write_bytes(b"half")
    assert main(["run", str(path), "--resume", str(partial), "--no-progress", "--trust-code"]) == 0
    assert _responses(partial).keys() == _responses(run).keys()
    for key, data in _responses(run).items():
        for var, values in data.items():
            np.testing.assert_array_equal(_responses(partial)[key][var], values)
    pd.testing.assert_frame_equal(pd.read_csv(partial / "units.csv"), pd.read_csv(run / "units.csv"))
    assert json.loads((partial / "manifest.json").read_text())["resumed"]
    assert not parts.exists()
    for layer in ("conv1", "layer1"):   # coordinates and attributes too
        xr.testing.assert_identical(load_layer(partial / "responses" / f"{layer}.nc"),
                                    load_layer(run / "responses" / f"{layer}.nc"))


def test_resume_refuses_a_different_protocol(complete_run, tmp_path, capsys):
    path, run = complete_run
    assert main(["run", str(path), "--resume", str(run), "--set", "seed=5", "--no-progress",
                 "--trust-code"]) == 2
    assert "differs from the one this run started with" in capsys.readouterr().err


def test_killed_run_resumes_to_identical_results(complete_run, tmp_path, monkeypatch):
    """SIGKILL a real run half-way (a slowed-down copy of the network), then --resume it at full speed."""
    _, reference = complete_run
    path = _protocol(tmp_path, f"python:{HERE / 'tiny_net.py'}:make_slow")
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "v1lab", "run", str(path), "--trust-code", "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "TINY_NET_DELAY_S": "0.3"})
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.rglob("*.parts/*.nc")):   # the first set of conv1 saved
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(out.rglob("*.parts/*.nc")) and not (out / "responses" / "layer1.nc").exists(), \
        "the run was not interrupted half-way"
    assert not (out / "units.csv").exists()
    monkeypatch.setenv("TINY_NET_DELAY_S", "0")
    assert main(cmd[3:6] + ["--resume", str(out), "--no-progress"]) == 0   # in this process: no second start-up
    got, want = _responses(out), _responses(reference)
    assert got.keys() == want.keys()
    for key in want:
        for var in want[key]:
            np.testing.assert_allclose(got[key][var], want[key][var], rtol=0, atol=0)


def test_the_protocol_ppd_reaches_the_recorder_and_sf_scales_with_it(tmp_path):
    """Full-field gratings at ppd 14 and at ppd 56 with four times the SFs are the same images in cycles/pixel, so
    the recorded responses are equal and every SF in c/deg, the peak SF included, is four times larger at 56."""
    out = {}
    for ppd, sfs in ((14.0, [0.25, 0.5, 1.0, 2.0, 3.5]), (56.0, [1.0, 2.0, 4.0, 8.0, 14.0])):
        stim = tmp_path / f"gratings_{ppd:g}.yaml"
        stim.write_text(yaml.safe_dump({
            "name": "gratings", "family": "grating", "fixed": {"contrast": 1.0},
            "grid": {"orientation_deg": {"linspace": [0, 180], "num": 4, "endpoint": False}, "sf_cpd": sfs,
                     "phase_deg": {"linspace": [0, 360], "num": 4, "endpoint": False}}}))
        path = tmp_path / f"ppd_{ppd:g}.yaml"
        path.write_text(yaml.safe_dump({
            "name": "ppd", "model": f"python:{HERE / 'tiny_net.py'}:make", "device": "cpu", "ppd": ppd,
            "layers": [{"name": "relu", "label": "conv1"}], "stimuli": [str(stim)],
            "analyses": {"roles": {"luminance_gratings": "gratings"}},
            "output": {"root": str(tmp_path / "runs"), "report": False}}))
        run = tmp_path / f"run_{ppd:g}"
        assert main(["run", str(path), "--out", str(run), "--no-progress", "--trust-code"]) == 0
        out[ppd] = load_layer(run / "responses" / "conv1.nc"), pd.read_csv(run / "units.csv")
    (low, low_units), (high, high_units) = out[14.0], out[56.0]
    assert (low.attrs["ppd"], high.attrs["ppd"]) == (14.0, 56.0)
    np.testing.assert_allclose(np.asarray(high.attrs["rf_size_deg"]) * 4, low.attrs["rf_size_deg"], rtol=1e-12)
    np.testing.assert_allclose(high["responses"].values, low["responses"].values, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(high["sf_cpd"].values, 4 * low["sf_cpd"].values)
    live = low_units["peak_sf_cpd"].notna()
    assert live.sum() >= 4
    np.testing.assert_allclose(high_units["peak_sf_cpd"][live], 4 * low_units["peak_sf_cpd"][live], rtol=1e-9)
