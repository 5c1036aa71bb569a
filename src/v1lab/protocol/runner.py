"""Run a protocol: record every layer's centre units on every stimulus set, then analyse and report.

The loop is ``layer -> stimulus set -> batches``: stimuli are rendered on the recording device directly on the
canvas that the layer's centre unit sees (the exact crop, see docs/recording.md), and the network runs only up
to that layer. Each (layer, set) result is written atomically as soon as it is complete, so an interrupted run
resumes from the first missing file and gives results identical to an uninterrupted one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from pydantic import ValidationError
from tqdm.auto import tqdm

from v1lab._atomic import atomic_path
from v1lab.errors import ProtocolError, ReferenceDataError
from v1lab.models import load_model
from v1lab.population import applicable_references, write_tables
from v1lab.protocol.run_folder import RunFolder
from v1lab.protocol.schema import Protocol, load_protocol
from v1lab.protocol.stimulus_files import load_protocol_stimuli
from v1lab.references import match_references
from v1lab.recording import (
    CentreUnitRecorder,
    load_responses,
    resolve_device,
    responses_to_dataarray,
    save_responses,
)

__all__ = ["PreparedRun", "protocol_text", "prepare_run", "run_protocol", "record_layer", "layer_responses"]


def protocol_text(protocol: Protocol) -> str:
    """The effective protocol as YAML (what the run folder stores and what ``--resume`` compares)."""
    return yaml.safe_dump(protocol.model_dump(mode="json", exclude_none=True), sort_keys=False)


@dataclass(frozen=True)
class PreparedRun:
    """A checked protocol: its stimulus sets and every section validated by its own schema."""

    protocol: Protocol
    sets: dict
    roles: object
    criteria: object
    preferred: object | None
    lesion: dict | None


def prepare_run(path: str | Path, overrides: dict | None = None) -> PreparedRun:
    """Load and check a protocol, its stimulus sets and its sections without running anything.

    Every problem is a one-line :class:`~v1lab.errors.ProtocolError` naming the file and the field.
    """
    from v1lab.characterise import AnalysisRoles
    from v1lab.classify import ClassificationCriteria
    from v1lab.lesion.config import LesionConfig
    from v1lab.preferred.experiment import PreferredConfig

    path = Path(path)
    protocol = load_protocol(path, overrides)
    sets = load_protocol_stimuli(protocol, path)
    try:
        match_references(protocol.references)
    except ReferenceDataError as exc:
        raise ProtocolError(f"{path}: field 'references': {exc}") from None
    roles = _section(AnalysisRoles, protocol.analyses.roles, "analyses.roles", path)
    criteria = _section(ClassificationCriteria, protocol.analyses.criteria, "analyses.criteria", path)
    preferred = _section(PreferredConfig, protocol.preferred_stimuli, "preferred_stimuli", path)
    if preferred is not None:
        titles = [layer.title for layer in protocol.layers]
        unknown = [name for name in preferred.layers or [] if name not in titles]
        if unknown:
            raise ProtocolError(f"{path}: field 'preferred_stimuli.layers': {unknown} are not the protocol's layers "
                                f"({', '.join(titles)})")
    # the lesion schema fills units_table/responses from the run folder later; check the rest now
    _section(LesionConfig, protocol.lesion, "lesion", path)
    return PreparedRun(protocol, sets, roles, criteria, preferred, protocol.lesion)


def _section(schema, data: dict | None, name: str, path: Path):
    """``schema(**data)``, or None for an absent section; a validation error names the field."""
    if data is None:
        return None
    try:
        return schema(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join([name, *(str(p) for p in err["loc"])])
        raise ProtocolError(f"{path}: field '{field}': {err['msg']}") from None


def record_layer(recorder: CentreUnitRecorder, stim, geometry, *, batch_size: int, progress=None) -> np.ndarray:
    """Responses (n_stimuli, n_channels) of the recorder's centre units to every stimulus of ``stim``.

    Stimuli are rendered on the recording device one batch at a time, so memory does not grow with the
    size of the set.
    """
    n = len(stim.params)
    out = []
    for start in range(0, n, batch_size):
        rows = np.arange(start, min(start + batch_size, n))
        images = stim.render(geometry, rows, device=recorder.device)
        out.append(recorder.record(images))
        if progress is not None:
            progress.update(len(rows))
    return torch.cat(out).numpy() if out else np.zeros((0, recorder.n_channels), np.float32)


def layer_responses(folder: RunFolder, layer: str, set_names: list[str]):
    """The recorded responses of one layer over all its sets, joined along the stimulus dimension.

    Parameters that a set does not have are NaN (numbers) or "" (text) for its stimuli.
    """
    tables, values, blank, last = [], [], None, None
    for name in set_names:
        last, blank = load_responses(folder.responses_path(layer, name))
        tables.append(pd.DataFrame({c: last.coords[c].values for c in last.coords
                                    if last.coords[c].dims == ("stimulus",) and c != "stimulus"}))
        values.append(last.values)
    joined = responses_to_dataarray(np.concatenate(values, axis=1).T, pd.concat(tables, ignore_index=True),
                                    layer=layer, channels=last.channel.values, attrs=dict(last.attrs))
    return joined, blank


def run_protocol(path: str | Path, *, overrides: dict | None = None, out: str | Path | None = None,
                 resume: str | Path | None = None, device: str | None = None, progress: bool = True,
                 argv: list[str] | None = None) -> RunFolder:
    """Run the protocol file at ``path``; return the run folder (new, or the resumed one)."""
    from v1lab.characterise import characterise_layer

    overrides = dict(overrides or {})
    if device is not None:
        overrides["device"] = device
    prepared = prepare_run(path, overrides)
    protocol, sets = prepared.protocol, prepared.sets
    text = protocol_text(protocol)
    dev = resolve_device(protocol.device)
    torch.manual_seed(protocol.seed)

    model = load_model(protocol.model, device=dev)
    folder = (RunFolder.resume(resume, text) if resume is not None
              else RunFolder.create(protocol.output.root, protocol.name, out=out))
    folder.start(protocol_text=text, model_spec=protocol.model, weights_sha256=model.weights_sha256,
                 device=str(dev), seed=protocol.seed, argv=argv)
    print(f"v1lab: run folder {folder.path}", flush=True)

    t0 = time.perf_counter()
    tables = []
    for layer in protocol.layers:
        recorder = CentreUnitRecorder(model, layer.name, response=layer.response, device=dev,
                                      batch_size=protocol.output.batch_size, ppd=protocol.ppd)
        geometry = recorder.canvas
        channels = protocol.units.channels(recorder.n_channels)
        todo = [s for s in sets.values() if not folder.responses_path(layer.title, s.name).exists()]
        bar = tqdm(total=sum(len(s.params) for s in todo), unit="stim", desc=layer.title,
                   disable=not progress, leave=True)
        with bar:
            blank = None
            for stim in todo:
                if blank is None:
                    blank = recorder.record(stim.blank(geometry, device=dev)).cpu().numpy()[0, channels]
                responses = record_layer(recorder, stim, geometry, batch_size=protocol.output.batch_size,
                                         progress=bar)
                data = responses_to_dataarray(
                    responses[:, channels], stim.params.assign(set=stim.name), layer=layer.title,
                    channels=channels, attrs=_layer_attrs(protocol.model, layer, recorder))
                save_responses(folder.responses_path(layer.title, stim.name), data, blank)
        joined, blank = layer_responses(folder, layer.title, list(sets))
        tables.append(characterise_layer(joined, blank, prepared.roles, prepared.criteria,
                                         fits=protocol.analyses.fits))
    units = pd.concat(tables, ignore_index=True)
    _write_table(folder, "units", units, protocol.output.formats)
    recorded = time.perf_counter() - t0
    if prepared.preferred is not None:
        _preferred(prepared.preferred, protocol, model, folder, units, dev)
    if prepared.lesion is not None:
        _lesion(prepared.lesion, model, folder, dev, progress)
    write_tables(units, folder.path, references=applicable_references(protocol.references, units),
                 seed=protocol.seed, layer_order=[layer.title for layer in protocol.layers])
    if protocol.output.report:
        from v1lab.report import build_report

        print(f"v1lab: report {build_report(folder.path)}", flush=True)
    folder.finish(recording_seconds=round(recorded, 3), total_seconds=round(time.perf_counter() - t0, 3),
                  n_units=len(units))
    return folder


def _preferred(config, protocol: Protocol, model, folder: RunFolder, units: pd.DataFrame, device) -> None:
    """Preferred stimuli of the chosen layers, cross-checked with this run's units (``RUN/preferred/``)."""
    from v1lab.preferred.experiment import run_preferred

    chosen = config.layers or [protocol.layers[0].title]
    for layer in protocol.layers:
        out = folder.path / "preferred"
        if layer.title not in chosen or (out / f"gallery_{layer.title}.png").exists():
            continue  # not asked for, or done before an interruption
        run_preferred(model, layer.name, out, label=layer.title, units=units, reference="tuning curves (units.csv)",
                      images=config.images, steps=config.steps, channels=config.channels, k=config.k,
                      max_images=config.max_images, seed=config.seed, ppd=protocol.ppd, device=device)


