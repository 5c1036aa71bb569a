"""Models given as Python objects: a plain ``torch.nn.Module`` (what a notebook has in hand) as a LoadedModel."""

from __future__ import annotations

import hashlib

import torch
from torch import nn

from v1lab.models.core import IMAGENET_PREPROCESSING, LoadedModel, Preprocessing

__all__ = ["PREFIX", "from_module", "state_dict_sha256"]

#: Spec prefix recorded for a module given in Python (``module:<class name>``); such a spec is a record, not
#: something :func:`v1lab.models.load_model` can load again from its name.
PREFIX = "module:"


def state_dict_sha256(module: nn.Module) -> str:
    """sha256 over the module's state_dict: each key, dtype, shape and the tensor's bytes, in key order."""
    digest = hashlib.sha256()
    for key, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().to("cpu").contiguous().reshape(-1)
        digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def from_module(module: nn.Module, preprocessing: Preprocessing | None = None, *,
                device: str | torch.device = "cpu") -> LoadedModel:
    """Wrap ``module`` (put in eval mode and moved to ``device``, in place) with its preprocessing.

    Parameters
    ----------
    module : nn.Module
        Takes normalised input ``preprocessing.normalize(display_images)``.
    preprocessing : Preprocessing, optional
        Default: ImageNet's mean and standard deviation, 224-pixel input.
    device : str or torch.device
    """
    module = module.to(device).eval()
    name = type(module).__name__
    return LoadedModel(spec=f"{PREFIX}{name}", name=name, module=module,
                       preprocessing=preprocessing or IMAGENET_PREPROCESSING,
                       weights_sha256=state_dict_sha256(module),
                       meta={"source": "a torch.nn.Module given in Python",
                             "weights_sha256_of": "the module's state_dict (v1lab.models.in_memory)"})
