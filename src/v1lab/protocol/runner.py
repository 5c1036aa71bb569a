"""Run a protocol: record every layer's centre units on every stimulus set, then analyse and report.

The loop is ``layer -> stimulus set -> batches``: stimuli are rendered on the recording device directly on the
canvas that the layer's centre unit sees (the exact crop, see docs/recording.md), and the network runs only up
to that layer; batches are sized to ``output.max_memory`` (:func:`~v1lab.recording.memory.plan_memory`). Each
set's responses are written atomically as soon as they are complete; once a layer has all its sets, they become
one responses Dataset (``responses/<layer>.nc``), characterised in memory. An interrupted run resumes from the
first missing file and gives results identical to an uninterrupted one.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from tqdm.auto import tqdm

from v1lab.characterisation.closed_loop import closed_loop_optima, closed_loop_set
from v1lab.errors import RunFolderError
from v1lab.models import load_model
from v1lab.models.in_memory import PREFIX as MODULE_PREFIX
from v1lab.progress import step
from v1lab.protocol.prepare import PreparedRun, check_layers, lesion_config, prepare_run
from v1lab.protocol.schema import Protocol, layer_entry
from v1lab.recording import CentreUnitRecorder, layer_dataset, load_layer, plan_memory, resolve_device, save_layer
from v1lab.recording.memory import release_free_memory
from v1lab.runs import Run, RunFolder, marking, recording, resume_command
from v1lab.stimuli import MAX_STIMULI
from v1lab.units import write_units

__all__ = ["protocol_text", "run_protocol"]


def protocol_text(protocol: Protocol) -> str:
    """The effective protocol as YAML (what the run folder stores and what ``--resume`` compares)."""
    return yaml.safe_dump(protocol.model_dump(mode="json", exclude_none=True), sort_keys=False)


def _overrides(overrides, model, layers, device) -> dict:
    out = dict(overrides or {})
    if isinstance(model, str):
        out["model"] = model
    elif model is not None:
        out["model"] = getattr(model, "spec", None) or f"{MODULE_PREFIX}{type(model).__name__}"
    if layers is not None:
        out["layers"] = [layer_entry(item) if isinstance(item, str) else item for item in layers]
    if device is not None:
        out["device"] = device
    return out


def run_protocol(protocol, *, model=None, layers=None, out=None, device: str | None = None,
                 overrides: dict | None = None, progress: bool = True, resume=None,
                 argv: list[str] | None = None, trust_code: bool = False, max_stimuli: int = MAX_STIMULI) -> Run:
    """Run a protocol as a virtual experiment; return the finished :class:`~v1lab.runs.Run`.

    Parameters
    ----------
    protocol : path, dict or Protocol
        A protocol file, its content as a mapping, or a :class:`~v1lab.protocol.Protocol`. Stimulus-set names
        of a mapping are looked up under the current directory.
    model : str, nn.Module or LoadedModel, optional
        Replaces the protocol's model: a spec string, or a model in hand (a plain module takes ImageNet
        preprocessing; see :func:`v1lab.load_model`).
    layers : list of str or dict, optional
        Replaces the protocol's layers: ``"MODULE"`` or ``"MODULE=LABEL"`` entries.
    out : path, optional
        A new (or empty) folder for the run; default ``output.root/<name>-<UTC time>``.
    device : {"auto", "cpu", "cuda"}, optional
        Replaces the protocol's device.
    overrides : dict, optional
        Dotted-key overrides of any protocol field, e.g. ``{"output.batch_size": 64}``.
    progress : bool
        Draw progress bars.
    resume : path, optional
        An interrupted (or failed) run folder to finish (same protocol and model).
    argv : list of str, optional
        The command line that started the run (stored in the manifest; ``--resume`` hints are built from it).
    trust_code : bool
        Allow a protocol *file* to name a ``python:`` model, which imports and runs that file. A spec given
        here (``model=``, ``overrides``) or a protocol given as a mapping is the caller's and always allowed.
    max_stimuli : int
        Most stimuli per layer (default :data:`v1lab.stimuli.MAX_STIMULI`); a protocol above it is refused
        with its predicted cost before anything is expanded or written.

    Raises
    ------
    v1lab.errors.V1labError
        A protocol that fails a check (nothing is written), or a run that fails (marked ``failed``).
    v1lab.runs.RunInterrupted
        SIGINT or SIGTERM during the run (marked ``interrupted``; its ``resume`` says how to finish it).
    """
    prepared = prepare_run(protocol, _overrides(overrides, model, layers, device), trust_code=trust_code,
                           max_stimuli=max_stimuli)
    with torch.random.fork_rng(devices=[]):   # the run is seeded by the protocol; the caller's state is kept
        torch.manual_seed(prepared.protocol.seed)
        return _run(prepared, model, out, resume, progress, argv)


def _run(prepared: PreparedRun, model, out, resume, progress: bool, argv) -> Run:
    p = prepared.protocol
    dev = resolve_device(p.device)
    loaded = load_model(model if model is not None and not isinstance(model, str) else p.model, device=dev)
    check_layers(prepared, loaded.module)
    text = protocol_text(p)
    folder = RunFolder.create(p.output.root, p.name, out=out) if resume is None else RunFolder(resume)
    if resume is not None:
        folder.read_manifest()   # a run folder, before its lock is taken
    with folder.locked():
        _start(folder, resume, text, loaded, dev, p.seed, argv)
        print(f"v1lab: run folder {folder.path}", flush=True)
        with recording(folder, resume_command(argv, folder.path)):
            t0 = time.perf_counter()
            units = pd.concat([_layer_units(prepared, loaded, spec, folder, dev, progress) for spec in p.layers],
                              ignore_index=True)
            write_units(units, folder.path, p.output.formats)
            recorded = time.perf_counter() - t0
            _sections(prepared, loaded, folder, units, dev, progress)
            from v1lab.population import applicable_references, write_tables

            with step("population and comparison tables", enabled=progress):
                write_tables(units, folder.path, references=applicable_references(p.references, units), seed=p.seed,
                             ppd=p.ppd, layer_order=[spec.title for spec in p.layers])
            folder.finish(recording_seconds=round(recorded, 3), total_seconds=round(time.perf_counter() - t0, 3),
                          n_units=len(units))
        if p.output.report:
            from v1lab.report import build_report

            release_free_memory()

            with step("report", enabled=progress):
                path = build_report(folder.path)
            print(f"v1lab: report {path}", flush=True)
    return Run(folder.path)


def _start(folder: RunFolder, resume, text: str, loaded, device, seed: int, argv) -> None:
    """Check a resumed run (same protocol, same weights) and write the manifest; a new folder that cannot be
    started is removed, so a failed start leaves nothing behind."""
    if resume is not None:
        RunFolder.resume(resume, text)
        previous = folder.read_manifest().get("weights_sha256", loaded.weights_sha256)
        if previous != loaded.weights_sha256:
            raise RunFolderError(f"--resume {resume}: the model's weights differ from the run's (sha256 "
                                 f"{str(previous)[:12]}... vs {str(loaded.weights_sha256)[:12]}...)")
    try:
        folder.start(protocol_text=text, model_spec=loaded.spec, weights_sha256=loaded.weights_sha256,
                     device=str(device), seed=seed, argv=argv)
    except BaseException:
        if resume is None:
            folder.discard()
        raise


def _layer_units(prepared: PreparedRun, loaded, spec, folder: RunFolder, device, progress: bool) -> pd.DataFrame:
    """One layer: its responses Dataset (recorded, or read back when resuming) and its units-table rows."""
    from v1lab.characterisation import characterise_layer

    p = prepared.protocol
    path = folder.layer_path(spec.title)
    if path.exists():
        responses = load_layer(path)
    else:
        responses = _record_layer(prepared, loaded, spec, folder, device, progress)
        save_layer(path, responses)
        shutil.rmtree(folder.parts_folder(spec.title), ignore_errors=True)
    with step(f"{spec.title}: analysis and fits", enabled=progress):
        units = characterise_layer(responses, p.analyses.roles, p.analyses.criteria, fits=p.analyses.fits)
    release_free_memory()
    return units


def _record_layer(prepared: PreparedRun, loaded, spec, folder: RunFolder, device, progress: bool):
    """Record every set of one layer: the stage-1 sets, then the closed-loop sets at each unit's optimum (sets
    already on disk from an interrupted run are read back)."""
    p = prepared.protocol
    with step(f"{spec.title}: recorder set-up", enabled=progress):
        recorder = CentreUnitRecorder(loaded, spec.name, response=spec.response, device=device,
                                      batch_size=p.output.batch_size, ppd=p.ppd)
    if recorder.crop_note:
        print(f"v1lab: {recorder.crop_note}", flush=True)
    memory = plan_memory(recorder, p.output.max_memory, max_batch=p.output.batch_size)
    if memory.note:
        print(f"v1lab: {spec.title}: {memory.note}", flush=True)
    channels = p.units.channels(recorder.n_channels)
    blank = recorder.record(next(iter(prepared.sets.values())).blank(recorder.canvas, device=device))
    blank = blank.cpu().numpy()[0, channels]
    attrs = _layer_attrs(p, loaded, spec, recorder)

    def record(sets: dict, desc: str) -> list:
        parts, todo = [], [s for s in sets.values() if not folder.part_path(spec.title, s.name).exists()]
        with tqdm(total=sum(len(s) for s in todo), unit="stim", desc=desc, disable=not progress) as bar:
            for stim in sets.values():
                path = folder.part_path(spec.title, stim.name)
                if path.exists():
                    parts.append(_read_part(path, stim.name))
                    continue
                values = recorder.record_set(stim, batch_size=memory.record_batch,
                                             render_batch_size=memory.render_batch, progress=bar)[:, channels]
                save_layer(path, layer_dataset([(stim.name, stim.params, values)], blank, channels=channels,
                                               attrs=attrs))
                parts.append((stim.name, stim.params, values))
        return parts

    parts = record(prepared.stage1, spec.title)
    if not prepared.closed_loop:
        return layer_dataset(parts, blank, channels=channels, attrs=attrs)
    stage1 = layer_dataset(parts, blank, channels=channels, attrs=attrs)
    optima = closed_loop_optima(stage1, p.analyses.roles, p.analyses.criteria, p.analyses.closed_loop)
    stage2 = {}
    for name, ref in prepared.closed_loop.items():
        stim = closed_loop_set(prepared.sets[name], optima, sizes_deg=_sizes(ref.size_rf, recorder))
        if stim is not None:
            stage2[name] = stim
    parts += record(stage2, f"{spec.title} at optima")
    return layer_dataset(parts, blank, channels=channels, attrs=attrs,
                         unit_variables={name: optima[name].to_numpy() for name in optima.columns})


def _sizes(size_rf, recorder: CentreUnitRecorder):
    """Aperture diameters (deg) at multiples of the layer's receptive field, capped at the canvas diagonal."""
    if size_rf is None:
        return None
    ppd, (h, w) = recorder.ppd, recorder.canvas_shape
    rf_deg, cap = max(recorder.receptive_field.size) / ppd, float(np.hypot(h, w)) / ppd
    return sorted({round(min(k * rf_deg, cap), 9) for k in size_rf})


