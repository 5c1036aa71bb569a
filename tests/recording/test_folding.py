"""Batch-norm folding: which pairs fold (traced, not named), the folded weights against the formula, and the
fallback when a folded copy would change the network's output."""

import torch
from torch import nn

from v1lab.recording import CentreUnitRecorder
from v1lab.recording._folding import fold_batch_norms


def _bn(channels, seed):
    gen = torch.Generator().manual_seed(seed)
    bn = nn.BatchNorm2d(channels, eps=1e-3)
    bn.weight.data = torch.rand(channels, generator=gen) + 0.5
    bn.bias.data = torch.randn(channels, generator=gen)
    bn.running_mean = torch.randn(channels, generator=gen)
    bn.running_var = torch.rand(channels, generator=gen) + 0.1
    return bn


class ConvBnRelu(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=True)
        self.bn = _bn(4, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class BranchingConv(ConvBnRelu):
    """The convolution's output feeds the batch norm *and* a skip: folding would change the skip."""

    def forward(self, x):
        y = self.conv(x)
        return self.relu(self.bn(y)) + y


class SharedConv(ConvBnRelu):
    """One convolution module called twice: only one of its calls is followed by the batch norm."""

    def forward(self, x):
        return self.relu(self.bn(self.conv(x))) + self.conv(x)


class NamedOutOfOrder(nn.Module):
    """Registered as conv_a, bn_a, conv_b, but the batch norm follows conv_b."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv_a = nn.Conv2d(3, 4, 3, padding=1)
        self.bn_a = _bn(4, 2)
        self.conv_b = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return self.bn_a(self.conv_b(self.conv_a(x)))


class TwoStages(nn.Module):
    """A foldable stage, then a stage whose convolution also feeds a skip (folding it changes the output)."""

    def __init__(self):
        super().__init__()
        self.first = ConvBnRelu()
        self.second = BranchingConv()
        self.second.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.second(self.first(x))


def _probe():
    return torch.randn(1, 3, 9, 9, generator=torch.Generator().manual_seed(5))


def test_folded_weights_follow_the_formula_and_outputs_agree():
    net = ConvBnRelu().eval()
    folded, n = fold_batch_norms(net, _probe())
    assert n == 1 and isinstance(folded.bn, nn.Identity) and isinstance(net.bn, nn.BatchNorm2d)  # a copy
    s = net.bn.weight / torch.sqrt(net.bn.running_var + net.bn.eps)
    torch.testing.assert_close(folded.conv.weight, net.conv.weight * s[:, None, None, None])
    torch.testing.assert_close(folded.conv.bias, (net.conv.bias - net.bn.running_mean) * s + net.bn.bias)
    x = torch.randn(8, 3, 9, 9, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        torch.testing.assert_close(folded(x), net(x), rtol=0, atol=1e-5)


def test_pairs_come_from_the_traced_pass_not_from_names():
    net = NamedOutOfOrder().eval()
    folded, n = fold_batch_norms(net, _probe())
    assert n == 1
    assert torch.equal(folded.conv_a.weight, net.conv_a.weight)  # registered before bn_a, not followed by it
    assert not torch.equal(folded.conv_b.weight, net.conv_b.weight)


def test_a_branching_or_shared_convolution_is_left_alone():
    for net in (BranchingConv().eval(), SharedConv().eval()):
        folded, n = fold_batch_norms(net, _probe())
        assert n == 0 and folded is net


def test_a_layer_stops_the_passes_there_and_only_earlier_pairs_are_folded():
    net = TwoStages().eval()
    folded, n = fold_batch_norms(net, _probe(), layer="first", response="post_relu")
    assert n == 1 and isinstance(folded.first.bn, nn.Identity)
    assert isinstance(folded.second.bn, nn.BatchNorm2d)                      # runs after the layer: left alone
    assert torch.equal(folded.second.conv.weight, net.second.conv.weight)
    # at the second stage the skip sees the folded convolution's output: the check fails, nothing is folded
    assert fold_batch_norms(net, _probe(), layer="second", response="output") == (net, 0)
    assert fold_batch_norms(net, _probe()) == (net, 0)


def test_training_mode_batch_norm_and_kept_convolutions_are_not_folded():
    net = ConvBnRelu().eval()
    assert fold_batch_norms(net, _probe(), keep=["conv"]) == (net, 0)
    net.bn.train()
    assert fold_batch_norms(net, _probe()) == (net, 0)


def test_recorder_on_a_folded_resnet_matches_the_unfolded_one(resnet_v1):
    x = torch.rand(4, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    # pairs that run before the layer, counted on ResNet-50: conv1/bn1; three in each bottleneck and one
    # downsample pair in the first block of each stage; a kept convolution's pair is not folded
    for layer, response, pairs in [("layer2", "post_relu", 1 + (3 * 3 + 1) + (4 * 3 + 1)),
                                   ("layer2.1", "residual", 1 + (3 * 3 + 1) + (3 + 1) + 3),
                                   ("layer1.0", "pre_relu", 1 + 3 + 1), ("layer1.0.bn1", "output", 2),
                                   ("layer1.0.conv1", "output", 1)]:
        folded = CentreUnitRecorder(resnet_v1, layer, response=response)
        plain = CentreUnitRecorder(resnet_v1, layer, response=response, fold_batch_norm=False)
        assert plain.folded_pairs == 0 and plain.module is resnet_v1.module
        assert folded.folded_pairs == pairs, layer
        a, b = folded.record(folded.crop(x)), plain.record(plain.crop(x))
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5 * float(b.abs().max()))
    assert isinstance(folded.module.get_submodule("layer1.0.conv1"), nn.Conv2d)
    assert isinstance(folded.module.get_submodule("layer1.0.bn1"), nn.BatchNorm2d)  # kept with its conv
