"""A memory budget for rendering and recording: how many stimuli to draw and to record at once.

A batch of ``b`` stimuli on an ``H x W`` canvas costs, besides what the process already holds (the baseline:
Python, torch, the model),

* the images: ``b * 3 * H * W`` float32 values, held until the batch is recorded;
* while drawing ``r <= b`` of them at a time: ``r * RENDER_BYTES_PER_PIXEL * H * W`` bytes
  (:meth:`v1lab.stimuli.StimulusSet.render` accumulates the sub-pixel samples at the canvas's own resolution);
* while recording: ``b`` times the forward pass's working set per stimulus, the largest sum of the activations
  alive at once up to the recorded layer (measured on a probe batch, :func:`forward_bytes_per_stimulus`), plus
  two copies of the images (normalised, and in the network's memory order).

:func:`plan_memory` picks the largest ``b`` (at most ``output.batch_size``) and ``r`` (at most ``b``) whose peak,
``baseline + WORKSPACE_BYTES + b * image + max(r * render, b * (2 * image + forward))``, fits the budget
(on the CPU ``b`` is also kept to ``b * forward <= CPU_WORKING_SET_BYTES``, which is faster, see there);
``WORKSPACE_BYTES`` allows for what a forward pass allocates once whatever the batch (convolution scratch space,
allocator slack: 30-45 MB on the CPU with resnet50-caffe's layer3 and a planted network). The peak does not grow
with ``output.batch_size`` or with the number of stimuli (only the responses, ``n_stimuli x n_channels``
float32, grow with the set). On the CPU the baseline is the process's resident set (``/proc/self/statm``, else
its peak from ``getrusage``); on CUDA the budget bounds the device's memory and the baseline is what torch has
allocated there.
"""

from __future__ import annotations

import ctypes
import functools
import math
import sys
import weakref
from dataclasses import dataclass

import torch

from v1lab.stimuli.stimulus_set import RENDER_BYTES_PER_PIXEL

__all__ = ["WORKSPACE_BYTES", "CPU_WORKING_SET_BYTES", "MemoryPlan", "baseline_bytes", "peak_live_bytes",
           "forward_bytes_per_stimulus", "working_set_batch", "plan_memory", "format_bytes",
           "release_free_memory"]

_FLOAT = 4           # bytes of a float32
#: Bytes allowed for one-off allocations of rendering and recording, independent of the batch (module docs).
WORKSPACE_BYTES = 64 * 2**20
_PROBE = 2           # stimuli in the probe batch of forward_bytes_per_stimulus
#: On the CPU, the most bytes of activations one recorded batch may hold. Bigger batches ran slower per stimulus
#: on a 2-core AMD EPYC (32 MiB L3): through resnet50-caffe's layer2 and layer3, batches of 64 took 1.36x and 1.47x
#: the time per stimulus of the fastest (4 stimuli, 7.5 and 32 MB); up to 64 MB the excess stayed within 1.24x and
#: 1.06x, and conv1 and layer1 batches under 64 MB were the fastest measured (``python -m benchmarks record_batch``,
#: ``benchmarks/results/record_batch.csv``, 2026-11-30).
CPU_WORKING_SET_BYTES = 64 * 2**20


