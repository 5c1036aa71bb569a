"""v1lab sweep on an embedded local Ray: two models, one task killed, the others finish, a resume completes it."""

import json
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from v1lab.cli import main
from v1lab.errors import ProtocolError
from v1lab.sweep import load_sweep, run_sweep, sweep_tasks

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SETS = ("gratings_osp_quick", "isoluminant_osp_quick", "color_fields_quick")

FACTORIES = '''
import glob
import os
import signal
import sys

sys.path.insert(0, {nets!r})
from nets import TinyResNet, make as _make

MARKER = {marker!r}
PARTS = {parts!r}


class Killer(TinyResNet):
    """Kills its own worker process once, in the middle of layer1's recording (after a set was saved); tasks run
    one at a time, so the worker killed is the one recording killer/layer1."""

    def forward(self, x):
        if glob.glob(PARTS) and not os.path.exists(MARKER):
            open(MARKER, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return super().forward(x)


def make():
    return _make(seed=0)


def make_killer():
    net = _make(seed=1)
    net.__class__ = Killer
    return net
'''


def _write(tmp_path: Path) -> Path:
    out = tmp_path / "sweep"
    (tmp_path / "factories.py").write_text(FACTORIES.format(
        nets=str(REPO / "tests" / "residual"), marker=str(tmp_path / "killed"),
        parts=str(out / "runs" / "killer" / "layer1" / "responses" / "layer1.parts" / "*.nc")))
    protocol = {"name": "tiny-sweep", "model": "resnet50-caffe", "device": "cpu", "seed": 0,
                "layers": [{"name": "relu", "label": "conv1"}, "layer1"],
                "stimuli": [str(REPO / "stimuli" / f"{n}.yaml") for n in SETS],
                "analyses": {"roles": {"luminance_gratings": SETS[0], "chromatic_gratings": SETS[1],
                                       "uniform_fields": SETS[2]}, "fits": False},
                "references": ["ringach2002"],
                "output": {"root": str(tmp_path / "unused"), "batch_size": 64, "report": False}}
    (tmp_path / "protocol.yaml").write_text(yaml.safe_dump(protocol))
    sweep = {"name": "tiny", "protocol": "protocol.yaml",
             "models": [{"spec": "python:factories.py:make", "label": "plain"},
                        {"spec": "python:factories.py:make_killer", "label": "killer"}],
             "resources": {"num_cpus": 2, "num_gpus": 0}}  # one task at a time on the test's 2-CPU Ray
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep))
    return path


def test_tasks_need_trust_and_get_absolute_specs(tmp_path):
    sweep, file = load_sweep(_write(tmp_path))
    with pytest.raises(ProtocolError, match="--trust-code"):
        sweep_tasks(sweep, file.parent, ["relu=conv1"])
    tasks = sweep_tasks(sweep, file.parent, [{"name": "relu", "label": "conv1"}, "layer1"], trust_code=True)
    assert [t.key for t in tasks] == ["plain/conv1", "plain/layer1", "killer/conv1", "killer/layer1"]
    assert tasks[0].spec == f"python:{tmp_path / 'factories.py'}:make"


@pytest.mark.slow
def test_a_killed_task_is_recorded_the_others_finish_and_a_resume_completes_it(tmp_path, capsys, monkeypatch):
    # Ray lowers its workers' priority to nice 15 by default; beside the other xdist worker (nice 0) on two cores
    # the task's worker then got a few per cent of a core, and this test took minutes instead of one
    monkeypatch.setenv("RAY_worker_niceness", "0")
    path = _write(tmp_path)
    started = time.perf_counter()
    first = run_sweep(path, out=tmp_path / "sweep", trust_code=True, num_cpus=2, num_gpus=0, progress=False)
    first_seconds = time.perf_counter() - started
    status = first["status"].set_index("task")
    assert (tmp_path / "killed").exists()
    assert first["failed"] == ["killer/layer1"]
    assert status.loc["killer/layer1", "error"].startswith("WorkerCrashedError")
    assert (status.drop(index="killer/layer1")["status"] == "complete").all()
    killed = tmp_path / "sweep" / "runs" / "killer" / "layer1"
    assert json.loads((killed / "manifest.json").read_text())["status"] == "running"
    assert list(first["models"]) == ["plain"] and first["left_out"] == ["killer"] and first["report"] is None
    assert pd.read_csv(tmp_path / "sweep" / "status.csv")["status"].tolist().count("failed") == 1

    second = run_sweep(path, out=tmp_path / "sweep", trust_code=True, num_cpus=2, num_gpus=0, progress=False)
    total = time.perf_counter() - started
    status = second["status"].set_index("task")
    assert second["failed"] == []
    assert status.loc["killer/layer1", "status"] == "complete"
    assert (status.drop(index="killer/layer1")["status"] == "done").all()  # finished tasks were skipped
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["resumed"]) == 1
    root = tmp_path / "sweep"
    units = pd.read_csv(root / "units.csv")
    assert set(units["model"]) == {"plain", "killer"} and set(units["layer"]) == {"conv1", "layer1"}
    assert set(pd.read_csv(root / "population.csv")["model"]) == {"plain", "killer"}
    assert (root / "models" / "killer" / "responses" / "layer1.nc").is_file()
    assert (root / "comparison" / "report.html").is_file() and second["report"] is not None
    print(f"sweep test: first pass {first_seconds:.0f} s, with the resume {total:.0f} s")


@pytest.mark.parametrize("change, words", [({"modelz": []}, "field 'modelz'"), ({"models": []}, "field 'models'"),
                                           ({"resources": {"num_cpus": 0}}, "field 'resources.num_cpus'")])
def test_a_bad_sweep_file_is_one_line_and_exit_2(tmp_path, capsys, change, words):
    path = _write(tmp_path)
    data = {**yaml.safe_load(path.read_text()), **change}
    path.write_text(yaml.safe_dump(data))
    assert main(["sweep", str(path), "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"v1lab: error: {path}: {words}")
    assert not (tmp_path / "s").exists()
