"""The receptive-field rules on tiny hand-built networks: each axis computed by hand (Araujo, Norris & Sim 2019,
eqs. 2 and 9-11), with non-square kernels, different strides, paddings and dilations along y and x, merging paths,
operations that leave the field alone, and the one-line reasons a graph is refused."""

import logging
import operator

import pytest
import torch
from torch import nn

from v1lab.errors import LayerError, ReceptiveFieldError
from v1lab.recording import analytic_receptive_field, empirical_receptive_field, receptive_field


def _output_shape(net, shape, layer):
    shapes = []
    handle = net.get_submodule(layer).register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[-2:])))
    with torch.no_grad():
        net(torch.zeros(1, 3, *shape))
    handle.remove()
    return shapes[0]


def _same_then_strided():
    # y: k4 'same' pads (1, 2): [-1, 2]; then k1 s3: jump 3, field [-1, 2] (size 4)
    # x: k3 d2 'same' pads (2, 2): [-2, 2]; then k3 s2 p1: jump 2, a = -2 - 1, b = 2 + (2 - 1) * 1 (size 7)
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 2, (4, 3), padding="same", dilation=(1, 2)),
                         nn.Conv2d(2, 2, (1, 3), stride=(3, 2), padding=(0, 1))).eval()


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
def test_even_same_padding_and_different_strides_per_axis():
    net = _same_then_strided()
    rf = analytic_receptive_field(net, "1", (13, 16))
    # maps: y (13 - 1) // 3 + 1 = 5, x (16 + 2 - 2 - 1) // 2 + 1 = 8
    assert (rf.size, rf.jump, rf.start, rf.map_shape) == ((4, 7), (3, 2), (-1, -3), (5, 8))
    assert all(type(v) is int for v in (*rf.size, *rf.jump, *rf.start, *rf.map_shape))
    assert rf.map_shape == _output_shape(net, (13, 16), "1")
    # unit (2, 3): rows 2*3 - 1 = 5 .. 8, columns 3*2 - 3 = 3 .. 9
    assert rf.span(2, 3) == (5, 9, 3, 10)
    assert rf.centre(2, 3) == (6.5, 6.0)
    emp = empirical_receptive_field(net, "1", (13, 16))
    assert emp.span(*emp.centre_index) == rf.span(*rf.centre_index) == (5, 9, 5, 12)


def test_valid_padding_and_dilated_max_pooling():
    # y: k3 s1 valid: [0, 2]; pool k2 s2: jump 2, b = 2 + 1 (size 4)
    # x: k5 s3 valid: [0, 4], jump 3; pool k3 s1 d2 (span 4): b = 4 + 4 * 3 (size 17)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 2, (3, 5), stride=(1, 3), padding="valid"),
                        nn.MaxPool2d((2, 3), stride=(2, 1), dilation=(1, 2))).eval()
    rf = analytic_receptive_field(net, "1", (21, 31))
    # maps: conv y 19, x (31 - 5) // 3 + 1 = 9; pool y (19 - 2) // 2 + 1 = 9, x 9 - 4 = 5
    assert (rf.size, rf.jump, rf.start, rf.map_shape) == ((4, 17), (2, 3), (0, 0), (9, 5))
    assert rf.map_shape == _output_shape(net, (21, 31), "1")


def test_pooling_without_a_stride_steps_by_its_kernel():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 2, 1), nn.AvgPool2d((3, 2))).eval()
    rf = analytic_receptive_field(net, "1", (12, 9))
    assert (rf.size, rf.jump, rf.start, rf.map_shape) == ((3, 2), (3, 2), (0, 0), (4, 4))
    assert rf.map_shape == _output_shape(net, (12, 9), "1")


class Merge(nn.Module):
    """Paths through functions, methods and a parameter that merge: the field is the union of a 1 x 5 and a
    3 x 1 kernel, rows [-1, 1] and columns [-2, 2]."""

    def __init__(self):
        super().__init__()
        self.wide = nn.Conv2d(3, 2, (1, 5), padding=(0, 2))
        self.tall = nn.Conv2d(3, 2, (3, 1), padding=(1, 0))
        self.mix = nn.Conv2d(4, 2, 1)
        self.scale = nn.Parameter(torch.full((1, 2, 1, 1), 0.5))
        self.out = nn.Conv2d(2, 2, 1)

    def forward(self, x):
        wide = torch.tanh(self.wide(x))                          # a function of one map
        both = torch.cat([wide, self.tall(x).sigmoid()], 1)      # a method; the channel axis given by position
        mixed = self.mix(both) * self.scale                      # a parameter (get_attr) is no feature map
        return self.out(mixed.add(wide).contiguous())


