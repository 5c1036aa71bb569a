"""The protocol schema: strict keys, typed fields, one-line errors that name the file and the field."""

from pathlib import Path

import pytest
import yaml

from v1lab.cli import main
from v1lab.errors import ProtocolError
from v1lab.protocol.loading import apply_overrides, load_protocol, parse_protocol
from v1lab.protocol.schema import UnitSelection

GOOD = {
    "name": "tiny",
    "model": "resnet50-caffe",
    "layers": ["conv1", {"name": "layer1", "response": "pre_relu"}],
    "stimuli": ["gratings_osp_quick"],
}


def _with(**changes):
    data = dict(GOOD)
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


def test_good_protocol_parses_with_defaults():
    p = parse_protocol(GOOD)
    assert [layer.name for layer in p.layers] == ["conv1", "layer1"]
    assert p.layers[0].response == "post_relu" and p.layers[1].response == "pre_relu"
    assert p.stimuli[0].file == "gratings_osp_quick"
    assert p.ppd == 28.0 and p.device == "auto" and p.units.mode == "all"


# Each malformed protocol: (change, words the one-line message must contain)
MALFORMED = [
    (dict(layer=["conv1"]), ["unknown key 'layer'", "did you mean 'layers'"]),
    (dict(layers="conv1"), ["'layers'", "list"]),
    (dict(layers=[{"name": "conv1", "response": "postrelu"}]), ["'layers.0.response'", "post_relu"]),
    (dict(seed="abc"), ["'seed'", "integer"]),
    (dict(ppd=-3), ["'ppd'", "greater than 0"]),
    (dict(layers=[]), ["'layers'", "at least 1"]),
    (dict(stimuli=None), ["'stimuli'", "required"]),
    (dict(units={"mode": "range", "start": 5, "stop": 2}), ["'units'", "start < stop"]),
    (dict(output={"batch_size": 0}), ["'output.batch_size'", "greater than or equal to 1"]),
    (dict(output={"max_memory": "2 parsecs"}), ["'output.max_memory'", "byte unit: parsecs"]),
    (dict(output={"fromats": ["csv"]}), ["unknown key 'output.fromats'", "did you mean 'formats'"]),
    (dict(device="gpu"), ["'device'", "'cuda'"]),
    (dict(name="my run"), ["'name'", "pattern"]),
    (dict(layers=["conv1", "conv1"]), ["listed twice", "conv1"]),
    (dict(stimuli=[{"file": "a", "inline": {"name": "b"}}]), ["'stimuli.0'", "exactly one"]),
]


@pytest.mark.parametrize("change, words", MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
def test_malformed_protocol_is_one_clear_line(tmp_path, capsys, change, words):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_with(**change)))
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    for word in words:
        assert word in message
    # and the command line reports it in one line with exit code 2
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("v1lab: error: ") and str(path) in err


def test_not_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ProtocolError, match=r"not valid YAML at line"):
        load_protocol(bad)
    with pytest.raises(ProtocolError, match="no such file"):
        load_protocol(tmp_path / "absent.yaml")
    lst = tmp_path / "list.yaml"
    lst.write_text("- a\n- b\n")
    with pytest.raises(ProtocolError, match="expected a mapping"):
        load_protocol(lst)


def test_overrides_set_nested_fields_without_touching_the_original():
    data = {"output": {"root": "runs"}, "layers": ["conv1"]}
    out = apply_overrides(data, {"output.batch_size": 8, "layers": ["layer1"], "units.mode": "all"})
    assert out == {"output": {"root": "runs", "batch_size": 8}, "layers": ["layer1"], "units": {"mode": "all"}}
    assert data == {"output": {"root": "runs"}, "layers": ["conv1"]}
    with pytest.raises(ProtocolError, match="--set name.x"):
        apply_overrides({"name": "a"}, {"name.x": 1})


def test_unit_selection_all_range_and_seeded_sample():
    assert UnitSelection().channels(4) == [0, 1, 2, 3]
    assert UnitSelection(mode="range", start=2, stop=5).channels(8) == [2, 3, 4]
    a = UnitSelection(mode="sample", sample=5, seed=3).channels(64)
    assert a == UnitSelection(mode="sample", sample=5, seed=3).channels(64)
    assert len(set(a)) == 5 and a == sorted(a) and all(0 <= c < 64 for c in a)
    assert a != UnitSelection(mode="sample", sample=5, seed=4).channels(64)
    with pytest.raises(ProtocolError, match="beyond the layer's 8 channels"):
        UnitSelection(mode="range", start=0, stop=9).channels(8)


def test_layers_option_takes_module_and_label():
    from argparse import Namespace

    from v1lab.cli.run_cmd import overrides_from_args

    args = Namespace(sets=["output.batch_size=8"], model=None, layers="relu=conv1, layer1", device=None,
                     max_memory="1.5GiB")
    assert overrides_from_args(args) == {"output.batch_size": 8, "output.max_memory": "1.5GiB",
                                         "layers": [{"name": "relu", "label": "conv1"}, "layer1"]}


def test_docs_list_every_protocol_key_read_off_the_schema():
    from v1lab.protocol.keys import protocol_keys, protocol_keys_markdown

    text = (Path(__file__).resolve().parents[2] / "docs" / "protocols.md").read_text(encoding="utf-8")
    assert protocol_keys_markdown() in text, "docs/protocols.md is stale: run `python scripts/generate_docs.py`"
    keys = [row[0] for row in protocol_keys()]
    assert {"lesion.n_random", "preferred_stimuli.layers", "analyses.roles.size_sweep", "output.formats",
            "analyses.criteria.simple_modulation_ratio", "lesion.thresholds.filter_norm", "layers[].label"} <= set(keys)
    assert all(row[3] for row in protocol_keys()), "every key has a description"
