"""JSON Schemas of protocol and stimulus-set files, generated from the pydantic models, for editors.

An editor with a YAML language server (VS Code's YAML extension, Neovim's yamlls, JetBrains IDEs) completes
keys, shows each key's description and flags unknown keys and wrong types when a file names its schema::

    # yaml-language-server: $schema=../schemas/protocol.schema.json

The shipped files (``schemas/protocol.schema.json``, ``schemas/stimulus-set.schema.json``) are written by
``python scripts/generate_docs.py`` and ``v1lab schema`` prints them; a test keeps them equal to
:func:`json_schemas`. The protocol schema holds the stimulus-set schema, for ``inline:`` sets. The schemas check
structure and types; the values (gamut, Nyquist, layer names) are checked by ``v1lab validate``.

References
----------
.. [1] JSON Schema, draft 2020-12, https://json-schema.org/draft/2020-12/schema
.. [2] pydantic, "JSON Schema" (``BaseModel.model_json_schema``, ``TypeAdapter.json_schema``).
"""

from __future__ import annotations

import json

from pydantic import TypeAdapter

from v1lab.protocol.schema import Protocol
from v1lab.stimuli.schema import StimulusSetFile

__all__ = ["SCHEMA_FILES", "json_schemas", "schema_text"]

#: Shipped file name of each schema, under ``schemas/``.
SCHEMA_FILES = {"protocol": "protocol.schema.json", "stimulus-set": "stimulus-set.schema.json"}
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _stimulus_set() -> dict:
    schema = TypeAdapter(StimulusSetFile).json_schema()
    return {"$schema": _DIALECT, "title": "v1lab stimulus set",
            "description": "A stimulus-set file (stimuli/NAME.yaml): a family and a full-factorial parameter grid "
                           "(docs/stimuli.md).", **schema}


def _protocol(stimulus_set: dict) -> dict:
    schema = Protocol.model_json_schema()
    defs = schema.setdefault("$defs", {})
    defs.update(stimulus_set["$defs"])
    defs["StimulusSet"] = {key: stimulus_set[key] for key in ("oneOf", "discriminator", "description")}
    inline = defs["StimulusRef"]["properties"]["inline"]
    inline["anyOf"] = [{"$ref": "#/$defs/StimulusSet"}, {"type": "null"}]
    return {"$schema": _DIALECT, "title": "v1lab protocol",
            "description": "A virtual experiment (protocols/NAME.yaml, docs/protocols.md).",
            **{k: v for k, v in schema.items() if k != "title"}}


def json_schemas() -> dict[str, dict]:
    """The schemas by name (``protocol``, ``stimulus-set``), generated from the models."""
    stimulus_set = _stimulus_set()
    return {"protocol": _protocol(stimulus_set), "stimulus-set": stimulus_set}


def schema_text(name: str) -> str:
    """One schema as the shipped file's text (indented JSON, sorted keys, final newline)."""
    return json.dumps(json_schemas()[name], indent=2, sort_keys=True) + "\n"
