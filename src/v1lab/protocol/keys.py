"""Every key a protocol file accepts, read off the schema: the table in ``docs/protocols.md``."""

from __future__ import annotations

import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from v1lab.protocol.schema import Protocol

__all__ = ["protocol_keys", "protocol_keys_markdown"]


def _models(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _type_name(annotation) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    text = str(annotation).replace("typing.", "")
    for mod in ("v1lab.protocol.schema.", "v1lab.characterisation.roles.", "v1lab.classify.", "v1lab.lesion.config.",
                "v1lab.preferred.config."):
        text = text.replace(mod, "")
    return text


def _default(info) -> str:
    if info.default_factory is not None:
        value = info.default_factory()
        return "" if isinstance(value, BaseModel) else repr(value)
    if info.default is PydanticUndefined:
        return "required"
    return f"{info.default:.4g}" if isinstance(info.default, float) else repr(info.default)


def protocol_keys(model: type[BaseModel] = Protocol, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """``(dotted key, type, default, description)`` for every field of ``model`` and its sub-models
    (``[]`` marks the items of a list)."""
    rows = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = info.annotation
        subs = _models(annotation)
        is_list = typing.get_origin(annotation) is list or any(
            typing.get_origin(a) is list for a in typing.get_args(annotation))
        rows.append((key, _type_name(annotation), _default(info), " ".join((info.description or "").split())))
        for sub in subs:
            rows += protocol_keys(sub, f"{key}[]." if is_list else f"{key}.")
    return rows


def protocol_keys_markdown() -> str:
    """The keys as a Markdown table (the generated block of ``docs/protocols.md``)."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, kind, default, description in protocol_keys():
        cell = kind.replace("|", "\\|")
        lines.append(f"| `{key}` | {cell} | {default.replace('|', chr(92) + '|')} | {description.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
