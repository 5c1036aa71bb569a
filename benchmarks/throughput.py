"""Throughput of recording: stimuli per second, achieved FLOP/s against the device's peak, and scaling.

For each layer (``conv1`` = module ``relu``, after bn1 and ReLU; ``layer1`` .. ``layer4``) of
``resnet50-caffe`` the first ``--n`` stimuli of ``stimuli/gratings_osp.yaml`` (cycled when ``--n`` exceeds
its 1056) are rendered on the recorder's canvas (the crop) and recorded, one batch at a time as
``v1lab run`` does; rendering and recording are timed separately after a warm-up batch (the device is
synchronised around every timed call). FLOPs per stimulus are those of the truncated forward pass on the
crop, counted by :class:`torch.utils.flop_counter.FlopCounterMode` on one batch (2 FLOPs per
multiply-accumulate of convolutions and matmuls; element-wise ops are not counted). The device's peak is
*measured*: float32 matmul of two ``size x size`` matrices with TF32 off (``torch.float32_matmul_precision
"highest"``), as the recorder runs its convolutions with cuDNN TF32 off (``recording/recorder.py``,
``_full_fp32``). Fraction of peak = achieved FLOP/s of recording / measured matmul FLOP/s.

Scaling (on ``--scale-layer``):

* stimuli: render + record time and peak memory for each N of ``--scale-n``; slope in s per 1000
  stimuli and MiB per 1000 stimuli with R^2 of the straight-line fit;
* units: the recorder always records the centre unit of every channel, so the number of units is varied
  by recording a square grid of positions around the centre (``grid_offsets(r)``, ``(2r+1)^2`` positions
  x channels units) for each r of ``--scale-radius``, at ``--scale-units-n`` stimuli. The crop grows
  with the grid, so this measures the real cost of more units, not a pure per-unit cost.

Peak memory: ``torch.cuda.max_memory_allocated`` on CUDA; on the CPU the process's peak resident set
(VmHWM, reset before each point through ``/proc/self/clear_refs``), which includes the model and torch.
Rows go to ``benchmarks/results/throughput.csv``.

    python -m benchmarks throughput [--device auto] [--n 64] [--layers conv1 layer1 layer2 layer3 layer4]
        [--batch-size 64] [--threads 2] [--scale-layer layer1] [--scale-n 64 128 256 512]
        [--scale-radius 0 1 2 3] [--scale-units-n 128]
"""

import argparse
import math
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks._common import (MEMORY_METHOD, append_rows, fit_line, now, peak_memory_mib, reset_peak_memory,
                                timed)
from benchmarks.fast_path import _machine, _model
from v1lab.recording import CentreUnitRecorder, grid_offsets, resolve_device
from v1lab.stimuli import load_stimulus_set

__all__ = ["main", "run", "measure_peak_flops"]

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "throughput.csv"
STIMULI = ROOT / "stimuli" / "gratings_osp.yaml"
#: Layer label -> module name (conv1 is recorded after bn1 and ReLU, as in the protocols).
MODULES = {"conv1": "relu"}
FIELDS = ["date", "machine", "torch", "device", "model", "kind", "layer", "n_stimuli", "positions", "units",
          "crop_px", "batch_size", "render_s", "record_s", "total_s", "stimuli_per_s", "gflop_per_stimulus",
          "achieved_gflop_s", "peak_gflop_s", "fraction_of_peak", "peak_mem_mib", "mem_method", "slope",
          "slope_unit", "r2"]
#: Defaults per device type: (n, batch size, scale-n, scale-units-n, scale layer).
DEFAULTS = {"cpu": (64, 64, (64, 128, 256, 512), 128, "layer1"),
            "cuda": (4096, 512, (1024, 2048, 4096, 8192), 2048, "layer2")}


def measure_peak_flops(dev: torch.device, *, size: int | None = None, repeats: int | None = None) -> float:
    """Measured float32 matmul FLOP/s of ``dev`` (2 * size**3 FLOPs per product, TF32 off).

    The best of ``repeats`` timed products after one warm-up product; ``size`` 4096 on the CPU and
    8192 on CUDA by default.
    """
    size = size or (8192 if dev.type == "cuda" else 4096)
    repeats = repeats or (20 if dev.type == "cuda" else 3)
    gen = torch.Generator(device=dev).manual_seed(0)
    a = torch.rand(size, size, device=dev, generator=gen)
    b = torch.rand(size, size, device=dev, generator=gen)
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")  # plain float32 (no TF32), like the recorder's convolutions
    try:
        torch.matmul(a, b)
        best = min(timed(lambda: torch.matmul(a, b), dev)[1] for _ in range(repeats))
    finally:
        torch.set_float32_matmul_precision(before)
    return 2 * size**3 / best


