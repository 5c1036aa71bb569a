"""A user's own models: ``python:file.py:factory`` and ``checkpoint:file.pth?arch=...``.

``python:`` imports the file and calls ``factory()``, which must return an ``nn.Module``; the module's
optional ``PREPROCESSING`` attribute (a :class:`Preprocessing` or a dict of its fields) sets the input
normalisation, else ImageNet's. ``checkpoint:`` loads a ``state_dict`` with ``torch.load(weights_only=True)``
(tensors only, never arbitrary pickled code) into the architecture ``arch``: a torchvision classifier or a
named zoo architecture (``resnet50-caffe``, ``squeezenet1.1``, ``efficientnet-lite0``, ``resnet18-plain``,
``resnet34-plain``), with that architecture's preprocessing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import torch
from torch import nn

from v1lab.errors import ModelError
from v1lab.models.core import IMAGENET_PREPROCESSING, LoadedModel, Preprocessing
from v1lab.models.registry import NAMED
from v1lab.models.spec import parse_spec
from v1lab.models.torchvision_models import preprocessing_of, resolve_weights
from v1lab.models.weights_cache import sha256_file

__all__ = ["load_python", "load_checkpoint", "build_architecture"]


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def _preprocessing_from(value, where: str) -> Preprocessing:
    if isinstance(value, Preprocessing):
        return value
    if isinstance(value, dict):
        try:
            return Preprocessing(**value)
        except TypeError as err:
            raise ModelError(f"{where}: PREPROCESSING {value!r} ({err}); expected mean, std[, input_size, "
                             "resize_size]") from None
    raise ModelError(f"{where}: PREPROCESSING is a {type(value).__name__}; expected Preprocessing or dict")


def load_python(spec: str, path: str, factory: str, *, device: str | torch.device = "cpu") -> LoadedModel:
    """Import ``path`` and build its ``factory()`` (see the module docstring)."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ModelError(f"model spec {spec!r}: file {file} does not exist; expected a .py file defining "
                         f"{factory}()")
    source = file.read_bytes()
    mod_name = f"v1lab_user_model_{hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:12]}"
    loader_spec = importlib.util.spec_from_file_location(mod_name, file)
    if loader_spec is None or loader_spec.loader is None:
        raise ModelError(f"{file}: cannot be imported; expected a Python source file (.py)")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[mod_name] = module  # dataclasses and pickling look their module up here
    try:
        loader_spec.loader.exec_module(module)
    except Exception as err:  # a user's file may raise anything on import
        sys.modules.pop(mod_name, None)
        raise ModelError(f"{file}: import failed ({_first_line(err)}); expected a module defining {factory}()") \
            from None
    fn = getattr(module, factory, None)
    if not callable(fn):
        found = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise ModelError(f"{file}: no factory {factory!r}; expected a function returning an nn.Module "
                         f"(callables found: {', '.join(found) or 'none'})")
    try:
        with torch.random.fork_rng(devices=[]):
            net = fn()
    except Exception as err:  # the factory is user code
        raise ModelError(f"{file}: {factory}() raised {_first_line(err)}; expected an nn.Module") from None
    if not isinstance(net, nn.Module):
        raise ModelError(f"{file}: {factory}() returned {type(net).__name__}; expected an nn.Module")
    prep = getattr(module, "PREPROCESSING", None)
    preprocessing = IMAGENET_PREPROCESSING if prep is None else _preprocessing_from(prep, str(file))
    meta = {"description": f"{factory}() from {file}", "source": str(file.resolve()),
            "source_sha256": hashlib.sha256(source).hexdigest(), "citation": "user model", "licence": "unknown"}
    return LoadedModel(spec=spec, name=f"python:{file.name}:{factory}", module=net.to(device).eval(),
                       preprocessing=preprocessing, weights_sha256=None, meta=meta)


def build_architecture(arch: str) -> tuple[nn.Module, Preprocessing]:
    """A randomly initialised architecture for ``checkpoint:`` (global RNG state left untouched)."""
    parsed = parse_spec(arch)
    if parsed.kind == "zoo" and parsed.name in NAMED:
        entry = NAMED[parsed.name]
        return entry.random_module(), entry.preprocessing
    if parsed.kind == "torchvision" and not parsed.options:
        member = resolve_weights(parsed.name, None)
        import torchvision.models as tvm

        with torch.random.fork_rng(devices=[]):
            return tvm.get_model(parsed.name, weights=None), preprocessing_of(member)
    raise ModelError(f"checkpoint arch {arch!r}; expected torchvision/<name> or one of {', '.join(NAMED)}")


def _state_dict_from(obj, file: Path) -> dict:
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelError(f"{file}: holds a {type(obj).__name__}; expected a state_dict (name -> tensor) "
                         "or {'state_dict': ...}")
    prefix = "module."  # saved from nn.DataParallel / DistributedDataParallel
    if obj and all(k.startswith(prefix) for k in obj):
        obj = {k[len(prefix):]: v for k, v in obj.items()}
    return obj


def load_checkpoint(spec: str, path: str, arch: str, *, device: str | torch.device = "cpu") -> LoadedModel:
    """Load a ``state_dict`` file into ``arch`` with strict key and shape checking."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ModelError(f"model spec {spec!r}: checkpoint {file} does not exist; expected a .pth state_dict")
    module, preprocessing = build_architecture(arch)
    try:
        obj = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # UnpicklingError, zip errors, truncated files
        raise ModelError(f"{file}: cannot be read with torch.load(weights_only=True) ({_first_line(err)}); "
                         "expected a state_dict of tensors") from None
    state = _state_dict_from(obj, file)
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = sorted(k for k in set(state) & set(expected) if state[k].shape != expected[k].shape)
    if missing or unexpected or shapes:
        parts = [f"{len(missing)} missing (e.g. {missing[:3]})" if missing else "",
                 f"{len(unexpected)} unexpected (e.g. {unexpected[:3]})" if unexpected else "",
                 f"{len(shapes)} with other shapes (e.g. {shapes[:3]})" if shapes else ""]
        raise ModelError(f"{file}: keys do not match arch {arch}: " + "; ".join(p for p in parts if p)
                         + f"; expected the {len(expected)} keys of {arch}")
    module.load_state_dict(state, strict=True)
    meta = {"description": f"{arch} with weights from {file}", "source": str(file.resolve()), "arch": arch,
            "citation": "user checkpoint", "licence": "unknown"}
    return LoadedModel(spec=spec, name=f"checkpoint:{file.name}", module=module.to(device).eval(),
                       preprocessing=preprocessing, weights_sha256=sha256_file(file), meta=meta)
