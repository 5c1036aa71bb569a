"""Model spec strings: one line that names a model and, where needed, its weights.

=============================================  ==============================================================
``resnet50-caffe``                             a named zoo model (``v1lab models`` lists them)
``torchvision/resnet18``                       a torchvision classifier with its DEFAULT weights
``torchvision/resnet50?weights=IMAGENET1K_V1``  ... with the named weights enum member
``python:path/to/file.py:factory``             ``factory()`` from a user's file returns the ``nn.Module``
``checkpoint:path.pth?arch=torchvision/resnet34``  a ``state_dict`` file loaded into an architecture
``checkpoint:path.pth?arch=resnet34-plain``      ... into a named zoo architecture
=============================================  ==============================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from v1lab.errors import ModelError

__all__ = ["ModelSpec", "parse_spec"]

_OPTIONS = {"torchvision": {"weights"}, "checkpoint": {"arch"}, "zoo": set(), "python": set()}


@dataclass(frozen=True)
class ModelSpec:
    """A parsed spec: ``kind`` is ``"zoo"``, ``"torchvision"``, ``"python"`` or ``"checkpoint"``.

    ``name`` is the zoo or torchvision model name, ``path`` the file of ``python:``/``checkpoint:``,
    ``factory`` the factory of ``python:``, ``options`` the ``?key=value`` pairs.
    """

    text: str
    kind: str
    name: str = ""
    path: str = ""
    factory: str = ""
    options: dict = field(default_factory=dict)


def _split_options(spec: str, body: str, kind: str) -> tuple[str, dict]:
    head, sep, query = body.partition("?")
    options: dict[str, str] = {}
    if sep:
        for pair in query.split("&"):
            key, eq, value = pair.partition("=")
            if not eq or not key or not value:
                raise ModelError(f"model spec {spec!r}: option {pair!r}; expected key=value")
            if key not in _OPTIONS[kind]:
                allowed = ", ".join(sorted(_OPTIONS[kind])) or "none"
                raise ModelError(f"model spec {spec!r}: unknown option {key!r}; expected one of: {allowed}")
            options[key] = value
    return head, options


def parse_spec(spec: str) -> ModelSpec:
    """Parse a model spec string (see the module docstring); raise :class:`ModelError` when malformed."""
    if not isinstance(spec, str) or not spec.strip() or spec != spec.strip():
        raise ModelError(f"model spec {spec!r}: expected a non-empty string without surrounding spaces")
    if spec.startswith("module:"):
        raise ModelError(f"model spec {spec!r} records a torch.nn.Module given in Python; it cannot be loaded by "
                         "name: pass the module itself (v1lab.run_protocol(..., model=module))")
    if spec.startswith("python:"):
        path, sep, factory = spec[len("python:"):].rpartition(":")
        if not sep or not path or not factory.isidentifier():
            raise ModelError(f"model spec {spec!r}: expected python:path/to/file.py:factory")
        return ModelSpec(spec, "python", path=path, factory=factory)
    if spec.startswith("checkpoint:"):
        path, options = _split_options(spec, spec[len("checkpoint:"):], "checkpoint")
        if not path or "arch" not in options:
            raise ModelError(f"model spec {spec!r}: expected checkpoint:path.pth?arch=torchvision/<name> "
                             "(or arch=<zoo name>, e.g. resnet34-plain)")
        return ModelSpec(spec, "checkpoint", path=path, options=options)
    if spec.startswith("torchvision/"):
        name, options = _split_options(spec, spec[len("torchvision/"):], "torchvision")
        if not name or any(ch in name for ch in "/:& "):
            raise ModelError(f"model spec {spec!r}: model name {name!r}; expected torchvision/<builder name>")
        return ModelSpec(spec, "torchvision", name=name, options=options)
    if any(ch in spec for ch in "?:/&= "):
        raise ModelError(f"model spec {spec!r}: expected a zoo name, torchvision/<name>, "
                         "python:file.py:factory or checkpoint:file.pth?arch=...")
    return ModelSpec(spec, "zoo", name=spec)
