"""``v1lab preferred`` end to end on the planted network (a ``python:`` model spec)."""

import pandas as pd
import pytest

from v1lab.cli import main


@pytest.fixture
def factory(tmp_path):
    """A python: model file exposing the planted network."""
    path = tmp_path / "planted_factory.py"
    path.write_text("from preferred.planted_net import planted_model\n"
                    "_MODEL = planted_model()\nPREPROCESSING = _MODEL.preprocessing\n"
                    "def make():\n    return _MODEL.module\n")
    return path


def test_preferred_command_writes_tables_and_gallery(tmp_path, capsys, factory):
    out = tmp_path / "out"
    code = main(["preferred", "--model", f"python:{factory}:make", "--layer", "conv", "--steps", "60",
                 "--out", str(out), "--device", "cpu"])
    assert code == 0
    table = pd.read_csv(out / "preferred_stimuli_conv.csv")
    assert len(table) == 6 and set(table.reference) == {"filter weights (no units table given)"}
    assert table.orientation_agree[:5].astype(bool).all()
    agreement = pd.read_csv(out / "agreement_conv.csv")
    assert agreement.layer.tolist() == ["conv"]
    assert (out / "gallery_conv.png").stat().st_size > 1000
    assert (out / "preferred_images_conv.npz").exists()
    assert "preferred stimuli of layer conv" in capsys.readouterr().out


def test_units_table_without_the_layer_is_an_error(tmp_path, capsys, factory):
    table = tmp_path / "units.csv"
    pd.DataFrame({"layer": ["conv1"], "channel": [0], "orientation_selective": [True],
                  "preferred_orientation_deg": [0.0]}).to_csv(table, index=False)
    code = main(["preferred", "--model", f"python:{factory}:make", "--layer", "conv", "--steps", "2",
                 "--units-table", str(table), "--out", str(tmp_path / "out"), "--device", "cpu"])
    assert code == 2
    assert "no rows for layer 'conv'" in capsys.readouterr().err
