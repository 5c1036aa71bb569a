"""Everything a run checks before it records: the protocol, its stimulus sets, its sections, the model's layers.

Nothing is written here: a protocol that fails any check creates no run folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from v1lab.errors import LayerError, ProtocolError, ReferenceDataError, UntrustedCodeError
from v1lab.protocol.loading import apply_overrides, load_protocol, parse_protocol
from v1lab.protocol.schema import LayerSpec, Protocol
from v1lab.protocol.stimulus_files import load_protocol_stimuli
from v1lab.references import match_references
from v1lab.stimuli import MAX_STIMULI

__all__ = ["PreparedRun", "prepare_run", "check_trust", "lesion_config", "check_layers"]


@dataclass(frozen=True)
class PreparedRun:
    """A checked protocol: the protocol, where it came from, its stimulus sets by name, the layers its
    preferred-stimulus section visualises and its lesion section with the layer resolved."""

    protocol: Protocol
    source: Path
    sets: dict
    preferred_layers: tuple[LayerSpec, ...]
    lesion: object | None
    closed_loop: dict = field(default_factory=dict)

    @property
    def stage1(self) -> dict:
        """The sets shown to every unit alike, by name."""
        return {name: s for name, s in self.sets.items() if name not in self.closed_loop}


def _parse(protocol, overrides: dict | None) -> tuple[Protocol, Path]:
    """The protocol (a path, a mapping or a Protocol) with ``overrides`` applied, and the path stimulus files are
    looked up from (a mapping or object: the current directory)."""
    if isinstance(protocol, (str, Path)):
        path = Path(protocol)
        return load_protocol(path, overrides), path
    if isinstance(protocol, Protocol):
        protocol = protocol.model_dump(mode="json", exclude_none=True)
    if not isinstance(protocol, dict):
        raise ProtocolError(f"protocol: expected a path, a mapping or a Protocol, got {type(protocol).__name__}")
    data = apply_overrides(protocol, overrides) if overrides else protocol
    return parse_protocol(data, source="<protocol>"), Path.cwd() / "<protocol>"


def check_trust(protocol: Protocol, path: Path, *, from_file: bool, trust_code: bool) -> None:
    """Refuse a ``python:`` model spec that a protocol file names, unless the caller trusts the file.

    A spec given by the person running v1lab (``--model``, ``--set model=...``, ``model=`` or a mapping in
    Python) is theirs; one read from a protocol file is data, and importing it would run the file's code.
    """
    if from_file and protocol.model.startswith("python:") and not trust_code:
        raise UntrustedCodeError(
            f"{path}: field 'model': {protocol.model!r} would import and run Python code named by the protocol "
            "file; expected a model spec that runs no code (a zoo name, torchvision/NAME, checkpoint:FILE?arch=...)"
            ", or --trust-code (Python: trust_code=True) if you trust this file, or --model SPEC")


def prepare_run(protocol, overrides: dict | None = None, *, trust_code: bool = False,
                max_stimuli: int = MAX_STIMULI) -> PreparedRun:
    """Load and check a protocol, its stimulus sets, references and sections, without running anything.

    Parameters
    ----------
    protocol : path, dict or Protocol
        A protocol file, or its content given in Python.
    overrides : dict, optional
        Dotted-key overrides (the command line's ``--model``, ``--set``, ...).
    trust_code : bool
        Allow a protocol file's ``python:`` model spec (:func:`check_trust`).
    max_stimuli : int
        Most stimuli per layer (:data:`v1lab.stimuli.MAX_STIMULI` by default).

    Every problem is a one-line :class:`~v1lab.errors.ProtocolError` naming the file and the field.
    """
    parsed, path = _parse(protocol, overrides)
    check_trust(parsed, path, from_file=isinstance(protocol, (str, Path)) and "model" not in (overrides or {}),
                trust_code=trust_code)
    sets = load_protocol_stimuli(parsed, path, max_stimuli=max_stimuli)
    try:
        match_references(parsed.references)
    except ReferenceDataError as exc:
        raise ProtocolError(f"{path}: field 'references': {exc}") from None
    preferred: tuple[LayerSpec, ...] = ()
    try:
        if parsed.preferred_stimuli is not None:
            names = parsed.preferred_stimuli.layers or [parsed.layers[0].title]
            preferred = tuple(parsed.layer(n, f"preferred_stimuli.layers.{i}") for i, n in enumerate(names))
        lesion = parsed.lesion
        if lesion is not None:
            spec = parsed.layer(lesion.layer, "lesion.layer")
            lesion = lesion.model_copy(update={"label": spec.title})
    except ProtocolError as exc:
        raise ProtocolError(f"{path}: {exc}") from None
    parsed = _with_image_folders(parsed, path)
    if lesion is not None:
        lesion = lesion.model_copy(update={"images": parsed.lesion.images})
    return PreparedRun(parsed, path, sets, preferred, lesion, _closed_loop(parsed, sets, path))


def _with_image_folders(protocol: Protocol, path: Path) -> Protocol:
    """The protocol with its image folders (``preferred_stimuli.images``, ``lesion.images``) made absolute,
    relative to the protocol file, and checked to exist."""
    update = {}
    for section in ("preferred_stimuli", "lesion"):
        config = getattr(protocol, section)
        if config is None or config.images is None:
            continue
        folder = Path(config.images).expanduser()
        folder = folder if folder.is_absolute() else (path.parent / folder)
        if not folder.is_dir():
            raise ProtocolError(f"{path}: field '{section}.images': folder {folder} not found; expected an "
                                "ImageNet-style folder of photos (the 1000-photo sample lives in "
                                "../shared/data/imagenet-sample beside the checkout)")
        update[section] = config.model_copy(update={"images": str(folder.resolve())})
    return protocol.model_copy(update=update) if update else protocol


def _closed_loop(protocol: Protocol, sets: dict, path: Path) -> dict:
    """``{set name: StimulusRef}`` of the closed-loop sets, checked: they need a luminance sweep to take each
    unit's optimum from, a family with orientation and SF (and size, for ``size_rf``)."""
    refs = {}
    for i, (ref, name) in enumerate(zip(protocol.stimuli, sets)):
        if ref.at is None:
            continue
        where = f"{path}: field 'stimuli.{i}.at'"
        lum = protocol.analyses.roles.luminance_gratings
        if lum is None or lum == name:
            raise ProtocolError(f"{where}: a closed-loop set needs analyses.roles.luminance_gratings naming another "
                                "set, which gives each unit's optimum")
        columns = sets[name].params.columns
        if "orientation_deg" not in columns or "sf_cpd" not in columns:
            raise ProtocolError(f"{where}: set '{name}' (family {sets[name].family}) has no orientation_deg and "
                                "sf_cpd to set at each unit's optimum; expected a grating-like family")
        if ref.size_rf is not None and (sets[name].params["size_deg"].nunique(dropna=False) != 1):
            raise ProtocolError(f"{path}: field 'stimuli.{i}.size_rf': set '{name}' varies size_deg; expected one "
                                "size_deg, which size_rf replaces")
        refs[name] = ref
    return refs


def lesion_config(prepared: PreparedRun, module):
    """The lesion section for ``module``: its ``layer`` is a module of the network (the name given, where the
    network has such a module, else the named protocol layer's module) and its ``label`` the protocol layer's."""
    lesion = prepared.lesion
    if lesion is None:
        return None
    if lesion.layer in dict(module.named_modules()):
        return lesion
    return lesion.model_copy(update={"layer": prepared.protocol.layer(lesion.layer, "lesion.layer").name})


def check_layers(prepared: PreparedRun, module) -> None:
    """Every layer the protocol names exists in ``module`` (a one-line error naming the field otherwise)."""
    from v1lab.recording import resolve_layer

    fields = [(f"layers.{i}.name", spec.name) for i, spec in enumerate(prepared.protocol.layers)]
    if prepared.lesion is not None:
        fields.append(("lesion.layer", lesion_config(prepared, module).layer))
    for key, name in fields:
        try:
            resolve_layer(module, name)
        except LayerError as exc:
            raise ProtocolError(f"{prepared.source}: field '{key}': {exc}") from None
    from v1lab.recording.blocks import BLOCK_MODES, residual_block

    for i, spec in enumerate(prepared.protocol.layers):
        if spec.response in BLOCK_MODES:
            try:
                residual_block(module, spec.name)
            except LayerError as exc:
                raise ProtocolError(f"{prepared.source}: field 'layers.{i}.response': {exc}") from None
