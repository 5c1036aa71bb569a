"""resnet18-plain / resnet34-plain: torchvision's ResNets without shortcuts, loaded from a user's checkpoint."""

import pytest
import torch
import torch.nn.functional as F
import torchvision.models as tvm

from v1lab.errors import ModelError, WeightsUnavailableError
from v1lab.models import IMAGENET_PREPROCESSING, fetch_model, list_models, load_model
from v1lab.models.plain_resnet import build_plain_resnet
from v1lab.models.weights_cache import sha256_file


@pytest.mark.parametrize("depth", [18, 34])
def test_plain_nets_are_the_resnets_less_every_shortcut(depth):
    plain = build_plain_resnet(depth).state_dict()
    residual = getattr(tvm, f"resnet{depth}")(weights=None).state_dict()
    assert not [k for k in plain if "downsample" in k]
    assert set(plain) == {k for k in residual if "downsample" not in k}
    assert all(plain[k].shape == residual[k].shape for k in plain)


def test_a_plain_block_computes_relu_bn_conv_twice_without_adding_its_input():
    torch.manual_seed(0)
    net = build_plain_resnet(18)
    block = net.layer2[0]  # stride 2, 64 -> 128: torchvision would project the input here
    x = torch.randn(2, 64, 16, 16)
    with torch.no_grad():
        want = F.relu(block.bn2(block.conv2(F.relu(block.bn1(block.conv1(x))))))
        assert torch.equal(block(x), want)
        assert net(torch.randn(1, 3, 64, 64)).shape == (1, 1000)


def _checkpoint(tmp_path, module, name="plain.pth", seed=3):
    torch.manual_seed(seed)
    for p in module.parameters():
        torch.nn.init.normal_(p, std=0.05)
    path = tmp_path / name
    torch.save(module.state_dict(), path)
    return path, module.eval()


@pytest.mark.parametrize("depth", [18, 34])
def test_checkpoint_loads_into_the_plain_architecture(tmp_path, depth):
    path, trained = _checkpoint(tmp_path, build_plain_resnet(depth))
    model = load_model(f"checkpoint:{path}?arch=resnet{depth}-plain")
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(model.module(x), trained(x), rtol=0, atol=0)
    assert model.preprocessing == IMAGENET_PREPROCESSING and model.weights_sha256 == sha256_file(path)
    assert model.meta["arch"] == f"resnet{depth}-plain" and not model.module.training


def test_a_resnet_checkpoint_with_shortcuts_is_refused_by_its_keys(tmp_path):
    path, _ = _checkpoint(tmp_path, tvm.resnet18(weights=None), name="r18.pth")  # 3 projections x 6 tensors
    with pytest.raises(ModelError, match=r"r18\.pth: keys do not match arch resnet18-plain: 18 unexpected \(e\.g\. "
                                         r"\['layer2\.0\.downsample\.0\.weight'") as info:
        load_model(f"checkpoint:{path}?arch=resnet18-plain")
    assert "\n" not in str(info.value)


def test_plain_nets_are_listed_without_weights_and_not_loadable_by_name(offline_home):
    infos = {i.spec: i for i in list_models()}
    for name in ("resnet18-plain", "resnet34-plain"):
        assert infos[name].weights_path is None and not infos[name].weights_present
        with pytest.raises(WeightsUnavailableError, match=f"{name} has no published weights; expected your own "
                                                          f"state_dict as checkpoint:PATH.pth\\?arch={name}"):
            load_model(name)
        with pytest.raises(WeightsUnavailableError, match=f"{name} has no published weights"):
            fetch_model(name)