def _read_part(path: Path, name: str) -> tuple:
    """(set name, parameter table, responses (n_stimuli, n_units)) of a set recorded before an interruption."""
    ds = load_layer(path)
    params = pd.DataFrame({c: ds[c].values for c in ds.coords
                           if ds[c].dims == ("stimulus",) and c not in ("stimulus_id", "set")})
    return name, params, ds["responses"].transpose("stimulus", "unit").values


def _layer_attrs(p: Protocol, loaded, spec, recorder: CentreUnitRecorder) -> dict:
    """What was recorded, where, and on which canvas: the responses Dataset's global attributes."""
    rf, geometry = recorder.receptive_field, recorder.canvas
    return {
        "model": loaded.spec, "weights_sha256": loaded.weights_sha256, "seed": p.seed, "ppd": geometry.ppd,
        "layer": spec.title, "module": spec.name, "response": spec.response,
        "rf_size_px": list(rf.size), "rf_size_deg": [s / geometry.ppd for s in rf.size],
        "rf_jump_px": list(rf.jump), "rf_centre_px": list(recorder.rf_centre), "crop_box_px": list(recorder.crop_box),
        "canvas_centre_px": [geometry.centre_y_px, geometry.centre_x_px],
    }


def _strongest_per_class(layer_units: pd.DataFrame, n: int) -> list[int]:
    """The ``n`` responsive units of each cell class with the largest response above the blank, by channel."""
    live = layer_units[layer_units["responsive"].fillna(False).astype(bool)]
    top = live.sort_values("peak_response_above_blank", ascending=False).groupby("cell_class").head(n)
    return sorted(int(c) for c in top["channel"])


