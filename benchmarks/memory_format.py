"""Channels-last against contiguous memory order for recording on the CPU, per layer of ``resnet50-caffe``.

The recorder puts the model's weights and its input in channels-last order on the CPU. This benchmark records the
same random stimuli with the same recorder twice in one process, once with the model (and input) switched back
to contiguous order, and reports both times, their ratio and the largest response difference relative to the
largest response. Rows are appended to ``benchmarks/results/memory_format.csv``. Without the cached weights the
same architecture with random weights is timed, and the output says so.

    python -m benchmarks memory_format [--n 64] [--threads 2] [--layers layer1 layer2 layer3]
"""

import argparse
import time
from pathlib import Path

import torch

from benchmarks._common import append_rows, now
from benchmarks.fast_path import _machine, _model
from v1lab.recording import CentreUnitRecorder

__all__ = ["main", "run"]

RESULTS = Path(__file__).resolve().parent / "results" / "memory_format.csv"
FIELDS = ["date", "machine", "torch", "model", "layer", "n_stimuli", "contiguous_s", "channels_last_s", "speedup",
          "max_rel_diff"]


def _record(rec: CentreUnitRecorder, images: torch.Tensor) -> tuple[torch.Tensor, float]:
    rec.record(images[:2])                      # first-call set-up excluded
    start = time.perf_counter()
    out = rec.record(images)
    return out, time.perf_counter() - start


def run(layers=("layer1", "layer2", "layer3"), *, n=64, seed=0, results=RESULTS) -> list[dict]:
    """Time both memory orders for each layer on the CPU; return (and append to ``results``) one row per layer."""
    dev = torch.device("cpu")
    model, model_name = _model(dev)
    rows = []
    for layer in layers:
        plain_rec = CentreUnitRecorder(model, layer, device=dev, batch_size=n, memory_format=torch.contiguous_format)
        images = torch.rand(n, 3, *plain_rec.canvas_shape, generator=torch.Generator().manual_seed(seed))
        plain, plain_s = _record(plain_rec, images)
        # a second recorder converts the (shared) model to channels-last; the first one is not used after this
        fast_rec = CentreUnitRecorder(model, layer, device=dev, batch_size=n, memory_format=torch.channels_last)
        fast, fast_s = _record(fast_rec, images)
        rows.append({"date": now(), "machine": _machine(dev), "torch": torch.__version__, "model": model_name,
                     "layer": layer, "n_stimuli": n, "contiguous_s": round(plain_s, 3),
                     "channels_last_s": round(fast_s, 3), "speedup": round(plain_s / fast_s, 2),
                     "max_rel_diff": float((plain - fast).abs().max() / plain.abs().max())})
    if results is not None:
        append_rows(results, FIELDS, rows)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks memory_format", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64, help="number of stimuli (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--layers", nargs="+", default=["layer1", "layer2", "layer3"])
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = run(args.layers, n=args.n)
    print(f"{rows[0]['model']} on cpu ({rows[0]['machine']}), torch {rows[0]['torch']}, {args.n} stimuli")
    print(f"{'layer':<8}{'contiguous s':>14}{'channels-last s':>17}{'speed-up':>10}{'max rel diff':>14}")
    for r in rows:
        print(f"{r['layer']:<8}{r['contiguous_s']:>14.3f}{r['channels_last_s']:>17.3f}{r['speedup']:>9.2f}x"
              f"{r['max_rel_diff']:>14.2e}")
    print(f"appended to {RESULTS}")
    return 0
