"""``torchvision/<name>[?weights=<ENUM>]``: torchvision's ImageNet classifiers, weights from torchvision's cache.

The weights file lives where torchvision itself keeps it, ``torch.hub.get_dir()/checkpoints/<file>``,
``<file>`` being the last part of the weights URL (e.g. ``resnet18-f37072fd.pth``). When it is absent,
torchvision downloads it; without network (or with ``$V1LAB_OFFLINE`` set) :class:`WeightsUnavailableError`
names the exact file and folder so a user can copy it there.
"""

from __future__ import annotations

import functools
import os
import pickle
from pathlib import Path
from urllib.parse import urlparse

import torch

from v1lab.errors import ModelError, WeightsUnavailableError
from v1lab.models.core import LoadedModel, Preprocessing
from v1lab.models.weights_cache import sha256_file
from v1lab.models.weights_sources import OFFLINE_ENV, offline

__all__ = ["PREFIX", "ZOO", "classification_models", "imagenet_categories", "resolve_weights", "weights_file",
           "preprocessing_of", "build", "load"]

PREFIX = "torchvision/"
#: The torchvision models that ``v1lab models`` lists by default (every classifier loads).
ZOO = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "alexnet", "vgg16", "googlenet")


@functools.cache
def classification_models() -> tuple[str, ...]:
    """Names of torchvision's ImageNet classification builders."""
    import torchvision.models as tvm

    return tuple(tvm.list_models(module=tvm))


def imagenet_categories() -> list[str]:
    """The 1000 ILSVRC-2012 class names in class-index order (sorted wnids), from torchvision's weights metadata."""
    import torchvision.models as tvm

    return list(tvm.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def resolve_weights(name: str, weights: str | None):
    """The weights enum member for ``name``: ``weights`` (a member name) or the enum's ``DEFAULT``."""
    if name not in classification_models():
        raise ModelError(f"torchvision model {name!r} is not a torchvision classification model")
    import torchvision.models as tvm

    enum = tvm.get_model_weights(name)
    if weights is None or weights == "DEFAULT":
        return enum.DEFAULT
    try:
        return enum[weights]
    except KeyError:
        names = ", ".join(m.name for m in enum)
        raise ModelError(f"torchvision/{name}: weights={weights!r}; expected one of DEFAULT, {names}") from None


def weights_file(weights) -> Path:
    """Where torchvision caches (and looks for) the file of a weights enum member."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(weights.url).path)


def preprocessing_of(weights) -> Preprocessing:
    """The :class:`Preprocessing` of a weights enum member (its ``transforms()``: mean, std, crop, resize)."""
    transform = weights.transforms()
    return Preprocessing(mean=tuple(transform.mean), std=tuple(transform.std),
                         input_size=int(transform.crop_size[0]), resize_size=int(transform.resize_size[0]))


def build(name: str, weights: str | None = None):
    """The torchvision module with its weights, and the weights member used.

    Raises
    ------
    WeightsUnavailableError
        The file is not in torchvision's cache and cannot be downloaded (or ``$V1LAB_OFFLINE`` is set).
    """
    member = resolve_weights(name, weights)
    path = weights_file(member)
    with torch.random.fork_rng(devices=[]):  # the builder's random init must not move the caller's RNG
        return _get_model(name, member, path), member


def _get_model(name: str, member, path: Path):
    import torchvision.models as tvm

    if not path.is_file():
        hint = f"expected the file {path.name} in {path.parent} (download {member.url} and copy it there)"
        if offline():
            raise WeightsUnavailableError(f"torchvision/{name}: weights {member} not found and {OFFLINE_ENV} "
                                          f"is set; {hint}")
        try:
            return tvm.get_model(name, weights=member, progress=False)
        except (OSError, RuntimeError) as err:  # URLError is an OSError; a bad hash is a RuntimeError
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise WeightsUnavailableError(f"torchvision/{name}: download failed ({reason}); {hint}") from None
    try:
        return tvm.get_model(name, weights=member, progress=False)
    except (RuntimeError, OSError, EOFError, ValueError, pickle.UnpicklingError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ModelError(f"{path}: cannot load weights for torchvision/{name} ({first}); expected the file "
                         f"{member.url} provides") from None


def load(spec: str, name: str, weights: str | None, *, device: str | torch.device = "cpu") -> LoadedModel:
    """Load ``torchvision/<name>`` with the given weights (member name or ``None`` for DEFAULT)."""
    module, member = build(name, weights)
    path = weights_file(member)
    digest = sha256_file(path)
    # torchvision names files <name>-<first hex digits of sha256>.pth; report whether this file agrees.
    prefix = path.stem.rsplit("-", 1)[-1]
    meta = {
        "description": f"torchvision {name} with {member}",
        "source": member.url,
        "citation": "TorchVision maintainers and contributors (2016). TorchVision: PyTorch's computer vision "
                    "library. https://github.com/pytorch/vision",
        "weights_docs": " ".join(member.meta.get("_docs", "").split()),
        "recipe": member.meta.get("recipe"),
        "licence": "BSD-3-Clause (torchvision); weights trained on ImageNet (research use)",
        "published_accuracy": {k.replace("acc@", "top"): v / 100.0
                               for k, v in member.meta.get("_metrics", {}).get("ImageNet-1K", {}).items()},
        "categories": list(member.meta.get("categories", [])),
        "weights": str(member),
        "weights_path": str(path),
        "sha256_matches_file_name": digest.startswith(prefix),
    }
    return LoadedModel(spec=spec, name=f"{PREFIX}{name}", module=module.to(device).eval(),
                       preprocessing=preprocessing_of(member), weights_sha256=digest, meta=meta)