def _sections(prepared: PreparedRun, loaded, folder: RunFolder, units: pd.DataFrame, device, progress) -> None:
    """The preferred-stimulus (``RUN/preferred/``) and lesion (``RUN/lesion/``) sections, where present."""
    p = prepared.protocol
    config = p.preferred_stimuli
    for spec in prepared.preferred_layers:
        out = folder.path / "preferred"
        if (out / f"gallery_{spec.title}.png").exists():
            continue  # done before an interruption
        from v1lab.preferred import run_preferred

        channels = config.channels
        if channels is None and config.per_class is not None and spec != p.layers[0]:
            channels = _strongest_per_class(units[units["layer"] == spec.title], config.per_class)
        run_preferred(loaded, spec.name, out, label=spec.title, units=units, reference="tuning curves (units table)",
                      images=config.images, steps=config.steps, channels=channels, k=config.k,
                      max_images=config.max_images, seed=config.seed, ppd=p.ppd, device=device, progress=progress)
        release_free_memory()
    lesion = lesion_config(prepared, loaded.module)
    if lesion is None:
        return
    from v1lab.lesion.experiment import config_text, run_lesion_on_model

    lesion = lesion.model_copy(update={
        "units_table": lesion.units_table or (str(folder.path) if lesion.class_groups else None),
        "responses": lesion.responses or str(folder.path)})
    text = config_text(lesion, loaded.spec)
    path = folder.path / "lesion"
    sub = RunFolder.resume(path, text) if (path / "manifest.json").is_file() else RunFolder.create(
        folder.path, "lesion", out=path)
    sub.start(protocol_text=text, model_spec=loaded.spec, weights_sha256=loaded.weights_sha256,
              device=str(device), seed=lesion.seed)
    with marking(sub):
        result, n = run_lesion_on_model(loaded, lesion, sub, device=device, progress=progress)
        sub.finish(silenced_module=result.silenced, n_images=n, n_sets=int(len(result.lesions)),
                   verdicts=result.verdicts, notes=result.notes)
