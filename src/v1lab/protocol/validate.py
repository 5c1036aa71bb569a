"""``v1lab validate``: every check a run would make before recording, without recording anything."""

from __future__ import annotations

from pathlib import Path

from v1lab.errors import LayerError, ProtocolError

__all__ = ["validate_protocol"]


def validate_protocol(path: str | Path, overrides: dict | None = None) -> str:
    """Check schema, stimulus sets (including colour gamut), analysis roles, criteria, model and layer names.

    Returns a one-line summary; raises a one-line :class:`~v1lab.errors.V1labError` on the first problem.
    """
    from v1lab.models import load_model
    from v1lab.protocol.runner import prepare_run
    from v1lab.recording import resolve_layer

    path = Path(path)
    prepared = prepare_run(path, overrides)
    protocol, sets = prepared.protocol, prepared.sets
    model = load_model(protocol.model, device="cpu")
    for i, layer in enumerate(protocol.layers):
        try:
            resolve_layer(model.module, layer.name)
        except LayerError as exc:
            raise ProtocolError(f"{path}: field 'layers.{i}.name': {exc}") from None
    n_stim = sum(len(s.params) for s in sets.values())
    return (f"model {protocol.model}, {len(protocol.layers)} layer(s), {len(sets)} stimulus set(s), "
            f"{n_stim} stimuli per layer")
