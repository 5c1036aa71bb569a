import pytest
import torch
from torch import nn

from v1lab.errors import LayerError, ReceptiveFieldError
from v1lab.recording import analytic_receptive_field, empirical_receptive_field, receptive_field

from recording_nets import ConstantPadConv, make_resnet


def _chain():
    # conv k3 s1 p1 -> conv k3 s2 p1 -> maxpool k2 s2: by Araujo et al. (2019) eq. 2,
    # r = 1 + 2*1 + 2*1 + 1*2 = 7, jump 1*1*2*2 = 4, start a = 0 - 1*1 - 1*1 - 0*2 = -2.
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, 1, 1), nn.ReLU(), nn.Conv2d(4, 4, 3, 2, 1), nn.BatchNorm2d(4),
                         nn.ReLU(), nn.MaxPool2d(2, 2)).eval()


class Branchy(nn.Module):
    """cat([small, large]) + add(small, large): a union that takes only the first input would be wrong."""

    def __init__(self):
        super().__init__()
        self.point = nn.Conv2d(3, 2, 1)
        self.dilated = nn.Conv2d(3, 2, 3, padding="same", dilation=3)  # covers [-3, 3]
        self.down = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.skip = nn.AvgPool2d(2, stride=2)
        self.skip_proj = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        y = torch.cat([self.point(x), self.dilated(x)], dim=1)
        return self.skip_proj(self.skip(x)) + self.down(y)


def _clipped_centre_span(rf):
    y0, y1, x0, x1 = rf.span(*rf.centre_index)
    h, w = rf.input_shape
    return (max(y0, 0), min(y1, h), max(x0, 0), min(x1, w))


def test_chain_matches_the_closed_form():
    rf = analytic_receptive_field(_chain(), "5", (32, 32))
    assert (rf.size, rf.jump, rf.start, rf.map_shape, rf.method) == ((7, 7), (4, 4), (-2, -2), (8, 8), "analytic")
    assert rf.span(2, 3) == (6, 13, 10, 17)
    assert rf.centre(2, 3) == (9.0, 13.0)


def test_branches_are_united_dilation_and_same_padding_are_read():
    torch.manual_seed(0)
    net = Branchy().eval()
    rf = analytic_receptive_field(net, "down", (24, 24))
    # dilated 'same': [-3, 3]; down k3 s2 p1 on top: a = -3 - 1 = -4, b = 3 + (2 - 1) = 4
    assert (rf.size, rf.jump, rf.start) == ((9, 9), (2, 2), (-4, -4))
    whole = analytic_receptive_field(net, "skip_proj", (24, 24))
    assert (whole.size, whole.start) == ((2, 2), (0, 0))
    emp = empirical_receptive_field(net, "down", (24, 24))
    assert _clipped_centre_span(emp) == _clipped_centre_span(rf)


@pytest.mark.parametrize("variant", ["v1.5", "v1"])
def test_resnet50_analytic_equals_gradient_support(variant):
    net = make_resnet(variant)
    # input sizes keep the centre unit's field (nearly) inside the image, so the comparison is not
    # dominated by clipping; the gradient support is an independent measurement of the same set
    for layer, size in [("conv1", 64), ("maxpool", 64), ("layer1.0", 64), ("layer1", 64), ("layer2.0", 64),
                        ("layer2", 96)]:
        rf = analytic_receptive_field(net, layer, (size, size))
        emp = empirical_receptive_field(net, layer, (size, size), seed=3)
        assert rf.jump == emp.jump and rf.map_shape == emp.map_shape, layer
        assert _clipped_centre_span(rf) == _clipped_centre_span(emp), layer
        shapes = []
        handle = net.get_submodule(layer).register_forward_hook(lambda m, i, o: shapes.append(o.shape[-2:]))
        with torch.no_grad():
            net(torch.zeros(1, 3, size, size))
        handle.remove()
        assert tuple(shapes[0]) == rf.map_shape, layer


def test_torchvision_resnet50_sizes_match_an_independent_table():
    # samson-wang, "ResNet Receptive Field Size" (GitHub gist a6073c18f2adf16e0ab5fb95b53db3e6): torchvision
    # ResNet-50 with the stride on the 3x3 conv: conv1 7, maxpool 11, layer1 35, layer2 91, layer3 267, layer4 427.
    net = make_resnet("v1.5")
    table = {"conv1": 7, "maxpool": 11, "layer1": 35, "layer2": 91, "layer3": 267, "layer4": 427}
    got = {k: analytic_receptive_field(net, k).size[0] for k in table}
    assert got == table


