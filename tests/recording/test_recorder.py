from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from recording_nets import ConstantPadConv, Normalise, make_resnet, wrap
from torch import nn

from v1lab.errors import RecordingError
from v1lab.recording import CentreUnitRecorder, grid_offsets

# (layer, response): the layers named by the issue, including a pre-ReLU residual sum and a layer whose
# field covers the whole 224-px image (layer3: the crop is the whole image, only truncation helps)
EXACT_CASES = [("conv1", "output"), ("bn1", "output"), ("relu", "post_relu"), ("maxpool", "post_relu"),
               ("layer1", "post_relu"), ("layer2.0", "pre_relu"), ("layer2", "post_relu"),
               ("layer3", "post_relu")]


def _outside_changed(img, box, seed):
    """``img`` with every pixel outside ``box`` replaced by fresh noise."""
    y0, y1, x0, x1 = box
    other = torch.rand(img.shape, generator=torch.Generator().manual_seed(seed))
    other[..., y0:y1, x0:x1] = img[..., y0:y1, x0:x1]
    return other


@pytest.fixture(scope="module")
def naive(resnet):
    """The naive path, written independently of the recorder: whole image, whole network, plain hooks.

    Images: two random ones, then, per case, the first with everything outside that case's crop replaced.
    Returns the recorders, the images and each case's full feature map (pre-ReLU: the input of the last
    call of the block's ReLU).
    """
    net = resnet.module
    recorders = {case: CentreUnitRecorder(resnet, case[0], response=case[1]) for case in EXACT_CASES}
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(7))
    images = torch.cat([x] + [_outside_changed(x[:1], r.crop_box, seed=8 + i)
                              for i, r in enumerate(recorders.values())])
    maps, handles = {}, []
    for layer, response in EXACT_CASES:
        module = net.get_submodule(layer)
        if response == "pre_relu":
            hook = (lambda key: lambda m, args: maps.__setitem__(key, args[0].clone()))((layer, response))
            handles.append(module.relu.register_forward_pre_hook(hook))  # the last call wins
        else:
            hook = (lambda key: lambda m, args, out: maps.__setitem__(key, out.clone()))((layer, response))
            handles.append(module.register_forward_hook(hook))
    with torch.no_grad():
        net(resnet.preprocessing.normalize(images))
    for h in handles:
        h.remove()
    return recorders, images, maps


@pytest.mark.parametrize("index, case", list(enumerate(EXACT_CASES)))
def test_crop_and_truncation_change_no_number(naive, index, case):
    recorders, images, maps = naive
    rec, (_, response) = recorders[case], case
    cy, cx = rec.receptive_field.centre_index
    full = maps[case][:, :, cy, cx]
    if response == "post_relu":
        full = F.relu(full)
    subset = images[[0, 1, 2 + index]]
    fast = rec.record(rec.crop(subset))  # crop, truncated
    assert fast.shape == (3, rec.n_channels)
    scale = full.abs().max()
    torch.testing.assert_close(fast[:2], full[:2], rtol=0, atol=1e-5 * scale)
    # pixels outside the crop do not matter (naive path), and the two random images do differ
    torch.testing.assert_close(full[2 + index], full[0], rtol=0, atol=1e-5 * scale)
    torch.testing.assert_close(fast[2], full[0], rtol=0, atol=1e-5 * scale)
    assert (full[1] - full[0]).abs().max() > 1e-2 * scale


def test_the_comparison_is_sensitive_to_a_one_jump_shift(resnet_v1):
    rec = CentreUnitRecorder(resnet_v1, "layer1")
    x = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    y0, y1, x0, x1 = rec.crop_box
    j = rec.receptive_field.jump[0]
    shifted = rec.record(x[..., y0 + j:y1 + j, x0:x1])  # what the unit one row below sees
    assert (shifted - rec.record_full(x)).abs().max() > 1e-2


