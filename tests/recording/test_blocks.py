"""The parts of a residual block (shortcut, residual, sum) recorded at the centre unit: exact and consistent."""

import pytest
import torch
import torchvision
from recording_nets import randomise_batch_norm, wrap
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck

from v1lab.errors import LayerError, RecordingError
from v1lab.models.plain_resnet import build_plain_resnet
from v1lab.recording import CentreUnitRecorder
from v1lab.recording.blocks import residual_block, residual_blocks

MODES = ("shortcut", "residual", "sum", "post_relu")
SIZE = 112  # small networks at 112 px keep the suite quick; layer1 and layer2 crops are still smaller than the image


def _images(n=2, seed=3):
    return torch.rand(n, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(seed))


def _small_resnet(block, layers, *, v1=False, seed=0):
    """A seeded torchvision ResNet with few blocks (``v1``: the stride of layer2-4's first block in conv1)."""
    torch.manual_seed(seed)
    net = torchvision.models.ResNet(block, layers, width_per_group=16 if block is Bottleneck else 64)
    if v1:
        for stage in (net.layer2, net.layer3, net.layer4):
            stage[0].conv1.stride, stage[0].conv2.stride = (2, 2), (1, 1)
    return wrap(randomise_batch_norm(net, seed), input_size=SIZE)


@pytest.fixture(scope="module")
def bottlenecks():
    return {layout: _small_resnet(Bottleneck, [2, 1, 1, 1], v1=layout == "v1") for layout in ("v1.5", "v1")}


@pytest.fixture(scope="module")
def bottleneck_v1():
    return _small_resnet(Bottleneck, [2, 1, 1, 1], v1=True, seed=1)


def _naive_parts(net, normalize, block_name, images):
    """Whole image, whole unfolded network, plain hooks: shortcut, residual, sum maps of ``block_name``."""
    block = net.get_submodule(block_name)
    got = {}
    last = "bn3" if hasattr(block, "bn3") else "bn2"
    handles = [getattr(block, last).register_forward_hook(lambda m, a, o: got.__setitem__("residual", o.clone()))]
    if block.downsample is not None:
        handles.append(block.downsample.register_forward_hook(lambda m, a, o: got.__setitem__("shortcut", o.clone())))
    else:
        handles.append(block.register_forward_pre_hook(lambda m, a: got.__setitem__("shortcut", a[0].clone())))
    handles.append(block.relu.register_forward_pre_hook(lambda m, a: got.__setitem__("sum", a[0].clone())))
    handles.append(block.register_forward_hook(lambda m, a, o: got.__setitem__("post_relu", o.clone())))
    with torch.no_grad():
        net(normalize(images))
    for h in handles:
        h.remove()
    return got


@pytest.fixture(scope="module")
def basic():
    return _small_resnet(BasicBlock, [2, 1, 1, 1], seed=2)


@pytest.mark.parametrize("layout, layer", [("v1.5", "layer1.0"), ("v1", "layer1.1"), ("v1", "layer2.0"),
                                           ("v1.5", "layer2.0"), ("v1", "layer3")])
def test_every_mode_is_exact_on_the_crop_and_the_parts_add_up(bottlenecks, layout, layer):
    images = _images()
    recorders = {m: CentreUnitRecorder(bottlenecks[layout], layer, response=m) for m in MODES}
    assert len({r.crop_box for r in recorders.values()}) == 1  # one field, one crop for every mode
    fast = {m: r.record(r.crop(images)) for m, r in recorders.items()}
    full = {m: r.record_full(images) for m, r in recorders.items()}
    scale = max(float(v.abs().max()) for v in full.values())
    for m in MODES:
        assert recorders[m].folded_pairs > 0
        torch.testing.assert_close(fast[m], full[m], rtol=0, atol=1e-5 * scale)
    torch.testing.assert_close(fast["shortcut"] + fast["residual"], fast["sum"], rtol=0, atol=1e-5 * scale)
    torch.testing.assert_close(torch.relu(fast["sum"]), fast["post_relu"], rtol=0, atol=1e-5 * scale)
    assert not torch.allclose(fast["shortcut"], fast["sum"])  # the branch does change the units


