"""``v1lab validate``: every check a run would make before recording, without recording anything."""

from __future__ import annotations

from pathlib import Path

from v1lab.stimuli import MAX_STIMULI

__all__ = ["validate_protocol"]


def validate_protocol(path: str | Path, overrides: dict | None = None, *, trust_code: bool = False,
                      max_stimuli: int = MAX_STIMULI) -> str:
    """Check schema, stimulus sets (including colour gamut), analysis roles, criteria, sections, model and layer
    names.

    The model is loaded to check the layers, so a protocol file's ``python:`` model is imported only with
    ``trust_code`` (see :func:`v1lab.protocol.prepare.check_trust`). Returns a one-line summary; raises a
    one-line :class:`~v1lab.errors.V1labError` on the first problem.
    """
    from v1lab.models import load_model
    from v1lab.protocol.prepare import check_layers, prepare_run

    prepared = prepare_run(Path(path), overrides, trust_code=trust_code, max_stimuli=max_stimuli)
    protocol, sets = prepared.protocol, prepared.sets
    check_layers(prepared, load_model(protocol.model, device="cpu").module)
    n_stim = sum(len(s.params) for s in prepared.stage1.values())
    per_optimum = sum(len(sets[name].params) * len(ref.size_rf or [1]) for name, ref in prepared.closed_loop.items())
    closed = (f" + {per_optimum} closed-loop stimuli per distinct optimum ({', '.join(prepared.closed_loop)})"
              if prepared.closed_loop else "")
    sections = [name for name, value in (("preferred_stimuli", protocol.preferred_stimuli),
                                         ("lesion", protocol.lesion)) if value is not None]
    return (f"model {protocol.model}, {len(protocol.layers)} layer(s), {len(sets)} stimulus set(s), "
            f"{n_stim} stimuli per layer{closed}" + (f"; sections: {', '.join(sections)}" if sections else ""))
