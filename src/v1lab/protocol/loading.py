"""Reading a protocol: a file or a mapping validated as a :class:`~v1lab.protocol.schema.Protocol`, with dotted-key
overrides (the command line's ``--set``) applied first.

Every validation failure becomes one :class:`~v1lab.errors.ProtocolError` line that names the file, the field
(dotted, e.g. ``analyses.criteria.simple_modulation_ratio``), the value received and what was expected; an unknown
key gets the closest valid one (``difflib``) or the list of valid keys. Files are read with the bounded YAML
reader (:mod:`v1lab.safe_yaml`).
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from v1lab.errors import ProtocolError, short_repr
from v1lab.protocol.schema import Protocol
from v1lab.safe_yaml import read_yaml

__all__ = ["parse_protocol", "load_protocol", "apply_overrides"]


def _field(loc) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def _describe(err: dict, model=Protocol) -> str:
    field = _field(err["loc"])
    if err["type"] == "extra_forbidden":
        known = _known_keys(err["loc"][:-1], model)
        close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(known)})"
        return f"unknown key '{field}'{hint}"
    received = err.get("input")
    text = short_repr(received) if not isinstance(received, dict) else "a mapping"
    return f"field '{field}': {err['msg']}, got {text}"


def _known_keys(loc, model) -> list[str]:
    """Field names of the (sub)model at ``loc`` (indices in lists are skipped)."""
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return []
        model = _submodel(info.annotation)
        if model is None:
            return []
    return sorted(model.model_fields)


def _submodel(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def parse_protocol(data: Any, *, source: str = "<protocol>") -> Protocol:
    """Validate a mapping as a :class:`Protocol`; raise one-line :class:`ProtocolError` naming ``source``."""
    if not isinstance(data, dict):
        raise ProtocolError(f"{source}: expected a mapping of protocol fields, got {type(data).__name__}")
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ProtocolError(f"{source}: {_describe(errors[0])}{more}") from None


def load_protocol(path: str | Path, overrides: dict[str, Any] | None = None) -> Protocol:
    """Read and validate a protocol file, applying dotted-key ``overrides`` (command-line options) first."""
    data = read_yaml(path)
    if overrides and isinstance(data, dict):
        data = apply_overrides(data, overrides)
    return parse_protocol(data, source=str(path))


def apply_overrides(data: dict, overrides: dict[str, Any]) -> dict:
    """Return a copy of ``data`` with each ``a.b.c = value`` override set (creating mappings on the way)."""
    out = copy.deepcopy(data)
    for dotted, value in overrides.items():
        node = out
        parts = dotted.split(".")
        for part in parts[:-1]:
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
                continue
            if not isinstance(node, dict):
                raise ProtocolError(f"--set {dotted}: '{part}' does not lead to a mapping")
            node = node.setdefault(part, {})
        if isinstance(node, list) and parts[-1].isdigit() and int(parts[-1]) < len(node):
            node[int(parts[-1])] = value
        elif isinstance(node, dict):
            node[parts[-1]] = value
        else:
            raise ProtocolError(f"--set {dotted}: cannot set a field inside a {type(node).__name__}")
    return out

