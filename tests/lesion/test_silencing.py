"""Silencing: split forward equals the full network, hooks are always removed, weights never change."""

import pytest
import torch
from torchvision.models import resnet18

from v1lab.errors import LayerError
from v1lab.lesion import ChannelSilencer, find_silenced_module, silence, split_network


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    model = resnet18(weights=None, num_classes=10).eval()
    with torch.no_grad():  # non-trivial BN statistics so that silencing matters
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model


@pytest.fixture(scope="module")
def x():
    return torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("name", ["relu", "maxpool", "layer1", "layer2"])
def test_split_reproduces_the_network(net, x, name):
    split = split_network(net, name)
    assert split is not None
    with torch.no_grad():
        torch.testing.assert_close(split.tail(split.head(x)), net(x), rtol=0, atol=0)


def test_no_split_where_a_skip_connection_crosses(net):
    assert split_network(net, "layer1.0.conv1") is None


def test_split_lesion_equals_hooked_lesion(net, x):
    split = split_network(net, "relu")
    channels = [0, 5, 17]
    with torch.no_grad():
        via_split = split.tail(silence(split.head(x), channels))
        with ChannelSilencer(net.relu, channels):
            via_hook = net(x)
        unlesioned = net(x)
    torch.testing.assert_close(via_split, via_hook, rtol=0, atol=0)
    assert not torch.equal(via_hook, unlesioned)  # the lesion did something
    assert not net.relu._forward_hooks


def test_silence_sets_channels_to_fill_and_copies():
    h = torch.rand(2, 4, 3, 3) + 1
    out = silence(h, [1, 3], torch.tensor([9.0, 8.0, 7.0, 6.0]))
    assert (out[:, 1] == 8).all() and (out[:, 3] == 6).all()
    assert torch.equal(out[:, [0, 2]], h[:, [0, 2]])
    assert (h >= 1).all() and (h < 2).all()  # input untouched
    assert (silence(h, [2])[:, 2] == 0).all()


def test_hook_removed_on_error_and_weights_unchanged(net, x):
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with pytest.raises(RuntimeError, match="boom"):
        with ChannelSilencer(net.relu, [0]):
            net(x)
            raise RuntimeError("boom")
    assert not net.relu._forward_hooks
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())


def test_find_silenced_module(net, x):
    assert find_silenced_module(net, "conv1", x) == "relu"
    assert find_silenced_module(net, "layer1", x) == "layer1"
    with pytest.raises(LayerError, match="conv_1"):
        find_silenced_module(net, "conv_1", x)
