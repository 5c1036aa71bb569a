"""`v1lab validate`: the checks that need stimulus sets and the model, each a one-line error with exit 2."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from v1lab.cli import main
from v1lab.models import list_models

HERE = Path(__file__).parent
REPO = HERE.parents[1]
TINY = f"python:{HERE / 'tiny_net.py'}:make"
#: The protocols the repository ships; a stray file in protocols/ is not one of them.
SHIPPED = ("cavanaugh2002.yaml", "devalois1982.yaml", "johnson2001.yaml", "kobayashi2020.yaml",
           "kobayashi2020_quick.yaml", "quick.yaml", "ringach2002.yaml", "skip_quick.yaml")


def _grating(**fixed):
    base = {"color_direction": "luminance", "contrast": 1.0, "aperture": "none"}
    return {"inline": {"name": "g", "family": "grating", "fixed": {**base, **fixed},
                       "grid": {"orientation_deg": [0, 90], "sf_cpd": [2.0], "phase_deg": [0]}}}


def _protocol(**changes):
    data = {"name": "v", "model": TINY, "layers": ["conv1"], "stimuli": [_grating()]}
    data.update(changes)
    return data


CASES = [
    (_protocol(stimuli=[_grating(color_direction="L-M", contrast=1.25)]), ["contrast", "gamut", "25"]),
    (_protocol(stimuli=[_grating(aperture="circular", size_deg=0)]), ["size_deg"]),
    (_protocol(layers=["conv7"]), ["'layers.0.name'", "conv7", "conv1"]),
    (_protocol(stimuli=[{"inline": {"name": "g", "family": "grating", "fixed": {"sf_cpd": 2.0},
                                    "grid": {"orientation_deg": []}}}]), ["orientation_deg", "empty"]),
    (_protocol(stimuli=["no_such_set"]), ["'stimuli'", "no_such_set"]),
    (_protocol(analyses={"roles": {"luminance_gratings": "other"}}), ["'analyses.roles.luminance_gratings'", "other"]),
    (_protocol(analyses={"roles": {"luminance_grating": "g"}}),
     ["'analyses.roles.luminance_grating'", "did you mean 'luminance_gratings'"]),
    (_protocol(lesion={"images": "x", "n_randm": 3}), ["'lesion.n_randm'", "did you mean 'n_random'"]),
    (_protocol(lesion={"images": "x", "layer": "layer4"}), ["'lesion.layer'", "layer4", "labels: conv1"]),
    (_protocol(preferred_stimuli={"layers": ["conv1", "relu9"]}), ["'preferred_stimuli.layers.1'", "relu9"]),
    (_protocol(preferred_stimuli={"stepz": 3}), ["'preferred_stimuli.stepz'", "did you mean 'steps'"]),
    (_protocol(analyses={"criteria": {"simple_modulation_ratio": -1}}), ["'analyses.criteria.simple_modulation_ratio'", "greater than 0"]),
    (_protocol(references=["ringach2003"]), ["'references'", "ringach2003"]),
    (_protocol(model="python:/nowhere/net.py:make"), ["/nowhere/net.py"]),
    (_protocol(model="resnet51-caffe"), ["resnet51-caffe"]),
]


@pytest.mark.parametrize("data, words", CASES, ids=[str(i) for i in range(len(CASES))])
def test_validate_rejects_with_one_line(tmp_path, capsys, data, words):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["validate", str(path), "--trust-code"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("v1lab: error: ") and "\n" not in err
    for word in words:
        assert word.lower() in err.lower(), err


def test_validate_accepts_a_good_protocol(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(_protocol()))
    assert main(["validate", str(path), "--trust-code"]) == 0
    assert "valid" in capsys.readouterr().out


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_protocols_validate(name, capsys):
    if not next(m for m in list_models() if m.spec == "resnet50-caffe").weights_present:
        pytest.skip("resnet50-caffe weights are not in the cache (run `v1lab fetch resnet50-caffe`)")
    assert main(["validate", str(REPO / "protocols" / name)]) == 0, capsys.readouterr().err


def test_shipped_list_is_the_tracked_protocols():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the tracked protocols cannot be listed")
    tracked = subprocess.run(["git", "ls-files", "--", "protocols/*.yaml"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.split()
    assert tuple(Path(p).name for p in tracked) == SHIPPED


def test_run_reports_a_bad_section_in_one_line_before_recording(tmp_path, capsys):
    """`v1lab run` makes the same checks as `v1lab validate` (no traceback, nothing written)."""
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(_protocol(analyses={"criteria": {"simple_modulation_ratio": -1}},
                                             output={"root": str(tmp_path / "runs")})))
    assert main(["run", str(path), "--no-progress", "--trust-code"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("v1lab: error: ") and "\n" not in err and "'analyses.criteria.simple_modulation_ratio'" in err
    assert not (tmp_path / "runs").exists()
