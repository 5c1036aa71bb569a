"""The sweep file (``SWEEP.yaml``): one protocol over many models, checkpoints or seeds, and its tasks.

.. code-block:: yaml

    name: resnet-vs-squeezenet
    protocol: ../protocols/kobayashi2020_quick.yaml      # relative to this file
    models:
      - resnet50-caffe                                   # a spec: the protocol's layers
      - spec: squeezenet1.1
        label: squeezenet                                # default: the spec
        layers: [features.1=conv1, features.4=stride4]   # this model's layers, MODULE=LABEL
      - {spec: "checkpoint:ckpt/epoch10.pth?arch=resnet34-plain", label: epoch10}
    seeds: [0, 1]                                        # optional: the protocol's seed, one run per seed
    resources: {num_cpus: 1, num_gpus: 0}                # declared per task (model x layer)
    overrides: {output.batch_size: 64}                   # dotted-key protocol overrides for every run

Paths in ``protocol`` and in ``python:``/``checkpoint:`` specs are relative to the sweep file. A ``python:`` spec runs
code from a file, so a sweep naming one is refused unless the caller trusts it (``v1lab sweep --trust-code``,
``run_sweep(trust_code=True)``); the sweep file cannot grant that trust itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from v1lab.errors import ProtocolError
from v1lab.protocol.schema import layer_entry
from v1lab.safe_yaml import read_yaml

__all__ = ["ModelEntry", "Resources", "Sweep", "Task", "load_sweep", "sweep_tasks"]

_LABEL = r"^[A-Za-z0-9_.@+-]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelEntry(_Strict):
    """One model of the sweep."""

    spec: str = Field(min_length=1, description="model spec (docs/models.md)")
    label: str | None = Field(None, pattern=_LABEL, description="name in tables and folders (default: from the spec)")
    layers: list[str | dict[str, Any]] | None = Field(None, description="this model's layers (MODULE=LABEL or "
                                                      "protocol layer entries); default: the protocol's")


class Resources(_Strict):
    """What one task (one model's layer) declares to Ray."""

    num_cpus: float = Field(1.0, gt=0, description="CPU cores per task (also torch's threads)")
    num_gpus: float = Field(0.0, ge=0, description="GPUs per task (fractions share a GPU); > 0 records on CUDA")


class Sweep(_Strict):
    """A sweep file, validated."""

    name: str | None = Field(None, pattern=_LABEL, description="the sweep's name (default: the file's stem)")
    protocol: str = Field(min_length=1, description="protocol file, relative to the sweep file")
    models: list[str | ModelEntry] = Field(min_length=1, description="model specs or entries")
    seeds: list[int] | None = Field(None, min_length=1, description="protocol seeds; each model runs once per seed")
    resources: Resources = Field(default_factory=Resources, description="per task")
    device: str | None = Field(None, description="recording device (default: cuda when num_gpus > 0, else cpu)")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted-key protocol overrides")


@dataclass(frozen=True)
class Task:
    """One Ray task: one model (at one seed) and one layer, recorded into its own run folder."""

    label: str
    spec: str
    layer: str | dict
    layer_title: str
    seed: int | None

    @property
    def key(self) -> str:
        return f"{self.label}/{self.layer_title}"


def load_sweep(path) -> tuple[Sweep, Path]:
    """Read and validate a sweep file; every problem is one :class:`~v1lab.errors.ProtocolError` line."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ProtocolError(f"{path}: expected a mapping of sweep fields, got {type(data).__name__}")
    try:
        sweep = Sweep.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise ProtocolError(f"{path}: field '{where}': {err['msg']}; expected the fields of v1lab.sweep.Sweep "
                            "(docs/sweep.md)") from None
    return sweep, path.resolve()


def _absolute_spec(spec: str, folder: Path) -> str:
    """A ``python:`` or ``checkpoint:`` spec with its file relative to ``folder`` made absolute (others unchanged)."""
    kind, _, rest = spec.partition(":")

    def absolute(file: str) -> str:
        return file if Path(file).is_absolute() else str((folder / file).resolve())

    if kind == "python":
        file, _, factory = rest.rpartition(":")
        return f"python:{absolute(file)}:{factory}"
    if kind == "checkpoint":
        file, mark, query = rest.partition("?")
        return f"checkpoint:{absolute(file)}{mark}{query}"
    return spec


def sweep_tasks(sweep: Sweep, folder: Path, protocol_layers: list, *, trust_code: bool = False) -> list[Task]:
    """Every (model, seed, layer) task of ``sweep``, whose file lives in ``folder``; ``protocol_layers`` are the
    protocol's own layer entries (used for models without ``layers``)."""
    from v1lab.protocol.schema import LayerSpec

    entries = [ModelEntry(spec=m) if isinstance(m, str) else m for m in sweep.models]
    untrusted = [e.spec for e in entries if e.spec.startswith("python:")]
    if untrusted and not trust_code:
        raise ProtocolError(f"sweep models {untrusted} run Python code from files; pass --trust-code (Python: "
                            "trust_code=True) if you trust them")
    tasks, labels = [], set()
    for entry in entries:
        base = entry.label or _default_label(entry.spec)
        for seed in sweep.seeds or [None]:
            label = base if seed is None else f"{base}-seed{seed}"
            if label in labels:
                raise ProtocolError(f"sweep: two models are labelled {label!r}; give each a distinct 'label'")
            labels.add(label)
            layers = [layer_entry(x) if isinstance(x, str) else x for x in entry.layers] if entry.layers \
                else protocol_layers
            for layer in layers:
                title = LayerSpec.model_validate({"name": layer} if isinstance(layer, str) else layer).title
                tasks.append(Task(label, _absolute_spec(entry.spec, folder), layer, title, seed))
    return tasks


def _default_label(spec: str) -> str:
    kind, sep, rest = spec.partition(":")
    if sep and kind in ("python", "checkpoint"):
        rest = rest.split("?")[0]
        path, _, factory = rest.rpartition(":") if kind == "python" else (rest, "", "")
        spec = Path(path).stem + (f"-{factory}" if factory else "")
    return re.sub(r"[^A-Za-z0-9_.@+-]+", "_", spec)
