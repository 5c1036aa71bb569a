"""A protocol file cannot run code: its python: model is refused unless the user trusts it (--trust-code)."""

from pathlib import Path

import pytest
import yaml

import v1lab
from v1lab.cli import main
from v1lab.errors import UntrustedCodeError
from v1lab.protocol import prepare_run, validate_protocol
from v1lab.protocol.prepare import check_trust

HERE = Path(__file__).parent

EVIL = '''
from pathlib import Path
Path(__file__).with_name("PWNED").write_text("code ran")   # what importing this file does

import sys
sys.path.insert(0, {here!r})
from tiny_net import make as build
'''


@pytest.fixture
def evil(tmp_path):
    """A protocol whose model is python:evil.py:build; importing evil.py writes PWNED beside it."""
    (tmp_path / "evil.py").write_text(EVIL.format(here=str(HERE)))
    data = {"name": "evil", "model": "python:evil.py:build", "device": "cpu", "layers": ["relu"],
            "stimuli": [{"inline": {"name": "g", "family": "grating", "fixed": {"sf_cpd": 2.0},
                                    "grid": {"orientation_deg": [0, 90], "phase_deg": [0, 180]}}}],
            "analyses": {"fits": False},
            "output": {"root": str(tmp_path / "runs"), "formats": ["csv"], "report": False}}
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("command, options", [("validate", []), ("run", ["--no-progress"]), ("run", ["--dry-run"])])
def test_a_protocol_file_cannot_run_its_python_model(evil, monkeypatch, capsys, command, options):
    monkeypatch.chdir(evil.parent)                       # python:evil.py resolves here
    assert main([command, str(evil), *options]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"v1lab: error: {evil}: field 'model': 'python:evil.py:build'")
    assert "--trust-code" in err and "--model" in err
    assert not (evil.parent / "PWNED").exists()          # never imported
    assert not (evil.parent / "runs").exists()           # and nothing written


def test_trust_code_runs_it(evil, monkeypatch, capsys):
    monkeypatch.chdir(evil.parent)
    assert main(["validate", str(evil), "--trust-code"]) == 0
    assert (evil.parent / "PWNED").read_text() == "code ran"
    (evil.parent / "PWNED").unlink()
    assert main(["run", str(evil), "--trust-code", "--no-progress", "--out", str(evil.parent / "run")]) == 0
    assert (evil.parent / "PWNED").exists() and (evil.parent / "run" / "units.csv").is_file()
    assert "error" not in capsys.readouterr().err


def test_a_spec_the_user_gives_is_trusted(evil, monkeypatch):
    """--model, --set model=... and the Python API name code the user chose; a file's spec is data."""
    monkeypatch.chdir(evil.parent)
    assert main(["validate", str(evil), "--model", "python:evil.py:build"]) == 0
    assert main(["validate", str(evil), "--set", "model=python:evil.py:build"]) == 0
    assert prepare_run(yaml.safe_load(evil.read_text())).protocol.model == "python:evil.py:build"
    assert prepare_run(evil, {"model": "python:evil.py:build"}).protocol.model == "python:evil.py:build"
    assert (evil.parent / "PWNED").exists()


def test_the_api_refuses_too_and_takes_trust_code(evil, monkeypatch):
    monkeypatch.chdir(evil.parent)
    with pytest.raises(UntrustedCodeError, match="trust_code=True"):
        v1lab.run_protocol(evil, progress=False)
    with pytest.raises(UntrustedCodeError):
        validate_protocol(evil)
    assert not (evil.parent / "PWNED").exists()
    assert prepare_run(evil, trust_code=True).protocol.model == "python:evil.py:build"


def test_specs_that_run_no_code_need_no_trust(evil):
    protocol = prepare_run(evil, {"model": "resnet50-caffe"}).protocol
    for spec in ("resnet50-caffe", "torchvision/resnet18", "checkpoint:w.pth?arch=resnet34-plain"):
        check_trust(protocol.model_copy(update={"model": spec}), evil, from_file=True, trust_code=False)
    with pytest.raises(UntrustedCodeError):
        check_trust(protocol.model_copy(update={"model": "python:x.py:f"}), evil, from_file=True, trust_code=False)