def test_crop_box_is_aligned_and_holds_the_clipped_field(resnet):
    for layer, _ in EXACT_CASES:
        rec = CentreUnitRecorder(resnet, layer)
        rf = rec.receptive_field
        y0, y1, x0, x1 = rec.crop_box
        fy0, fy1, fx0, fx1 = rf.span(*rf.centre_index)
        assert y0 % rf.jump[0] == 0 and x0 % rf.jump[1] == 0
        assert y0 <= max(fy0, 0) and y1 >= min(fy1, 224) and x0 <= max(fx0, 0) and x1 >= min(fx1, 224)
        assert (y1 == 224) == (fy1 >= 224) and (y0 == 0) == (fy0 <= 0 or fy0 < rf.jump[0])


def test_conv1_geometry_by_hand(resnet_v1):
    # conv1: 7x7, stride 2, padding 3 on 224 px -> 112 units; the centre unit 56 sees rows 2*56-3 .. 2*56+3
    rec = CentreUnitRecorder(resnet_v1, "conv1")
    assert rec.receptive_field.centre_index == (56, 56)
    assert rec.rf_centre == (112.0, 112.0)
    assert rec.crop_box == (108, 116, 108, 116)  # [109, 115] widened to a multiple of the jump 2
    g = rec.canvas
    assert (g.height_px, g.width_px, g.centre_y_px, g.centre_x_px) == (8, 8, 4.0, 4.0)
    assert (rec.full_canvas.height_px, rec.full_canvas.centre_x_px) == (224, 112.0)


def test_pre_relu_is_the_residual_sum_before_rectification(resnet_v1):
    net = resnet_v1.module
    pre = CentreUnitRecorder(resnet_v1, "layer2.0", response="pre_relu")
    post = CentreUnitRecorder(resnet_v1, "layer2.0", response="post_relu")
    out = CentreUnitRecorder(resnet_v1, "layer2.0", response="output")
    x = torch.rand(2, 3, *pre.canvas_shape, generator=torch.Generator().manual_seed(3))
    r_pre, r_post, r_out = pre.record(x), post.record(x), out.record(x)
    assert (r_pre < 0).any() and (r_pre > 0).any()
    torch.testing.assert_close(F.relu(r_pre), r_post)
    torch.testing.assert_close(r_out, r_post)
    # independent: run the block by hand on the input it receives
    block = net.layer2[0]
    with torch.no_grad():
        z = resnet_v1.preprocessing.normalize(x)
        z = net.layer1(net.maxpool(net.relu(net.bn1(net.conv1(z)))))
        branch = block.bn1(block.conv1(z)).relu()
        branch = block.bn2(block.conv2(branch)).relu()
        summed = block.bn3(block.conv3(branch)) + block.downsample(z)
    cy, cx = pre.receptive_field.centre_index
    y0, _, x0, _ = pre.crop_box
    j = pre.receptive_field.jump[0]
    torch.testing.assert_close(r_pre, summed[:, :, cy - y0 // j, cx - x0 // j], rtol=1e-5, atol=1e-5)


def test_pre_relu_of_relu_and_of_conv(resnet_v1):
    x = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(4))  # conv1/bn1/relu share the 8x8 crop
    relu_in = CentreUnitRecorder(resnet_v1, "relu", response="pre_relu").record(x)
    relu_out = CentreUnitRecorder(resnet_v1, "relu", response="output").record(x)
    bn1 = CentreUnitRecorder(resnet_v1, "bn1", response="output").record(x)
    torch.testing.assert_close(relu_in, bn1)
    torch.testing.assert_close(relu_out, F.relu(bn1))
    assert (bn1 < 0).any()
    conv_pre = CentreUnitRecorder(resnet_v1, "conv1", response="pre_relu").record(x)
    conv_out = CentreUnitRecorder(resnet_v1, "conv1", response="output").record(x)
    torch.testing.assert_close(conv_pre, conv_out)


def test_grid_of_positions_against_a_plain_hook(resnet_v1):
    rec = CentreUnitRecorder(resnet_v1, "layer1", response="output", positions=grid_offsets(1, step=2))
    x = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(5))
    maps = []
    handle = resnet_v1.module.layer1.register_forward_hook(lambda m, i, o: maps.append(o.clone()))
    with torch.no_grad():
        resnet_v1.module(resnet_v1.preprocessing.normalize(x))
    handle.remove()
    cy, cx = rec.receptive_field.centre_index
    expected = torch.stack([maps[0][:, :, cy + dy, cx + dx] for dy, dx in grid_offsets(1, step=2)], dim=1)
    full = rec.record_full(x)
    assert full.shape == (1, 9, 256)
    torch.testing.assert_close(full, expected)
    torch.testing.assert_close(rec.record(rec.crop(x)), expected, rtol=1e-5, atol=1e-5)


