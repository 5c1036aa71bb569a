"""Speed of activation maximisation: optimised images per second for conv1 and layer2 of resnet50-caffe.

All units of a layer are optimised in one batch (image i drives unit i). For each layer the benchmark times
``--steps`` steps for ``--units`` units (default: every unit of conv1, the first 64 of layer2 on the CPU and
all 512 on a GPU) and reports images x steps per second and images per second at the default 256 steps.
For conv1 it also times the same units one at a time (the loop the batch replaces) on a subset and reports
the speed-up. Rows are appended to ``benchmarks/results/preferred.csv``. Without the cached weights the
same architecture with random weights is timed (speed does not depend on the weights), and the output says so.

    python -m benchmarks.preferred [--device auto] [--steps 20] [--threads 2] [--layers conv1 layer2]
"""

import argparse
import datetime as dt
import time
from pathlib import Path

import torch

from benchmarks._common import append_rows
from benchmarks.fast_path import _machine, _model
from v1lab.preferred import optimise_preferred
from v1lab.recording import CentreUnitRecorder, resolve_device

__all__ = ["main", "run"]

RESULTS = Path(__file__).resolve().parent / "results" / "preferred.csv"
FIELDS = ["date", "machine", "torch", "device", "model", "layer", "mode", "units", "steps", "seconds",
          "image_steps_per_s", "images_per_s_at_256_steps", "canvas_px"]


def _sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def _time(fn, dev) -> float:
    _sync(dev)
    start = time.perf_counter()
    fn()
    _sync(dev)
    return time.perf_counter() - start


def run(layers=("conv1", "layer2"), *, device="auto", steps=20, units=None, loop_units=8,
        results=RESULTS) -> list[dict]:
    dev = resolve_device(device)
    model, name = _model(dev)
    rows = []
    for layer in layers:
        rec = CentreUnitRecorder(model, layer, device=dev)
        n = units or (rec.n_channels if (dev.type == "cuda" or layer == "conv1") else 64)
        chans = list(range(min(n, rec.n_channels)))
        optimise_preferred(model, layer, channels=chans[:2], steps=2, recorder=rec)  # warm-up
        timings = [("batched", chans, _time(lambda: optimise_preferred(
            model, layer, channels=chans, steps=steps, recorder=rec), dev))]
        if layer == "conv1" and loop_units:
            sub = chans[:loop_units]
            timings.append(("one-by-one", sub, _time(lambda: [optimise_preferred(
                model, layer, channels=[c], steps=steps, recorder=rec) for c in sub], dev)))
        h, w = rec.canvas_shape
        for mode, cs, seconds in timings:
            rate = len(cs) * steps / seconds
            rows.append({"date": dt.datetime.now().isoformat(timespec="seconds"), "machine": _machine(),
                         "torch": torch.__version__, "device": str(dev), "model": name, "layer": layer,
                         "mode": mode, "units": len(cs), "steps": steps, "seconds": round(seconds, 3),
                         "image_steps_per_s": round(rate, 1), "images_per_s_at_256_steps": round(rate / 256, 3),
                         "canvas_px": f"{h}x{w}"})
    if results is not None:
        append_rows(results, FIELDS, rows)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.preferred", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="cpu, cuda[:N] or auto (default)")
    parser.add_argument("--steps", type=int, default=20, help="optimisation steps timed (default 20)")
    parser.add_argument("--units", type=int, help="units per layer (default: see the module notes)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--layers", nargs="+", default=["conv1", "layer2"])
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = run(args.layers, device=args.device, steps=args.steps, units=args.units)
    print(f"{rows[0]['model']} on {rows[0]['device']} ({rows[0]['machine']}), torch {rows[0]['torch']}")
    print(f"{'layer':<7} {'mode':<11} {'canvas':>7} {'units':>6} {'s':>8} {'img*steps/s':>12} {'img/s@256':>10}")
    for r in rows:
        print(f"{r['layer']:<7} {r['mode']:<11} {r['canvas_px']:>7} {r['units']:>6} {r['seconds']:>8.2f} "
              f"{r['image_steps_per_s']:>12.1f} {r['images_per_s_at_256_steps']:>10.3f}")
    print(f"appended to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