def test_the_v1_stride_layout_changes_the_field():
    # stride moved from the 3x3 to the preceding 1x1: the 3x3 of layer2.0 works on the coarse grid,
    # so its kernel spans 2 x 4 px more: 43 + 8 = 51 (layer2.0 of v1.5 is 43)
    assert analytic_receptive_field(make_resnet("v1.5"), "layer2.0").size == (43, 43)
    assert analytic_receptive_field(make_resnet("v1"), "layer2.0").size == (51, 51)


def test_unreadable_modules_fall_back_to_the_empirical_field():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.Upsample(scale_factor=2), nn.Conv2d(2, 2, 3, padding=1))
    with pytest.raises(ReceptiveFieldError, match="Upsample"):
        analytic_receptive_field(net, "2", (16, 16))
    rf = receptive_field(net, "2", (16, 16))
    # centre unit 16 of 32: upsampled rows 15..17 come from conv rows 7..8, which see input rows 6..9
    assert rf.method == "empirical" and rf.map_shape == (32, 32)
    assert rf.span(*rf.centre_index) == (6, 10, 6, 10)


def test_layers_that_run_more_than_once_are_refused():
    with pytest.raises(LayerError, match=r"'layer1.0.relu' runs 3 times"):
        analytic_receptive_field(make_resnet("v1.5"), "layer1.0.relu")

    class Twice(nn.Module):  # data-dependent control flow: torch.fx cannot trace it
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3, padding=1)

        def forward(self, x):
            y = self.conv(x)
            return self.conv(y) if y.sum() > 0 else self.conv(-y)

    with pytest.raises(LayerError, match="more than once"):
        receptive_field(Twice().eval(), "conv", (8, 8))


@pytest.mark.parametrize(("size", "padding", "n_out"), [(9, 0, 4), (10, 0, 4), (9, 1, 4), (7, 1, 3), (8, 1, 4)])
def test_ceil_mode_pooling_follows_pytorchs_output_size(size, padding, n_out):
    # conv k3 -> size - 2; pool k2 s2 rounding up (7 -> 4, not 3; 8 -> 4), less a last window that would
    # start on the right padding (7 + 1 + 1 -> 4, not 5; 5 + 1 + 1 -> 3, not 4), but not one that starts on
    # the last pixel (6 + 1 + 1 -> 4: the fourth window starts at 3 * 2 - 1 = 5)
    torch.manual_seed(0)
    # average pooling: its gradient reaches the whole window (a max-pooling's only its maximum)
    net = nn.Sequential(nn.Conv2d(3, 2, 3), nn.AvgPool2d(2, 2, padding=padding, ceil_mode=True)).eval()
    rf = analytic_receptive_field(net, "1", (size, size))
    with torch.no_grad():
        assert rf.map_shape == (n_out, n_out) == tuple(net(torch.zeros(1, 3, size, size)).shape[-2:])
    assert (rf.size, rf.jump, rf.start) == ((4, 4), (2, 2), (-padding, -padding))
    emp = empirical_receptive_field(net, "1", (size, size))
    assert _clipped_centre_span(emp) == _clipped_centre_span(rf)


def test_zero_pad_modules_shift_the_field_and_grow_the_map():
    # x: TF "same" for k3 s2 on an even input pads (0, 1): 8 units, unit i sees pixels 2i..2i+2;
    # y: pads (2, 3) give (16 + 5 - 3) // 2 + 1 = 10 units, unit i sees 2i - 2..2i
    torch.manual_seed(0)
    net = nn.Sequential(nn.ZeroPad2d((0, 1, 2, 3)), nn.Conv2d(3, 2, 3, stride=2)).eval()
    rf = analytic_receptive_field(net, "1", (16, 16))
    assert (rf.size, rf.jump, rf.start, rf.map_shape) == ((3, 3), (2, 2), (-2, 0), (10, 8))
    emp = empirical_receptive_field(net, "1", (16, 16))
    assert emp.span(*emp.centre_index) == rf.span(*rf.centre_index)


def test_conv_subclasses_are_read_by_their_geometry():
    torch.manual_seed(0)
    net = nn.Sequential(ConstantPadConv(3, 4, 5, stride=2, padding=2), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1)).eval()
    rf = analytic_receptive_field(net, "2", (32, 32))
    assert (rf.size, rf.jump, rf.start) == ((9, 9), (2, 2), (-4, -4))  # 5 + 2*2; a = -2 - 1*2
    emp = empirical_receptive_field(net, "2", (32, 32))
    assert emp.span(*emp.centre_index) == rf.span(*rf.centre_index)
