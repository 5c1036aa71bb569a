"""Speed-up of the exact fast path (crop + truncation) over the naive path (whole image, whole network).

For the centre units of ``conv1``, ``layer1`` and ``layer2`` of ``resnet50-caffe`` the same batch of random
224 x 224 stimuli is recorded both ways in one process; the responses must agree (max abs diff is
reported) and the ratio naive / fast is printed and appended to ``benchmarks/results/fast_path.csv``.
Without the cached weights the same architecture with random weights is timed (the cost of a forward pass
does not depend on the weights), and the output says so.

    python -m benchmarks fast_path [--n 256] [--threads 2] [--device auto] [--layers conv1 layer1 layer2]
"""

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

import torch

from benchmarks._common import append_rows
from v1lab.errors import V1labError
from v1lab.models.core import IMAGENET_PREPROCESSING, LoadedModel
from v1lab.models.keras_resnet import build_resnet50_v1
from v1lab.recording import CentreUnitRecorder, resolve_device

__all__ = ["main", "run"]

RESULTS = Path(__file__).resolve().parent / "results" / "fast_path.csv"
FIELDS = ["date", "machine", "torch", "device", "model", "layer", "n_stimuli", "naive_s", "fast_s", "speedup",
          "max_abs_diff", "crop_px"]


def _machine(device: torch.device) -> str:
    gpu = f"{torch.cuda.get_device_name(device)}; host " if device.type == "cuda" else ""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            name = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{gpu}{name}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"


def _model(device):
    """The default model, or its architecture with random weights when the weights are not cached."""
    from v1lab.models import load_model

    try:
        return load_model("resnet50-caffe", device=device), "resnet50-caffe"
    except V1labError as err:
        print(f"fast_path: resnet50-caffe weights unavailable ({err}); timing the same architecture "
              "(ResNet-50 v1, random weights) instead")
        torch.manual_seed(0)
        module = build_resnet50_v1().to(device).eval()
        return (LoadedModel(spec="resnet50-v1-random", name="resnet50-v1-random", module=module,
                            preprocessing=IMAGENET_PREPROCESSING, weights_sha256=None),
                "resnet50-v1 (random weights)")


def _timed(fn, images, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    out = fn(images)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return out, time.perf_counter() - start


def run(layers=("conv1", "layer1", "layer2"), *, n=256, device="auto", batch_size=64, seed=0,
        results=RESULTS) -> list[dict]:
    """Time both paths for each layer; return (and append to ``results``) one row per layer."""
    dev = resolve_device(device)
    model, model_name = _model(dev)
    images = torch.rand(n, 3, 224, 224, generator=torch.Generator().manual_seed(seed))
    rows = []
    for layer in layers:
        rec = CentreUnitRecorder(model, layer, response="post_relu", device=dev, batch_size=batch_size)
        warm = images[:2]
        rec.record_full(warm)  # first-call set-up (allocators, kernels) excluded from both timings
        rec.record(rec.crop(warm))
        naive, naive_s = _timed(rec.record_full, images, dev)
        fast, fast_s = _timed(rec.record, rec.crop(images), dev)
        h, w = rec.canvas_shape
        rows.append({
            "date": dt.datetime.now().isoformat(timespec="seconds"), "machine": _machine(dev),
            "torch": torch.__version__, "device": str(dev), "model": model_name, "layer": layer,
            "n_stimuli": n, "naive_s": round(naive_s, 3), "fast_s": round(fast_s, 4),
            "speedup": round(naive_s / fast_s, 1), "max_abs_diff": float((naive - fast).abs().max()),
            "crop_px": f"{h}x{w}",
        })
    if results is not None:
        append_rows(results, FIELDS, rows)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks fast_path", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256, help="number of stimuli (default 256)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--device", default="auto", help="cpu, cuda[:N] or auto (default)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--layers", nargs="+", default=["conv1", "layer1", "layer2"])
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = run(args.layers, n=args.n, device=args.device, batch_size=args.batch_size)
    print(f"{rows[0]['model']} on {rows[0]['device']} ({rows[0]['machine']}), torch {rows[0]['torch']}, "
          f"{args.n} stimuli")
    print(f"{'layer':<8} {'crop':>7} {'naive s':>9} {'fast s':>9} {'speed-up':>9} {'max |diff|':>11}")
    for r in rows:
        print(f"{r['layer']:<8} {r['crop_px']:>7} {r['naive_s']:>9.2f} {r['fast_s']:>9.3f} {r['speedup']:>8.1f}x "
              f"{r['max_abs_diff']:>11.2e}")
    print(f"appended to {RESULTS}")
    return 0
