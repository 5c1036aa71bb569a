"""Find and load the stimulus sets a protocol names.

A protocol entry ``file: NAME`` (or just ``NAME``) is looked up, in order, as a path relative to the protocol
file, as ``stimuli/NAME.yaml`` beside the protocol's folder (the repository layout: ``protocols/`` next to
``stimuli/``), and as ``stimuli/NAME.yaml`` under the current directory. ``inline:`` entries hold the set itself.
"""

from __future__ import annotations

from pathlib import Path

from v1lab.errors import ProtocolError
from v1lab.protocol.schema import Protocol
from v1lab.safe_yaml import read_yaml
from v1lab.stimuli import MAX_STIMULI, StimulusSet, build_stimulus_set, parse_stimulus_set
from v1lab.stimuli.schema import check_stimulus_count

__all__ = ["find_stimulus_file", "load_protocol_stimuli"]


def find_stimulus_file(ref: str, protocol_path: Path) -> Path:
    """Resolve a protocol's stimulus reference to an existing file."""
    base = protocol_path.parent
    names = [ref] if ref.endswith((".yaml", ".yml")) else [f"{ref}.yaml", ref]
    candidates = []
    for name in names:
        candidates += [base / name, base.parent / "stimuli" / name, Path.cwd() / "stimuli" / name]
    for path in candidates:
        if path.is_file():
            return path
    raise ProtocolError(
        f"{protocol_path}: field 'stimuli': no stimulus-set file '{ref}' "
        f"(looked in {base}, {base.parent / 'stimuli'}, {Path.cwd() / 'stimuli'})"
    )


def load_protocol_stimuli(protocol: Protocol, protocol_path: Path, *,
                          max_stimuli: int = MAX_STIMULI) -> dict[str, StimulusSet]:
    """The protocol's stimulus sets by name, in protocol order, at the protocol's pixels per degree.

    Every set is validated, and the stimuli per layer counted (closed-loop sets: per optimum), before any grid
    is expanded: more than ``max_stimuli`` is an error that states the predicted cost. Duplicate names, and
    analysis roles naming a set the protocol does not show, are errors.
    """
    models = []
    for i, ref in enumerate(protocol.stimuli):
        if ref.file is not None:
            path = find_stimulus_file(ref.file, protocol_path)
            source, data = str(path), read_yaml(path)
        else:
            source, data = f"{protocol_path}: stimuli.{i}.inline", ref.inline
        models.append((parse_stimulus_set(data, source=source), source))
    total = sum(model.n_stimuli * len(ref.size_rf or [1]) for (model, _), ref in zip(models, protocol.stimuli))
    check_stimulus_count(total, max_stimuli, f"{protocol_path}: field 'stimuli'")
    sets: dict[str, StimulusSet] = {}
    for i, (model, source) in enumerate(models):
        stim = build_stimulus_set(model, source=source)
        if stim.ppd != protocol.ppd:
            stim = stim.with_ppd(protocol.ppd)
        if stim.name in sets:
            raise ProtocolError(f"{protocol_path}: field 'stimuli.{i}': stimulus set '{stim.name}' is listed twice")
        sets[stim.name] = stim
    for role, name in protocol.analyses.roles.named().items():
        if name not in sets:
            raise ProtocolError(
                f"{protocol_path}: field 'analyses.roles.{role}': '{name}' is not one of the protocol's "
                f"stimulus sets ({', '.join(sets)})"
            )
    return sets
