"""The Python API as a notebook uses it: a plain torch module, run_protocol, load_run, characterise in memory."""

from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

import v1lab
from v1lab.errors import ModelError, RunFolderError
from v1lab.units import COLUMNS, column

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def resnet18():
    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None)


@pytest.fixture(scope="module")
def run(resnet18, tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "run"
    return v1lab.run_protocol(REPO / "protocols" / "quick.yaml", model=resnet18, layers=["relu=conv1"], out=out,
                              device="cpu", progress=False)


def test_a_plain_module_runs_the_quick_protocol_and_the_run_reopens(run):
    assert isinstance(run, v1lab.Run) and run.status == "complete" and run.layers == ["conv1"]
    again = v1lab.load_run(run.path)
    units = again.units
    assert len(units) == 64 and set(units["layer"]) == {"conv1"} and (units["model"] == "module:ResNet").all()
    for name in units.columns:     # every column is described by the contract
        assert column(name).description
    assert list(units.columns) == [c.name for c in COLUMNS]
    assert again.manifest["model"] == "module:ResNet" and len(again.manifest["weights_sha256"]) == 64
    assert again.report_path is not None and not again.population.empty and "reference" in again.comparison


def test_one_responses_dataset_per_layer_with_unique_stimulus_ids(run):
    ds = v1lab.load_run(run.path).responses("conv1")
    ids = ds["stimulus_id"].values
    assert len(set(ids)) == len(ids) == ds.sizes["stimulus"]
    assert set(ds["set"].values) == {"gratings_osp_quick", "isoluminant_osp_quick", "color_fields_quick",
                                     "cone_isolating_fields", "cone_tuning"}
    assert ds.attrs["layer"] == "conv1" and ds.attrs["module"] == "relu" and ds.attrs["model"] == "module:ResNet"
    assert ds.attrs["rf_size_px"].tolist() == [7, 7] and ds.attrs["rf_size_deg"].tolist() == [0.25, 0.25]
    assert ds.sel(stimulus_id="color_fields_quick/0")["set"].item() == "color_fields_quick"
    assert ds["responses"].dims == ("unit", "stimulus") and ds["blank"].dims == ("unit",)
    with pytest.raises(RunFolderError, match="no layer 'layer9'"):
        v1lab.load_run(run.path).responses("layer9")


def test_characterise_in_memory_equals_the_run(run, resnet18, monkeypatch):
    monkeypatch.chdir(REPO)
    units, ds = v1lab.characterise(resnet18, "relu=conv1", ["gratings_osp_quick", "isoluminant_osp_quick",
                                                            "color_fields_quick"])
    stored = v1lab.load_run(run.path).units
    for name in ("circular_variance", "peak_sf_cpd", "chromatic_ratio", "modulation_ratio"):
        np.testing.assert_allclose(units[name], stored[name], rtol=1e-6, equal_nan=True)
    for name in ("orientation_selective", "simple", "color_class", "chromatic_sf_shape"):
        assert units[name].tolist() == stored[name].tolist(), name
    assert units["cone_opponency"].isna().all()      # no cone sets given here: no cone weights
    assert ds.attrs["layer"] == "conv1" and ds.sizes["stimulus"] == 392


def test_roles_are_inferred_only_when_unambiguous(resnet18, monkeypatch):
    from v1lab.characterisation.in_memory import infer_roles
    from v1lab.stimuli import load_stimulus_set

    monkeypatch.chdir(REPO)
    sets = [load_stimulus_set(f"stimuli/{n}.yaml") for n in ("gratings_osp_quick", "isoluminant_osp_quick",
                                                              "color_fields_quick", "size_sweep", "contrast_sweep")]
    roles = infer_roles(sets).named()
    assert roles == {"luminance_gratings": "gratings_osp_quick", "chromatic_gratings": "isoluminant_osp_quick",
                     "uniform_fields": "color_fields_quick", "size_sweep": "size_sweep",
                     "contrast_sweep": "contrast_sweep"}
    with pytest.raises(ValueError, match="could each be the luminance_gratings"):
        infer_roles(sets + [load_stimulus_set("stimuli/gratings_osp.yaml")])


def test_a_run_leaves_the_callers_random_state_alone(run, resnet18, tmp_path):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    v1lab.run_protocol(REPO / "protocols" / "quick.yaml", model=resnet18, layers=["relu=conv1"], device="cpu",
                       out=tmp_path / "again", progress=False, overrides={"output.report": False,
                                                                           "analyses.fits": False})
    assert torch.equal(torch.rand(3), expected)


def test_load_model_takes_a_module_and_refuses_its_record_as_a_spec(resnet18):
    loaded = v1lab.load_model(resnet18)
    assert loaded.spec == "module:ResNet" and loaded.preprocessing.input_size == 224 and not loaded.module.training
    with pytest.raises(ModelError, match="pass the module itself"):
        v1lab.load_model("module:ResNet")


def test_resuming_with_other_weights_is_refused(run, tmp_path):
    torch.manual_seed(1)
    other = torchvision.models.resnet18(weights=None)
    with pytest.raises(RunFolderError, match="weights differ"):
        v1lab.run_protocol(REPO / "protocols" / "quick.yaml", model=other, layers=["relu=conv1"], device="cpu",
                           resume=run.path, progress=False)


def test_import_is_quick_and_names_are_curated():
    import subprocess
    import sys

    code = "import sys, v1lab; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    assert set(v1lab.__all__) == {"__version__", "Run", "characterise", "load_model", "load_run", "run_protocol"}