def _flops_per_stimulus(rec: CentreUnitRecorder, images: torch.Tensor) -> float:
    with FlopCounterMode(display=False) as counter:
        rec.record(images)
    return counter.get_total_flops() / images.shape[0]


def _render_record(rec, stim, n, batch_size, dev):
    """Render and record ``n`` stimuli batch by batch; return (render_s, record_s, peak MiB, images seen)."""
    geometry = rec.canvas
    render_s = record_s = 0.0
    reset_peak_memory(dev)
    for start in range(0, n, batch_size):
        rows = np.arange(start, min(start + batch_size, n)) % len(stim)
        images, dt_render = timed(lambda: stim.render(geometry, rows, device=dev), dev)
        _, dt_record = timed(lambda: rec.record(images), dev)
        render_s += dt_render
        record_s += dt_record
        del images
    return render_s, record_s, peak_memory_mib(dev)


def _row(base, kind, layer, rec, n, batch_size, render_s, record_s, mem, *, flops=math.nan, peak=math.nan):
    total = render_s + record_s
    h, w = rec.canvas_shape
    positions = len(rec.unit_positions)
    achieved = flops * n / record_s if flops == flops else math.nan
    return {**base, "kind": kind, "layer": layer, "n_stimuli": n, "positions": positions,
            "units": positions * rec.n_channels, "crop_px": f"{h}x{w}", "batch_size": batch_size,
            "render_s": round(render_s, 4), "record_s": round(record_s, 4), "total_s": round(total, 4),
            "stimuli_per_s": round(n / total, 1), "gflop_per_stimulus": round(flops / 1e9, 5),
            "achieved_gflop_s": round(achieved / 1e9, 2), "peak_gflop_s": round(peak / 1e9, 1),
            "fraction_of_peak": round(achieved / peak, 4), "peak_mem_mib": round(mem, 1),
            "mem_method": MEMORY_METHOD[base["device"].split(":")[0]], "slope": "", "slope_unit": "", "r2": ""}


def _fit_rows(base, kind, layer, xs, rows, per):
    """Slope rows: seconds and MiB per ``per`` of x (stimuli or units)."""
    out = []
    for column, unit in (("total_s", "s"), ("peak_mem_mib", "MiB")):
        slope, _, r2 = fit_line(xs, [r[column] for r in rows])
        out.append({**base, "kind": kind, "layer": layer, "slope": round(slope * per, 5),
                    "slope_unit": f"{unit} per {per} {'stimuli' if kind == 'fit_stimuli' else 'units'}",
                    "r2": round(r2, 4) if r2 == r2 else "nan"})
    return out


def run(layers=("conv1", "layer1", "layer2", "layer3", "layer4"), *, n=None, device="auto", batch_size=None,
        scale_layer=None, scale_n=None, scale_radius=(0, 1, 2, 3), scale_units_n=None, results=RESULTS):
    """Run the throughput and scaling measurements; return (and append to ``results``) the rows."""
    dev = resolve_device(device)
    d_n, d_bs, d_scale_n, d_units_n, d_layer = DEFAULTS[dev.type]
    n, batch_size = n or d_n, batch_size or d_bs
    scale_layer, scale_n, scale_units_n = scale_layer or d_layer, scale_n or d_scale_n, scale_units_n or d_units_n
    model, model_name = _model(dev)
    stim = load_stimulus_set(STIMULI)
    base = {"date": now(), "machine": _machine(dev), "torch": torch.__version__, "device": str(dev),
            "model": model_name}
    peak = measure_peak_flops(dev)
    rows = []

    def recorder(layer, positions="centre"):
        rec = CentreUnitRecorder(model, MODULES.get(layer, layer), response="post_relu", device=dev,
                                 positions=positions, batch_size=batch_size, ppd=stim.ppd)
        warm = stim.render(rec.canvas, np.arange(min(batch_size, len(stim))), device=dev)
        rec.record(warm)  # warm-up: allocator, kernels, cuDNN algorithm choice
        return rec, warm

    for layer in layers:
        rec, warm = recorder(layer)
        flops = _flops_per_stimulus(rec, warm)
        del warm
        rows.append(_row(base, "layer", layer, rec, n, batch_size, *_render_record(rec, stim, n, batch_size, dev),
                         flops=flops, peak=peak))

    rec, warm = recorder(scale_layer)
    del warm
    scaled = [_row(base, "scale_stimuli", scale_layer, rec, k, batch_size,
                   *_render_record(rec, stim, k, batch_size, dev)) for k in scale_n]
    rows += scaled + _fit_rows(base, "fit_stimuli", scale_layer, scale_n, scaled, 1000)

    scaled = []
    for r in scale_radius:
        rec, warm = recorder(scale_layer, grid_offsets(r))
        del warm
        scaled.append(_row(base, "scale_units", scale_layer, rec, scale_units_n, batch_size,
                           *_render_record(rec, stim, scale_units_n, batch_size, dev)))
    rows += scaled + _fit_rows(base, "fit_units", scale_layer, [r["units"] for r in scaled], scaled, 1000)
    if results is not None:
        append_rows(results, FIELDS, rows)
    return rows