@pytest.mark.parametrize("layer", ["layer1.0", "layer1.1", "layer2.0"])
def test_modes_equal_plain_hooks_on_the_unfolded_network(bottleneck_v1, layer):
    images = _images(seed=5)
    maps = _naive_parts(bottleneck_v1.module, bottleneck_v1.preprocessing.normalize, layer, images)
    for mode in MODES:
        rec = CentreUnitRecorder(bottleneck_v1, layer, response=mode)
        cy, cx = rec.receptive_field.centre_index
        want = maps[mode][:, :, cy, cx]
        torch.testing.assert_close(rec.record(rec.crop(images)), want, rtol=0, atol=1e-5 * float(want.abs().max()))


@pytest.mark.parametrize("layer", ["layer1.1", "layer2.0"])
def test_basic_blocks(basic, layer):
    images = _images(seed=9)
    got = {m: CentreUnitRecorder(basic, layer, response=m).record_full(images) for m in MODES}
    scale = float(got["sum"].abs().max())
    torch.testing.assert_close(got["shortcut"] + got["residual"], got["sum"], rtol=0, atol=1e-5 * scale)
    torch.testing.assert_close(torch.relu(got["sum"]), got["post_relu"], rtol=0, atol=1e-5 * scale)


def test_blocks_are_found_with_their_shortcuts_and_strides(basic):
    net = torchvision.models.resnet50(weights=None)
    blocks = residual_blocks(net)
    assert len(blocks) == 16
    assert [b.name for b in blocks if b.shortcut] == ["layer1.0", "layer2.0", "layer3.0", "layer4.0"]
    assert [b.name for b in blocks if b.downsampling] == ["layer2.0", "layer3.0", "layer4.0"]
    assert blocks[0].residual == "layer1.0.bn3" and blocks[1].shortcut is None
    assert residual_block(net, "layer2").name == "layer2.3"
    assert residual_block(basic.module, "layer2.0").residual == "layer2.0.bn2"
    assert len(residual_blocks(basic.module)) == 5


@pytest.mark.parametrize("layer", ["conv1", "layer2.0.conv2", "maxpool"])
def test_modules_that_are_not_blocks_are_refused_in_one_line(bottleneck_v1, layer):
    with pytest.raises(LayerError, match="not a residual block") as err:
        CentreUnitRecorder(bottleneck_v1, layer, response="shortcut")
    assert "\n" not in str(err.value)


def test_a_plain_block_without_a_shortcut_is_refused():
    plain = wrap(build_plain_resnet(18), input_size=SIZE)
    with pytest.raises(LayerError, match="PlainBasicBlock"):
        CentreUnitRecorder(plain, "layer2.0", response="residual")
    with pytest.raises(LayerError, match="not a residual block"):
        CentreUnitRecorder(plain, "layer2", response="sum")


class _Impostor(nn.Module):
    """A block with a bottleneck's parts whose forward is not relu(shortcut + residual)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.downsample = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out * self.downsample(x))


def test_a_block_that_computes_something_else_raises():
    net = nn.Sequential(_Impostor(), nn.AdaptiveAvgPool2d(1)).eval()
    rec = CentreUnitRecorder(wrap(net, input_size=32), "0", response="post_relu")
    rec.record_full(torch.rand(1, 3, 32, 32))
    with pytest.raises(RecordingError, match="does not compute relu"):
        CentreUnitRecorder(wrap(net, input_size=32), "0", response="residual")


def test_a_protocol_asking_a_non_block_for_its_shortcut_fails_before_recording(bottleneck_v1):
    from pathlib import Path

    from v1lab.errors import ProtocolError
    from v1lab.protocol.prepare import check_layers, prepare_run

    stimuli = Path(__file__).resolve().parents[2] / "stimuli" / "gratings_osp_quick.yaml"
    protocol = {"name": "blocks", "model": "resnet50-caffe", "stimuli": [str(stimuli)],
                "layers": [{"name": "layer1.1", "response": "residual"}, {"name": "conv1", "response": "sum"}],
                "analyses": {"roles": {"luminance_gratings": "gratings_osp_quick"}}}
    with pytest.raises(ProtocolError, match=r"layers\.1\.response.*not a residual block"):
        check_layers(prepare_run(protocol), bottleneck_v1.module)
    protocol["layers"] = protocol["layers"][:1]
    check_layers(prepare_run(protocol), bottleneck_v1.module)