def format_bytes(n: float) -> str:
    """``n`` bytes as decimal units (``1.23 GB``), the units ``output.max_memory`` reads."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n:.0f} B"


def baseline_bytes(device: torch.device) -> int:
    """What the process holds now: resident set on the CPU, torch's allocated memory on a CUDA device."""
    if device.type == "cuda":
        return int(torch.cuda.memory_allocated(device))
    import resource  # Unix only, as is the rest of this branch

    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize()
    except OSError:  # not Linux: the peak so far, an upper bound (bytes on macOS, KiB elsewhere)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Hand the C heap's free pages back to the operating system (glibc ``malloc_trim(0)``, man 3 malloc_trim).

    glibc serves blocks under its mmap threshold from its heaps, and raises that threshold to the largest block
    freed so far (up to 32 MiB on 64-bit), which torch's activation tensors reach; the pages of blocks freed in
    the middle of a heap then stay resident. A long run calls this between its steps (after each layer, each
    preferred-stimulus layer, each batch of lesioned images), so that its resident set follows what it holds:
    a resnet50-caffe lesion that had grown from 1.43 to 1.55 GB in 4 minutes went back to 1.34 GB at one call.
    Returns False where the C library has no ``malloc_trim`` (not glibc), doing nothing.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def _tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def peak_live_bytes(module: torch.nn.Module, call) -> int:
    """The most bytes of ``module``'s activations alive at once while ``call()`` runs it.

    Every leaf module's output is followed by a weak reference; after each leaf the bytes of the storages still
    referenced are summed, and the largest sum is returned. Residual branches held by a block while its main path
    runs are counted, as are in-place results once.
    """
    live: dict[int, tuple[weakref.ref, int]] = {}
    peak = 0

    def hook(_module, _args, output):
        nonlocal peak
        for t in _tensors(output):
            storage = t.untyped_storage()
            live[storage.data_ptr()] = (weakref.ref(t), storage.nbytes())
        peak = max(peak, sum(n for ref, n in live.values() if ref() is not None))

    leaves = [m for m in module.modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        call()
    finally:
        for handle in handles:
            handle.remove()
    return peak


def forward_bytes_per_stimulus(recorder) -> int:
    """The most bytes of activations alive at once during the recorder's forward pass, per stimulus
    (:func:`peak_live_bytes` of a probe batch of grey images, same crop, truncation and memory order as
    :meth:`~v1lab.recording.CentreUnitRecorder.record`, divided by the batch)."""
    probe = torch.full((_PROBE, 3, *recorder.canvas_shape), 0.5)
    return math.ceil(peak_live_bytes(recorder.module, lambda: recorder.record(probe)) / _PROBE)


def working_set_batch(batch: int, bytes_per_item: int, device: torch.device) -> int:
    """``batch``, lowered on the CPU so that one batch holds at most :data:`CPU_WORKING_SET_BYTES` of
    activations (``bytes_per_item`` each); unchanged on other devices."""
    if torch.device(device).type != "cpu":
        return int(batch)
    return max(1, min(int(batch), CPU_WORKING_SET_BYTES // max(int(bytes_per_item), 1)))


@dataclass(frozen=True)
class MemoryPlan:
    """Batch sizes that fit a memory budget, and the peak they predict (bytes)."""

    budget: int
    baseline: int
    image_bytes: int
    render_bytes: int
    forward_bytes: int
    record_batch: int
    render_batch: int

    @property
    def peak(self) -> int:
        """Predicted peak: baseline, workspace, the images of one batch, and the larger of drawing and recording."""
        drawing = self.render_batch * self.render_bytes
        recording = self.record_batch * (2 * self.image_bytes + self.forward_bytes)
        return self.baseline + WORKSPACE_BYTES + self.record_batch * self.image_bytes + max(drawing, recording)

    @property
    def note(self) -> str:
        """Why the budget cannot be kept (empty when it can)."""
        if self.peak <= self.budget:
            return ""
        return (f"the budget of {format_bytes(self.budget)} is below what one stimulus needs "
                f"({format_bytes(self.peak)} with {format_bytes(self.baseline)} already held); recording one "
                f"at a time (raise output.max_memory or --max-memory)")


def plan_memory(recorder, budget: int, *, max_batch: int) -> MemoryPlan:
    """The largest record and render batches (at most ``max_batch``) whose predicted peak fits ``budget`` bytes;
    on the CPU the record batch also holds at most :data:`CPU_WORKING_SET_BYTES` of activations."""
    pixels = recorder.canvas_shape[0] * recorder.canvas_shape[1]
    image, render = 3 * pixels * _FLOAT, RENDER_BYTES_PER_PIXEL * pixels
    forward = forward_bytes_per_stimulus(recorder)
    baseline = baseline_bytes(recorder.device)
    room = budget - baseline - WORKSPACE_BYTES
    record = max(1, min(int(max_batch), room // (3 * image + forward)))
    record = working_set_batch(record, forward, recorder.device)
    draw = max(1, min(record, (room - record * image) // render))
    return MemoryPlan(int(budget), baseline, image, render, forward, int(record), int(draw))
