"""python:file.py:factory and checkpoint:file.pth?arch=...: loading, preprocessing, and every failure."""

import pytest
import torch
import torchvision.models as tvm

from v1lab.errors import ModelError
from v1lab.models import IMAGENET_PREPROCESSING, load_model
from v1lab.models.keras_resnet import build_resnet50_v1
from v1lab.models.weights_cache import sha256_file

FACTORY = '''
import torch
from torch import nn

PREPROCESSING = {"mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25), "input_size": 32, "resize_size": 36}

def build():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))

def not_a_module():
    return 42

def broken():
    raise KeyError("weights")
'''


@pytest.fixture
def factory_file(tmp_path):
    path = tmp_path / "my_model.py"
    path.write_text(FACTORY)
    return path


def test_python_factory_loads_in_eval_mode_with_its_preprocessing(factory_file):
    model = load_model(f"python:{factory_file}:build")
    assert not model.module.training and model.weights_sha256 is None
    assert model.preprocessing.mean == (0.5, 0.5, 0.5) and model.preprocessing.input_size == 32
    with torch.inference_mode():
        assert model.module(model.preprocessing.normalize(torch.rand(2, 3, 32, 32))).shape == (2, 10)
    assert model.name == "python:my_model.py:build"


def test_python_factory_without_preprocessing_gets_imagenet(tmp_path):
    path = tmp_path / "plain.py"
    path.write_text("from torch import nn\ndef make():\n    return nn.Identity()\n")
    assert load_model(f"python:{path}:make").preprocessing == IMAGENET_PREPROCESSING


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        ("missing", r"my_model\.py: no factory 'missing'; expected .*callables found: broken, build, not_a_module"),
        ("not_a_module", r"not_a_module\(\) returned int; expected an nn.Module"),
        ("broken", r"broken\(\) raised KeyError: 'weights'"),
    ],
)
def test_python_factory_errors(factory_file, factory, match):
    with pytest.raises(ModelError, match=match):
        load_model(f"python:{factory_file}:{factory}")


def test_python_file_missing(tmp_path):
    with pytest.raises(ModelError, match=r"file .*nowhere\.py does not exist"):
        load_model(f"python:{tmp_path / 'nowhere.py'}:build")


def test_python_file_raising_on_import_names_file_and_exception(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import torch\nx = 1 / 0\n")
    with pytest.raises(ModelError, match=r"bad\.py: import failed \(ZeroDivisionError: division by zero\)"):
        load_model(f"python:{path}:build")


@pytest.mark.parametrize("wrap", ["plain", "state_dict", "module_prefix"])
def test_checkpoint_loads_state_dict_forms(tmp_path, wrap):
    torch.manual_seed(1)
    state = tvm.resnet18(weights=None).state_dict()
    saved = {"plain": state, "state_dict": {"state_dict": state, "epoch": 3},
             "module_prefix": {f"module.{k}": v for k, v in state.items()}}[wrap]
    path = tmp_path / "ckpt.pth"
    torch.save(saved, path)
    model = load_model(f"checkpoint:{path}?arch=torchvision/resnet18")
    for key, value in model.module.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert model.weights_sha256 == sha256_file(path) and not model.module.training


def test_checkpoint_into_resnet50_caffe_architecture(tmp_path):
    torch.manual_seed(2)
    state = build_resnet50_v1().state_dict()
    path = tmp_path / "v1.pth"
    torch.save(state, path)
    model = load_model(f"checkpoint:{path}?arch=resnet50-caffe")
    assert torch.equal(model.module.conv1.weight, state["conv1.weight"])
    assert model.module.layer2[0].conv1.stride == (2, 2)


def test_checkpoint_with_mismatched_keys(tmp_path):
    path = tmp_path / "r18.pth"
    torch.save(tvm.resnet18(weights=None).state_dict(), path)
    with pytest.raises(ModelError, match=r"r18\.pth: keys do not match arch torchvision/resnet34: \d+ missing "
                                         r"\(e\.g\. \['layer1\.2"):
        load_model(f"checkpoint:{path}?arch=torchvision/resnet34")


def test_checkpoint_with_wrong_shapes(tmp_path):
    path = tmp_path / "r18.pth"
    state = tvm.resnet18(weights=None).state_dict()
    state["fc.weight"] = torch.zeros(10, 512)
    torch.save(state, path)
    with pytest.raises(ModelError, match=r"1 with other shapes \(e\.g\. \['fc\.weight'\]\)"):
        load_model(f"checkpoint:{path}?arch=torchvision/resnet18")


class _Payload:
    """An arbitrary object: weights_only loading must refuse to unpickle it."""


def test_checkpoint_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": _Payload()}, path)
    with pytest.raises(ModelError, match=r"evil\.pth: cannot be read with torch\.load\(weights_only=True\)"):
        load_model(f"checkpoint:{path}?arch=torchvision/resnet18")


def test_checkpoint_missing_file_and_bad_arch(tmp_path):
    with pytest.raises(ModelError, match=r"checkpoint .*none\.pth does not exist"):
        load_model(f"checkpoint:{tmp_path / 'none.pth'}?arch=torchvision/resnet18")
    path = tmp_path / "x.pth"
    torch.save({}, path)
    with pytest.raises(ModelError, match="checkpoint arch 'python:x.py:f'; expected torchvision/<name>"):
        load_model(f"checkpoint:{path}?arch=python:x.py:f")
