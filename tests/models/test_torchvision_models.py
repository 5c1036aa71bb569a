"""torchvision/<name>: weights found in torchvision's own cache (files made here), clear errors otherwise."""

import urllib.error

import pytest
import torch
import torch.hub
import torchvision.models as tvm

from v1lab.errors import ModelError, WeightsUnavailableError
from v1lab.models import list_models, load_model
from v1lab.models.weights_cache import sha256_file


def _plant(offline_home, file_name, builder, seed=0):
    """Save a randomly initialised state_dict where torchvision expects the named weights file."""
    folder = offline_home / "torch" / "hub" / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    state = builder(weights=None).state_dict()
    torch.save(state, folder / file_name)
    return folder / file_name, state


def test_missing_weights_offline_names_file_and_folder(offline_home):
    folder = offline_home / "torch" / "hub" / "checkpoints"
    with pytest.raises(WeightsUnavailableError) as info:
        load_model("torchvision/resnet18")
    message = str(info.value)
    assert "resnet18-f37072fd.pth" in message and str(folder) in message and "V1LAB_OFFLINE" in message
    assert "\n" not in message


def test_download_failure_names_file_and_folder(offline_home, monkeypatch):
    monkeypatch.delenv("V1LAB_OFFLINE")

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    with pytest.raises(WeightsUnavailableError, match=r"download failed .*resnet34-b627a593\.pth in "):
        load_model("torchvision/resnet34")


def test_loads_planted_default_weights(offline_home):
    path, state = _plant(offline_home, "resnet18-f37072fd.pth", tvm.resnet18)
    rng_before = torch.random.get_rng_state()
    model = load_model("torchvision/resnet18")
    assert torch.equal(torch.random.get_rng_state(), rng_before)  # building did not consume global RNG
    assert model.name == "torchvision/resnet18" and not model.module.training
    for key, value in model.module.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert model.weights_sha256 == sha256_file(path)
    assert model.meta["sha256_matches_file_name"] is False  # a made file, not torchvision's
    assert model.meta["published_accuracy"] == {"top1": pytest.approx(0.69758), "top5": pytest.approx(0.89078)}
    assert (model.preprocessing.input_size, model.preprocessing.resize_size) == (224, 256)
    assert next(p for p in list_models() if p.spec == "torchvision/resnet18").weights_present


def test_weights_selection_picks_the_enum_member(offline_home):
    with pytest.raises(WeightsUnavailableError, match=r"resnet50-0676ba61\.pth"):
        load_model("torchvision/resnet50?weights=IMAGENET1K_V1")
    with pytest.raises(WeightsUnavailableError, match=r"resnet50-11ad3fa6\.pth"):  # DEFAULT is V2
        load_model("torchvision/resnet50")
    _plant(offline_home, "resnet50-0676ba61.pth", tvm.resnet50)
    model = load_model("torchvision/resnet50?weights=IMAGENET1K_V1")
    assert model.meta["weights"] == "ResNet50_Weights.IMAGENET1K_V1"
    assert model.preprocessing.resize_size == 256  # V2 weights use 232


def test_unknown_weights_member_lists_choices(offline_home):
    with pytest.raises(ModelError, match="weights='IMAGENET1K_V9'; expected one of DEFAULT, IMAGENET1K_V1"):
        load_model("torchvision/resnet18?weights=IMAGENET1K_V9")


@pytest.mark.parametrize(("spec", "suggestion"), [("torchvision/resnet51", "torchvision/resnet50"),
                                                  ("resnet50-cafe", "resnet50-caffe"),
                                                  ("torchvision/resnet-18", "torchvision/resnet18")])
def test_unknown_model_suggests_close_matches(offline_home, spec, suggestion):
    with pytest.raises(ModelError, match=f"unknown model .*did you mean {suggestion}"):
        load_model(spec)


def test_unknown_model_without_close_match(offline_home):
    with pytest.raises(ModelError, match="unknown model 'zzzz'; see `v1lab models`"):
        load_model("zzzz")


def test_corrupt_planted_file_is_a_model_error(offline_home):
    folder = offline_home / "torch" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "resnet18-f37072fd.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="resnet18-f37072fd.pth: cannot load weights"):
        load_model("torchvision/resnet18")
