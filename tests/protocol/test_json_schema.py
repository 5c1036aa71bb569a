"""The shipped JSON Schemas equal those generated from the models, and accept every shipped file."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from v1lab.cli import main
from v1lab.protocol.json_schema import SCHEMA_FILES, json_schemas, schema_text

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_shipped_schemas_are_current(name):
    shipped = REPO / "schemas" / SCHEMA_FILES[name]
    assert shipped.read_text() == schema_text(name), "schemas/ is stale: run `python scripts/generate_docs.py`"
    jsonschema.Draft202012Validator.check_schema(json.loads(shipped.read_text()))


@pytest.mark.parametrize("name, pattern", [("protocol", "protocols/*.yaml"), ("stimulus-set", "stimuli/*.yaml")])
def test_every_shipped_file_matches_its_schema(name, pattern):
    validator = jsonschema.Draft202012Validator(json_schemas()[name])
    files = sorted(REPO.glob(pattern))
    assert files
    for path in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert not errors, (path.name, errors[:1])


@pytest.mark.parametrize("data", [
    {"name": "g", "family": "grating", "fixed": {"sf_cpd": "fast"}},
    {"name": "g", "family": "grating", "grid": {"orientaton_deg": [0]}},
    {"name": "g", "family": "plaid"},
    {"name": "g", "family": "grating", "grid": {"waveform": {"linspace": [0, 1], "num": 2}}},
])
def test_the_stimulus_set_schema_flags_what_an_editor_should(data):
    assert not jsonschema.Draft202012Validator(json_schemas()["stimulus-set"]).is_valid(data)


def test_the_protocol_schema_checks_inline_sets_too():
    validator = jsonschema.Draft202012Validator(json_schemas()["protocol"])
    good = {"name": "p", "layers": ["conv1"], "stimuli": ["gratings_osp_quick", {"inline": {
        "name": "g", "family": "grating", "fixed": {"sf_cpd": 2.0}, "grid": {"orientation_deg": [0, 90]}}}]}
    assert validator.is_valid(good)
    bad = {**good, "stimuli": [{"inline": {"name": "g", "family": "grating", "fixed": {"sf_cpdd": 2.0}}}]}
    assert not validator.is_valid(bad)


def test_the_schema_command(capsys, tmp_path):
    assert main(["schema", "stimulus-set"]) == 0
    assert capsys.readouterr().out == schema_text("stimulus-set")
    assert main(["schema", "protocol", "--out", str(tmp_path / "p.json")]) == 0
    assert (tmp_path / "p.json").read_text() == schema_text("protocol")