def test_functions_methods_and_parameters_leave_the_union_of_the_paths():
    torch.manual_seed(0)
    net = Merge().eval()
    rf = analytic_receptive_field(net, "out", (9, 12))
    assert (rf.size, rf.jump, rf.start, rf.map_shape) == ((3, 5), (1, 1), (-1, -2), (9, 12))
    emp = empirical_receptive_field(net, "out", (9, 12))
    assert emp.span(*emp.centre_index) == rf.span(*rf.centre_index) == (3, 6, 4, 9)


class Refused(nn.Module):
    """One network per reason the graph is not read: ``kind`` picks the forward pass."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.conv = nn.Conv2d(3, 2, 3, padding=1)
        self.down = nn.Conv2d(3, 2, 3, stride=2, padding=1)
        self.sim = nn.CosineSimilarity(dim=1)
        self.out = nn.Conv2d(2, 2, 1)

    def forward(self, x):
        a = self.conv(x)
        if self.kind == "two maps":
            return self.out(self.sim(a, a).unsqueeze(1))
        if self.kind == "cat along y":
            return self.out(torch.cat([a, a], dim=2))
        if self.kind == "cat by default":
            return self.out(torch.cat([a, a]))
        if self.kind == "index":
            return self.out(a[:, :2])
        if self.kind == "transpose":
            return self.out(a.transpose(2, 3))
        return self.out(a + self.down(x))


@pytest.mark.parametrize("kind, layer, message", [
    ("two maps", "sim", "module 'sim' takes 2 feature maps; expected 1"),
    ("cat along y", "out", "torch.cat along dim 2"),
    ("cat by default", "out", "torch.cat along dim 0"),
    ("index", "out", f"call_function {operator.getitem}"),
    ("transpose", "out", "call_method transpose"),
    ("strides differ", "out", "merging maps of different size or jump"),
])
def test_operations_not_understood_are_refused_with_their_reason(kind, layer, message):
    with pytest.raises(ReceptiveFieldError) as info:
        analytic_receptive_field(Refused(kind).eval(), layer, (16, 16))
    assert str(info.value) == message


@pytest.mark.parametrize("module, message", [
    (nn.Sequential(nn.Conv2d(3, 2, 3), nn.BatchNorm2d(2).train()), "batch norm in training mode mixes the whole batch"),
    (nn.Sequential(nn.Conv2d(3, 2, 3, padding=1, padding_mode="reflect"), nn.ReLU()), "padding_mode='reflect'"),
])
def test_modules_not_understood_are_refused_with_their_reason(module, message):
    with pytest.raises(ReceptiveFieldError) as info:
        analytic_receptive_field(module, "1", (16, 16))
    assert str(info.value) == message


class Untraceable(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return self.conv(x) if x.sum() > 0 else x


class Twice(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return self.conv(self.conv(x))


class Pair(nn.Module):
    def forward(self, x):
        return x, -x


class PairNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.pair = Pair()

    def forward(self, x):
        a, b = self.pair(x)
        return a + b


def test_graphs_that_cannot_be_read_say_why():
    with pytest.raises(ReceptiveFieldError) as info:
        analytic_receptive_field(Untraceable(), "conv", (8, 8))
    assert str(info.value).startswith("torch.fx cannot trace Untraceable: ")
    with pytest.raises(LayerError) as info:
        analytic_receptive_field(Twice(), "conv", (8, 8))
    assert str(info.value) == ("layer 'conv' runs 2 times per forward pass; expected exactly once (record its parent "
                               "block or a module that runs once)")
    with pytest.raises(ReceptiveFieldError) as info:
        analytic_receptive_field(PairNet(), "pair", (8, 8))
    assert str(info.value) == "layer 'pair' does not return a tensor"


def test_receptive_field_reads_the_graph_at_the_given_input_size():
    rf = receptive_field(_same_then_strided(), "1", (13, 16))
    assert (rf.method, rf.map_shape, rf.input_shape) == ("analytic", (5, 8), (13, 16))


def test_the_fallback_is_logged_and_measured_on_the_given_device(caplog, monkeypatch):
    from v1lab.recording import empirical_rf

    asked = []

    def measured(module, layer, input_shape, *, device="cpu"):
        asked.append((layer, input_shape, device))
        return "measured"

    monkeypatch.setattr(empirical_rf, "empirical_receptive_field", measured)
    net = nn.Sequential(nn.Conv2d(3, 2, 3), nn.Upsample(scale_factor=2))
    with caplog.at_level(logging.INFO, logger="v1lab.recording.receptive_field"):
        assert receptive_field(net, "1", (10, 12), device="meta") == "measured"
    assert asked == [("1", (10, 12), "meta")]
    assert [r.getMessage() for r in caplog.records] == ["receptive field of '1' measured empirically: Upsample"]