def test_truncation_skips_later_layers_and_hooks_are_removed(resnet_v1):
    rec = CentreUnitRecorder(resnet_v1, "layer2.0", response="pre_relu")
    net = rec.module  # the network the recorder runs (its batch-norm-folded copy)
    calls = []
    handle = net.layer4.register_forward_hook(lambda m, i, o: calls.append(1))
    try:
        rec.record(torch.rand(2, 3, *rec.canvas_shape))
        assert calls == []
        rec.record_full(torch.rand(1, 3, 224, 224))
        assert calls == [1]
    finally:
        handle.remove()
    for m in [*net.modules(), *resnet_v1.module.modules()]:
        assert not m._forward_hooks and not m._forward_pre_hooks


def test_invalid_requests_raise_one_line_errors(resnet_v1):
    training = SimpleNamespace(module=nn.Sequential(nn.Conv2d(3, 2, 3)).train(), preprocessing=Normalise(16))
    with pytest.raises(RecordingError, match=r"Sequential is in training mode"):
        CentreUnitRecorder(training, "0")
    rec = CentreUnitRecorder(resnet_v1, "conv1")
    with pytest.raises(RecordingError, match=r"\(2, 3, 224, 224\); expected \(N, 3, 8, 8\)"):
        rec.record(torch.rand(2, 3, 224, 224))
    with pytest.raises(RecordingError, match="leaves the 7x7 map"):
        CentreUnitRecorder(resnet_v1, "layer4", positions=[(0, 4)])
    with pytest.raises(RecordingError, match="positions='grid'"):
        CentreUnitRecorder(resnet_v1, "conv1", positions="grid")


class _OOMAbove(nn.Module):
    """Wraps a network; raises CUDA's out-of-memory error for batches above ``limit``."""

    def __init__(self, net, limit):
        super().__init__()
        self.net, self.limit, self.sizes = net, limit, []

    def forward(self, x):
        self.sizes.append(x.shape[0])
        if x.shape[0] > self.limit:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.net(x)


def test_recorder_backs_off_on_out_of_memory():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2, padding=1))
    model = wrap(_OOMAbove(net, limit=3), input_size=16)
    rec = CentreUnitRecorder(model, "net.2", response="output", batch_size=16)
    x = torch.rand(10, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    got = rec.record_full(x)
    assert rec.batch_size == 2 and max(s for s in model.module.sizes[-5:]) == 2
    with torch.no_grad():
        expected = net(model.preprocessing.normalize(x))[:, :, 4, 4]
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("offset", [(-27, -26), (27, 27)])
def test_crops_that_reach_the_image_border_keep_its_padding(resnet_v1, offset):
    # layer1 units (1, 2) and (55, 55) of the 56x56 map see zero padding; their crop runs to the border
    rec = CentreUnitRecorder(resnet_v1, "layer1", response="pre_relu", positions=[offset])
    y0, y1, x0, x1 = rec.crop_box
    assert (y0, x0) == (0, 0) if offset[0] < 0 else (y1, x1) == (224, 224)
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(6))
    torch.testing.assert_close(rec.record(rec.crop(x)), rec.record_full(x), rtol=1e-5, atol=1e-5)