def _lesion(section: dict, model, folder: RunFolder, device, progress: bool) -> None:
    """The lesion experiment in its own run folder ``RUN/lesion/`` (resumed if it was interrupted)."""
    from v1lab.lesion.config import LesionConfig
    from v1lab.lesion.experiment import config_text, run_lesion_on_model

    config = LesionConfig(**{"units_table": str(folder.file("units.csv")), "responses": str(folder.path),
                             **section})
    text = config_text(config, model.spec)
    path = folder.path / "lesion"
    sub = RunFolder.resume(path, text) if (path / "manifest.json").is_file() else RunFolder.create(
        folder.path, "lesion", out=path)
    sub.start(protocol_text=text, model_spec=model.spec, weights_sha256=model.weights_sha256,
              device=str(device), seed=config.seed)
    result, n = run_lesion_on_model(model, config, sub, device=device, progress=progress)
    sub.finish(silenced_module=result.silenced, n_images=n, n_sets=int(len(result.lesions)), verdicts=result.verdicts)


def _layer_attrs(model_spec: str, layer, recorder: CentreUnitRecorder) -> dict:
    """Metadata stored with each response file: what was recorded, where, and on which canvas."""
    rf, geometry = recorder.receptive_field, recorder.canvas
    return {
        "model": model_spec,
        "module": layer.name,
        "response": layer.response,
        "rf_size_px": list(rf.size),
        "rf_jump_px": list(rf.jump),
        "rf_centre_px": list(recorder.rf_centre),
        "crop_box_px": list(recorder.crop_box),
        "canvas_centre_px": [geometry.centre_y_px, geometry.centre_x_px],
        "ppd": geometry.ppd,
    }


def _write_table(folder: RunFolder, stem: str, table: pd.DataFrame, formats) -> None:
    for fmt in formats:
        with atomic_path(folder.file(f"{stem}.{fmt}")) as tmp:
            if fmt == "csv":
                table.to_csv(tmp, index=False)
            else:
                table.to_parquet(tmp, index=False)
