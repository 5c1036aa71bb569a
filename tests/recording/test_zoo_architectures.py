"""Receptive fields and the exact crop fast path through the zoo's other architectures (random weights).

SqueezeNet 1.1 (Fire modules: a channel concatenation of a 1x1 and a 3x3 branch; ceil-mode max-pooling),
EfficientNet-Lite0 (depthwise inverted residuals; TF "same" padding written as ``nn.ZeroPad2d``) and the
plain ResNets (no shortcuts). The analytic field is compared with the gradient support, the map shapes with
the real outputs, and the recorder's crop with the full image.
"""

from types import SimpleNamespace

import pytest
import torch
from recording_nets import randomise_batch_norm

from v1lab.models.registry import NAMED
from v1lab.recording import CentreUnitRecorder, analytic_receptive_field, empirical_receptive_field


def _net(name: str):
    return randomise_batch_norm(NAMED[name].random_module(), seed=1)


def _clipped_centre_span(rf):
    y0, y1, x0, x1 = rf.span(*rf.centre_index)
    h, w = rf.input_shape
    return (max(y0, 0), min(y1, h), max(x0, 0), min(x1, w))


def _output_shape(net, layer, size):
    shapes = []
    handle = net.get_submodule(layer).register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[-2:])))
    with torch.no_grad():
        net(torch.zeros(1, 3, size, size))
    handle.remove()
    return shapes[0]


# (model, layer, input size): intermediate layers, sizes that keep the centre unit's field (nearly) inside
FIELD_CASES = [
    ("squeezenet1.1", "features.4", 63), ("squeezenet1.1", "features.5", 63), ("squeezenet1.1", "features.7", 95),
    ("squeezenet1.1", "features.5", 64),  # an even size: the ceil-mode pooling adds a partial last window
    ("efficientnet-lite0", "blocks.1.0", 64), ("efficientnet-lite0", "blocks.2.0", 96),
    ("efficientnet-lite0", "blocks.2", 128),
    ("resnet18-plain", "layer1", 64), ("resnet18-plain", "layer2.0", 96), ("resnet34-plain", "layer1", 96),
]


@pytest.mark.parametrize(("name", "layer", "size"), FIELD_CASES)
def test_analytic_field_equals_gradient_support(name, layer, size):
    net = _net(name)
    rf = analytic_receptive_field(net, layer, (size, size))
    emp = empirical_receptive_field(net, layer, (size, size), seed=3)
    assert rf.method == "analytic"
    assert _clipped_centre_span(rf) == _clipped_centre_span(emp)
    assert rf.map_shape == emp.map_shape == _output_shape(net, layer, size)


def test_field_sizes_by_hand():
    # SqueezeNet 1.1: conv1 3 (jump 2), pool 3 -> 7 (jump 4), a Fire's 3x3 branch +2*4 -> 15, the next +8 -> 23
    squeeze = _net("squeezenet1.1")
    assert [analytic_receptive_field(squeeze, f"features.{i}", (227, 227)).size[0] for i in (0, 2, 3, 4)] == \
        [3, 7, 15, 23]
    # EfficientNet-Lite0: stem 3; blocks.0's 3x3 depthwise +2*2 -> 7; blocks.1.0's stride-2 3x3 +2*2 -> 11,
    # padded (0, 1) by TF "same": the field starts at pixel 0 - 2 (stem 0, depthwise 1 x 2), not - 4
    lite = _net("efficientnet-lite0")
    rf = analytic_receptive_field(lite, "blocks.1.0", (224, 224))
    assert (rf.size, rf.jump, rf.start, rf.map_shape) == ((11, 11), (4, 4), (-2, -2), (56, 56))
    # the plain ResNet-18 has the fields of torchvision's ResNet-18 (the shortcuts never widen them)
    plain = _net("resnet18-plain")
    assert [analytic_receptive_field(plain, k).size[0] for k in ("maxpool", "layer1", "layer2", "layer3")] == \
        [11, 43, 99, 211]


# (model, layer, response, offset from the centre unit): crops inside the image and crops at its border
CROP_CASES = [
    ("squeezenet1.1", "features.5", "post_relu", (0, 0)), ("squeezenet1.1", "features.7", "post_relu", (0, 0)),
    ("squeezenet1.1", "features.4", "output", (-27, -27)),  # unit (1, 1) sees conv1's left border
    ("efficientnet-lite0", "blocks.2.0", "output", (0, 0)), ("efficientnet-lite0", "blocks.3", "output", (0, 0)),
    ("efficientnet-lite0", "blocks.1", "output", (27, 27)),  # the bottom-right unit sees the (0, 1) padding
    ("resnet18-plain", "layer2", "pre_relu", (0, 0)), ("resnet34-plain", "layer1", "post_relu", (-27, -27)),
]


@pytest.mark.parametrize(("name", "layer", "response", "offset"), CROP_CASES)
def test_crop_fast_path_equals_the_full_image(name, layer, response, offset):
    model = SimpleNamespace(module=_net(name), preprocessing=NAMED[name].preprocessing, name=name)
    rec = CentreUnitRecorder(model, layer, response=response, positions=[offset])
    size = model.preprocessing.input_size
    assert rec.receptive_field.method == "analytic" and rec.crop_box != (0, size, 0, size)
    x = torch.rand(3, 3, size, size, generator=torch.Generator().manual_seed(5))
    naive, fast = rec.record_full(x), rec.record(rec.crop(x))
    scale = naive.abs().max()
    assert scale > 0
    torch.testing.assert_close(fast, naive, rtol=0, atol=1e-5 * scale)