def test_constant_padding_at_the_border_is_reproduced_by_the_crop():
    torch.manual_seed(0)
    net = nn.Sequential(ConstantPadConv(3, 4, 5, stride=2, padding=2), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1))
    model = wrap(net, input_size=32)
    x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    for offset in [(-8, -8), (7, -3), (0, 0)]:  # corner, edge (the 16x16 map's centre unit is (8, 8)), centre
        rec = CentreUnitRecorder(model, "2", response="output", positions=[offset])
        assert rec.crop_box != (0, 32, 0, 32)
        torch.testing.assert_close(rec.record(rec.crop(x)), rec.record_full(x), rtol=1e-6, atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fast_path_is_exact_and_matches_the_cpu():
    model = wrap(make_resnet("v1", seed=2))
    x = torch.rand(3, 3, 224, 224, generator=torch.Generator().manual_seed(9))
    assert torch.backends.cudnn.allow_tf32  # torch's default, which the recorder overrides while it runs
    for layer, response in [("conv1", "output"), ("layer1", "post_relu"), ("layer2.0", "pre_relu"),
                            ("layer2", "post_relu"), ("layer3", "post_relu")]:
        gpu = CentreUnitRecorder(model, layer, response=response, device="cuda")
        fast, naive = gpu.record(gpu.crop(x)), gpu.record_full(x)
        assert fast.device.type == "cpu"
        scale = naive.abs().max()
        torch.testing.assert_close(fast, naive, rtol=0, atol=1e-5 * scale)
        cpu = CentreUnitRecorder(model, layer, response=response, device="cpu").record(gpu.crop(x))
        torch.testing.assert_close(fast, cpu, rtol=0, atol=1e-5 * scale)
    assert torch.backends.cudnn.allow_tf32


def test_channels_last_on_the_cpu_changes_responses_only_by_rounding(resnet_v1):
    import copy

    rec = CentreUnitRecorder(resnet_v1, "layer2")
    assert resnet_v1.module.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    reference = copy.deepcopy(resnet_v1.module).to(memory_format=torch.contiguous_format)
    assert reference.conv1.weight.is_contiguous()
    x = torch.rand(4, 3, 224, 224, generator=torch.Generator().manual_seed(11))
    maps = []
    handle = reference.layer2.register_forward_hook(lambda m, i, o: maps.append(o.clone()))
    with torch.no_grad():
        reference(resnet_v1.preprocessing.normalize(x).contiguous())
    handle.remove()
    cy, cx = rec.receptive_field.centre_index
    expected = maps[0][:, :, cy, cx]
    torch.testing.assert_close(rec.record(rec.crop(x)), expected, rtol=0, atol=1e-5 * expected.abs().max())


def test_asymmetric_strides_align_the_crop_on_each_axis():
    """A 5 x 7 conv with strides (2, 3) then a 3 x 3 conv: jumps 2 (rows) and 3 (columns), so the crop starts on a
    multiple of 2 in y and of 3 in x, and reproduces the whole image's responses for units off the centre."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, (5, 7), stride=(2, 3), padding=(2, 3)), nn.ReLU(),
                        nn.Conv2d(4, 4, 3, padding=1))
    model = wrap(net, input_size=48)
    x = torch.rand(3, 3, 48, 48, generator=torch.Generator().manual_seed(3))
    for offset in [(0, 1), (3, -3), (-5, 4)]:   # fields start at x = 21, 9, 30 px: odd, so not on the rows' jump
        rec = CentreUnitRecorder(model, "2", response="output", positions=[offset])
        y0, y1, x0, x1 = rec.crop_box
        assert rec.receptive_field.jump == (2, 3) and y0 % 2 == 0 and x0 % 3 == 0 and x0 > 0
        torch.testing.assert_close(rec.record(rec.crop(x)), rec.record_full(x), rtol=1e-6, atol=1e-6)