def _print(rows, results):
    r0 = rows[0]
    print(f"{r0['model']} on {r0['device']} ({r0['machine']}), torch {r0['torch']}; "
          f"measured fp32 matmul peak {r0['peak_gflop_s']:.1f} GFLOP/s (TF32 off)")
    print(f"{'kind':<14} {'layer':<7} {'N':>6} {'units':>7} {'crop':>8} {'render s':>9} {'record s':>9} "
          f"{'stim/s':>9} {'GFLOP/stim':>11} {'GFLOP/s':>9} {'of peak':>8} {'peak MiB':>9}")
    for r in rows:
        if r["kind"].startswith("fit_"):
            continue
        frac = f"{100 * r['fraction_of_peak']:.1f}%" if r["fraction_of_peak"] == r["fraction_of_peak"] else "-"
        gf = f"{r['gflop_per_stimulus']:.4f}" if r["gflop_per_stimulus"] == r["gflop_per_stimulus"] else "-"
        ach = f"{r['achieved_gflop_s']:.1f}" if r["achieved_gflop_s"] == r["achieved_gflop_s"] else "-"
        print(f"{r['kind']:<14} {r['layer']:<7} {r['n_stimuli']:>6} {r['units']:>7} {r['crop_px']:>8} "
              f"{r['render_s']:>9.3f} {r['record_s']:>9.3f} {r['stimuli_per_s']:>9.1f} {gf:>11} {ach:>9} "
              f"{frac:>8} {r['peak_mem_mib']:>9.1f}")
    for r in rows:
        if r["kind"].startswith("fit_"):
            print(f"{r['kind']:<14} {r['layer']:<7} slope {r['slope']} {r['slope_unit']} (R^2 {r['r2']})")
    print(f"peak memory: {r0['mem_method']}")
    if results is not None:
        print(f"appended to {results}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="cpu, cuda[:N] or auto (default)")
    parser.add_argument("--n", type=int, help="stimuli per layer (default 64 on the CPU, 4096 on CUDA)")
    parser.add_argument("--layers", nargs="+", default=["conv1", "layer1", "layer2", "layer3", "layer4"])
    parser.add_argument("--batch-size", type=int, help="stimuli per batch (default 64 on the CPU, 512 on CUDA)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--scale-layer", help="layer of the scaling runs (default layer1 on the CPU, layer2 on CUDA)")
    parser.add_argument("--scale-n", type=int, nargs="+",
                        help="stimulus counts (default 64 128 256 512 on the CPU, 1024 2048 4096 8192 on CUDA)")
    parser.add_argument("--scale-radius", type=int, nargs="+", default=[0, 1, 2, 3],
                        help="grid radii of the unit scaling ((2r+1)^2 positions per channel)")
    parser.add_argument("--scale-units-n", type=int, help="stimuli of the unit scaling (default 128 CPU, 2048 CUDA)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = run(args.layers, n=args.n, device=args.device, batch_size=args.batch_size, scale_layer=args.scale_layer,
               scale_n=args.scale_n, scale_radius=args.scale_radius, scale_units_n=args.scale_units_n)
    _print(rows, RESULTS)
    return 0
