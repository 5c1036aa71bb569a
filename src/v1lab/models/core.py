"""The objects the model zoo hands out: :class:`Preprocessing`, :class:`LoadedModel`, :class:`ModelInfo`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from v1lab.errors import ModelError

__all__ = ["Preprocessing", "LoadedModel", "ModelInfo", "IMAGENET_PREPROCESSING"]


@dataclass(frozen=True)
class Preprocessing:
    """How a model expects its input: per-channel normalisation and the evaluation resize/crop.

    Parameters
    ----------
    mean, std : 3-tuples of float
        RGB mean and standard deviation, in display units ([0, 1]).
    input_size : int
        Side of the centre crop, in pixels.
    resize_size : int
        Length of the shorter image side before cropping, in pixels.
    """

    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    input_size: int = 224
    resize_size: int = 256

    def __post_init__(self):
        for name in ("mean", "std"):
            value = tuple(float(v) for v in getattr(self, name))
            if len(value) != 3:
                raise ModelError(f"Preprocessing.{name}: {value!r}; expected 3 values (R, G, B)")
            object.__setattr__(self, name, value)
        if any(s <= 0 for s in self.std):
            raise ModelError(f"Preprocessing.std: {self.std!r}; expected 3 positive values")
        if int(self.input_size) < 1 or int(self.resize_size) < int(self.input_size):
            raise ModelError(f"Preprocessing sizes: input_size={self.input_size}, resize_size={self.resize_size}; "
                             "expected 1 <= input_size <= resize_size")

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        r"""Normalise display RGB :math:`x \in [0, 1]` of shape (N, 3, H, W): :math:`(x - m_c)/s_c`.

        Computed on ``x``'s device and in ``x``'s floating dtype.
        """
        if x.ndim != 4 or x.shape[1] != 3:
            raise ModelError(f"Preprocessing.normalize: input shape {tuple(x.shape)}; expected (N, 3, H, W)")
        if not x.is_floating_point():
            raise ModelError(f"Preprocessing.normalize: input dtype {x.dtype}; expected floats in [0, 1]")
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        return (x - mean) / std


#: torchvision's ImageNet normalisation with the usual resize 256 / crop 224.
IMAGENET_PREPROCESSING = Preprocessing(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))


@dataclass(frozen=True)
class LoadedModel:
    """A model ready for recording.

    Attributes
    ----------
    spec : str
        The spec string it was loaded from.
    name : str
        Canonical name (``"resnet50-caffe"``, ``"torchvision/resnet18"``, ...).
    module : nn.Module
        In eval mode; takes *normalised* input (``preprocessing.normalize(display_images)``).
    preprocessing : Preprocessing
    weights_sha256 : str or None
        sha256 of the weights file it was built from (None for code-only models).
    meta : dict
        ``source``, ``citation``, ``licence`` and, where known, published and measured accuracy.
    """

    spec: str
    name: str
    module: nn.Module
    preprocessing: Preprocessing
    weights_sha256: str | None
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ModelInfo:
    """One entry of :func:`v1lab.models.list_models`: a loadable spec and where its weights are."""

    spec: str
    description: str
    weights_path: Path | None
    weights_present: bool
