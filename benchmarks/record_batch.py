"""Recording speed against the record batch: is a bigger batch faster per stimulus?

For each layer (``conv1`` = module ``relu``) of ``resnet50-caffe``, ``--n`` luminance gratings are rendered
once on the recorder's canvas, then recorded ``b`` at a time for every ``b`` of ``--batches`` (the order is
shuffled with a fixed seed and each batch size is timed ``--repeats`` times, best kept, after a warm-up pass).
Each row gives ms per stimulus, the forward pass's working set (``b`` times
:func:`v1lab.recording.memory.forward_bytes_per_stimulus`), and the ratio of its time to the layer's fastest batch.
The rows justify :data:`v1lab.recording.memory.CPU_WORKING_SET_BYTES`. Rows go to
``benchmarks/results/record_batch.csv``.

    python -m benchmarks record_batch [--device cpu] [--n 64] [--batches 2 4 8 16 32 64]
        [--layers conv1 layer1 layer2 layer3 layer4] [--repeats 2]
"""

import argparse
import random
from pathlib import Path

import torch

from benchmarks._common import append_rows, now, timed
from benchmarks.fast_path import _machine, _model
from v1lab.recording import CentreUnitRecorder, resolve_device
from v1lab.recording.memory import forward_bytes_per_stimulus
from v1lab.stimuli import load_stimulus_set

__all__ = ["main", "run"]

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "record_batch.csv"
MODULES = {"conv1": "relu"}
FIELDS = ["date", "machine", "torch", "device", "model", "layer", "canvas_px", "n_stimuli", "batch_size",
          "working_set_mb", "ms_per_stimulus", "ratio_to_fastest"]


def run(*, device: str = "cpu", n: int = 64, batches=(2, 4, 8, 16, 32, 64), layers=("conv1", "layer1", "layer2",
        "layer3", "layer4"), repeats: int = 2) -> list[dict]:
    dev = resolve_device(device)
    loaded, model_name = _model(dev)
    grating = load_stimulus_set(ROOT / "stimuli" / "gratings_osp.yaml")
    rows = []
    for layer in layers:
        rec = CentreUnitRecorder(loaded, MODULES.get(layer, layer), device=dev, ppd=28.0)
        images = grating.render(rec.canvas, [i % len(grating) for i in range(n)], device=dev)
        per_stimulus = forward_bytes_per_stimulus(rec)
        order = [b for b in batches if b <= n]
        random.Random(0).shuffle(order)

        def record_all(b):
            for start in range(0, n, b):
                rec.record(images[start:start + b])

        record_all(max(order))  # warm-up
        best = {b: min(timed(lambda b=b: record_all(b), dev)[1] for _ in range(repeats)) for b in order}
        fastest = min(best.values())
        for b in sorted(best):
            rows.append({"date": now(), "machine": _machine(dev), "torch": torch.__version__, "device": dev.type,
                         "model": model_name, "layer": layer, "canvas_px": "x".join(map(str, rec.canvas_shape)),
                         "n_stimuli": n, "batch_size": b, "working_set_mb": round(b * per_stimulus / 1e6, 2),
                         "ms_per_stimulus": round(1000 * best[b] / n, 3),
                         "ratio_to_fastest": round(best[b] / fastest, 3)})
            print(f"record_batch: {layer:7s} batch {b:4d}  working set {rows[-1]['working_set_mb']:8.2f} MB  "
                  f"{rows[-1]['ms_per_stimulus']:8.3f} ms/stimulus  x{rows[-1]['ratio_to_fastest']:.2f}",
                  flush=True)
    append_rows(RESULTS, FIELDS, rows)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks record_batch", description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--n", type=int, default=64, help="stimuli per layer (default 64)")
    ap.add_argument("--batches", type=int, nargs="+", default=[2, 4, 8, 16, 32, 64])
    ap.add_argument("--layers", nargs="+", default=["conv1", "layer1", "layer2", "layer3", "layer4"])
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    run(device=args.device, n=args.n, batches=args.batches, layers=args.layers, repeats=args.repeats)
    return 0
