"""What a run will do and how long it will take on this device: ``v1lab run --dry-run``.

Nothing is written. Each layer's recorder is set up and a calibration batch of the protocol's stimuli is
rendered and recorded (after one warm-up batch), which gives the seconds per stimulus; the fits, the analysis,
the preferred-stimulus optimisation and patch search and the lesion's forward passes are timed on small
batches of the same shapes. The batch sizes and the peak memory of rendering and recording under
``output.max_memory`` come from :func:`~v1lab.recording.memory.plan_memory` (a probe forward pass per layer,
and this process's memory as the baseline). Closed-loop sets are counted at the most distinct optima they can have (the
rounding lattice, or the layer's channels if fewer), so their part of the prediction is an upper bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from v1lab.protocol.prepare import PreparedRun, lesion_config
from v1lab.recording.memory import format_bytes
from v1lab.stimuli import MAX_STIMULI

__all__ = ["LayerPlan", "RunPlan", "plan_run", "plan_protocol"]

_CALIBRATION = 48          # stimuli recorded per layer to time it
_IMAGE_BATCH = 8           # photos pushed through the network to time a forward pass


@dataclass(frozen=True)
class LayerPlan:
    """One layer: stimuli (stage 1, closed loop at most), seconds per stimulus, the predicted seconds, and the
    batch and predicted peak memory (bytes) of rendering and recording."""

    layer: str
    channels: int
    stage1: int
    closed_loop: int
    seconds_per_stimulus: float
    setup_s: float
    fits_s: float
    record_seconds_per_stimulus: float
    batch: int
    peak_bytes: int

    @property
    def seconds(self) -> float:
        return self.setup_s + (self.stage1 + self.closed_loop) * self.seconds_per_stimulus + self.fits_s


@dataclass(frozen=True)
class RunPlan:
    """The predicted cost of a run: per layer, then the sections and the tables."""

    device: str
    layers: list[LayerPlan]
    max_memory: int
    preferred: dict[str, float] = field(default_factory=dict)
    lesion_passes: int = 0
    lesion_s: float = 0.0
    tables_s: float = 0.0

    @property
    def total_s(self) -> float:
        return sum(p.seconds for p in self.layers) + sum(self.preferred.values()) + self.lesion_s + self.tables_s

    def __str__(self) -> str:
        lines = [f"plan on {self.device} (predicted from calibration batches):",
                 f"{'layer':<12}{'channels':>9}{'stimuli':>9}{'closed loop <=':>15}{'ms/stim':>9}{'fits s':>8}"
                 f"{'total s':>9}{'batch':>7}{'peak GB':>9}"]
        for p in self.layers:
            lines.append(f"{p.layer:<12}{p.channels:>9}{p.stage1:>9}{p.closed_loop:>15}"
                         f"{1000 * p.seconds_per_stimulus:>9.2f}{p.fits_s:>8.1f}{p.seconds:>9.1f}{p.batch:>7}"
                         f"{p.peak_bytes / 1e9:>9.2f}")
        peak = max(p.peak_bytes for p in self.layers)
        lines.append(f"predicted peak memory of rendering and recording: {format_bytes(peak)} "
                     f"(output.max_memory {format_bytes(self.max_memory)}"
                     f"{'' if peak <= self.max_memory else ', exceeded: one stimulus at a time'})")
        for layer, seconds in self.preferred.items():
            lines.append(f"preferred stimuli {layer}: {seconds:.0f} s (optimisation and patch search)")
        if self.lesion_passes:
            lines.append(f"lesion: at most {self.lesion_passes} image forward passes (every inactivity definition "
                         f"flagging units), {self.lesion_s:.0f} s")
        lines.append(f"population tables and report: {self.tables_s:.0f} s")
        lines.append(f"predicted total: {self.total_s:.0f} s ({self.total_s / 60:.1f} min)")
        return "\n".join(lines)


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _lattice_size(prepared: PreparedRun) -> int:
    """The most distinct rounded optima a closed-loop set can be shown at."""
    from v1lab.characterisation.closed_loop import lattice_size

    p = prepared.protocol
    params = prepared.sets[p.analyses.roles.luminance_gratings].params
    return lattice_size(params["orientation_deg"], params["sf_cpd"], p.analyses.closed_loop)


def _fit_seconds_per_unit(n_fits: int) -> float:
    """Seconds to fit ``n_fits`` tuning curves of one unit, timed on 64 synthetic von Mises curves."""
    from v1lab import fits as F

    x = np.arange(0.0, 180.0, 15.0)
    rng = np.random.default_rng(0)
    curves = F.von_mises(x, 0.1, 1.0, 2.0, rng.uniform(0, 180, (64, 1))) + 0.05 * rng.standard_normal((64, x.size))
    return n_fits * _timed(lambda: F.fit_von_mises_many(curves, x)) / 64


def _layer_plan(prepared: PreparedRun, loaded, spec, device, lattice: int, fit_s: float) -> LayerPlan:
    from v1lab.recording import CentreUnitRecorder, plan_memory

    p = prepared.protocol
    setup = time.perf_counter()
    rec = CentreUnitRecorder(loaded, spec.name, response=spec.response, device=device,
                             batch_size=p.output.batch_size, ppd=p.ppd)
    setup = time.perf_counter() - setup
    memory = plan_memory(rec, p.output.max_memory, max_batch=p.output.batch_size)
    stim = max(prepared.stage1.values(), key=len)
    rows = np.arange(min(_CALIBRATION, len(stim)))
    step = memory.record_batch
    rec.record(stim.render(rec.canvas, rows[:min(4, step)], device=rec.device))     # warm-up
    start = time.perf_counter()
    batch = stim.render(rec.canvas, rows, device=rec.device)
    rendered = time.perf_counter()
    for first in range(0, len(rows), step):                                          # in the run's batches
        rec.record(batch[first:first + step])
    done = time.perf_counter()
    per, record_per = (done - start) / len(rows), (done - rendered) / len(rows)
    channels = len(p.units.channels(rec.n_channels))
    per_optimum = sum(len(prepared.sets[n]) * len(ref.size_rf or [1]) for n, ref in prepared.closed_loop.items())
    closed = per_optimum * min(lattice, channels) if prepared.closed_loop else 0
    n_fits = sum(getattr(p.analyses.roles, role) is not None
                 for role in ("luminance_gratings", "luminance_gratings", "size_sweep", "contrast_sweep"))
    fits = fit_s * n_fits * channels if p.analyses.fits else 0.0
    return LayerPlan(spec.title, channels, sum(len(s) for s in prepared.stage1.values()), closed, per, setup, fits,
                     record_per, memory.record_batch, memory.peak)


def _forward_per_image(loaded, device, size: int) -> float:
    x = torch.rand(_IMAGE_BATCH, 3, size, size, device=device)
    with torch.no_grad():
        loaded.module(loaded.preprocessing.normalize(x[:2]))
        return _timed(lambda: loaded.module(loaded.preprocessing.normalize(x))) / _IMAGE_BATCH


def _preferred_plan(prepared: PreparedRun, loaded, device, layers: list[LayerPlan]) -> dict[str, float]:
    config = prepared.protocol.preferred_stimuli
    if config is None:
        return {}
    per_image = _forward_per_image(loaded, device, loaded.preprocessing.input_size)
    out = {}
    for spec in prepared.preferred_layers:
        plan = next(p for p in layers if p.layer == spec.title)
        units = len(config.channels) if config.channels else (
            plan.channels if config.per_class is None or spec == prepared.protocol.layers[0] else 7 * config.per_class)
        # optimisation: forward and backward (about 3 forward passes) of every unit's image on the recorder's
        # canvas, twice (max, min); nothing is rendered
        optimise = 2 * config.steps * units * 3 * plan.record_seconds_per_stimulus
        patches = (config.max_images or 1000) * per_image if config.images else 0.0
        out[spec.title] = optimise + patches
    return out


def plan_run(prepared: PreparedRun, loaded, device) -> RunPlan:
    """Calibrate on this device and predict the cost of the prepared run (nothing is written)."""
    from v1lab.images import ImageNetFolder

    p = prepared.protocol
    lattice = _lattice_size(prepared) if prepared.closed_loop else 0
    fit_s = _fit_seconds_per_unit(1)
    layers = [_layer_plan(prepared, loaded, spec, device, lattice, fit_s) for spec in p.layers]
    preferred = _preferred_plan(prepared, loaded, device, layers)
    passes, lesion_s = 0, 0.0
    lesion = lesion_config(prepared, loaded.module)
    if lesion is not None:
        n_images = len(ImageNetFolder(lesion.images))
        n_images = min(n_images, lesion.max_images) if lesion.max_images else n_images
        # at most the four inactivity definitions, and the class groups (five flags, not responsive, seven labels)
        tested = 4 + (13 if lesion.class_groups else 0)
        nulls = 2 if lesion.null == "both" else 1
        sets = tested * (1 + nulls * lesion.n_random) + (layers[0].channels if lesion.single_units else 0)
        passes = n_images * (1 + sets)
        lesion_s = passes * _forward_per_image(loaded, device, loaded.preprocessing.input_size)
    tables_s = 2.0 + 3.0 * len(layers) + 0.2 * len(p.references) * len(layers) * 5
    return RunPlan(str(device), layers, int(p.output.max_memory), preferred, passes, lesion_s, tables_s)


def plan_protocol(protocol, *, overrides: dict | None = None, device: str | None = None, trust_code: bool = False,
                  max_stimuli: int = MAX_STIMULI) -> RunPlan:
    """:func:`plan_run` of a protocol file or mapping (``v1lab run --dry-run``): every check a run makes, then the
    calibration. ``trust_code`` and ``max_stimuli`` are :func:`~v1lab.protocol.prepare.prepare_run`'s."""
    from v1lab.models import load_model
    from v1lab.protocol.prepare import check_layers, prepare_run
    from v1lab.recording import resolve_device

    prepared = prepare_run(protocol, {**(overrides or {}), **({"device": device} if device else {})},
                           trust_code=trust_code, max_stimuli=max_stimuli)
    dev = resolve_device(prepared.protocol.device)
    loaded = load_model(prepared.protocol.model, device=dev)
    check_layers(prepared, loaded.module)
    with torch.no_grad():
        return plan_run(prepared, loaded, dev)
