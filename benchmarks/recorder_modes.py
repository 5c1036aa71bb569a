"""The recorder's execution options, side by side: memory order and batch-norm folding, per layer of resnet50-caffe.

The same random stimuli are recorded in one process by four recorders of the same model: contiguous or
channels-last memory order (``memory_format``), with or without batch norm folded into the convolutions
(``fold_batch_norm``). Each is timed as the best of ``--repeats`` calls after a warm-up call; speed-ups and the
largest response difference (relative to the largest response) are against contiguous order without folding,
the plain way to run the model. Rows are appended to ``benchmarks/results/recorder_modes.csv``. Without the
cached weights the same architecture with random weights is timed, and the output says so.

    python -m benchmarks recorder_modes [--device cpu] [--n 64] [--repeats 3] [--threads 2] [--layers ...]
"""

import argparse
from pathlib import Path

import torch

from benchmarks._common import append_rows, now, timed
from benchmarks.fast_path import _machine, _model
from v1lab.recording import CentreUnitRecorder, resolve_device

__all__ = ["MODES", "main", "run"]

RESULTS = Path(__file__).resolve().parent / "results" / "recorder_modes.csv"
FIELDS = ["date", "machine", "device", "torch", "model", "layer", "n_stimuli", "mode", "memory_format",
          "fold_batch_norm", "folded_pairs", "seconds", "speedup", "max_rel_diff"]

#: ``(name, memory format, fold batch norm)``; the first is the baseline of the speed-ups.
MODES = (("contiguous", torch.contiguous_format, False),
         ("channels-last", torch.channels_last, False),
         ("contiguous + folded", torch.contiguous_format, True),
         ("channels-last + folded", torch.channels_last, True))


def run(layers=("layer1", "layer2", "layer3"), *, device="cpu", n=64, repeats=3, seed=0,
        results=RESULTS) -> list[dict]:
    """Time every mode of :data:`MODES` for each layer; return (and append to ``results``) one row per pair."""
    dev = resolve_device(device)
    model, model_name = _model(dev)
    rows = []
    for layer in layers:
        base = None
        for mode, memory_format, fold in MODES:
            # each recorder converts the shared model's memory order in place; the previous one is not used again
            rec = CentreUnitRecorder(model, layer, device=dev, batch_size=n, memory_format=memory_format,
                                     fold_batch_norm=fold)
            images = torch.rand(n, 3, *rec.canvas_shape, generator=torch.Generator().manual_seed(seed)).to(dev)
            rec.record(images[:2])                      # first-call set-up excluded
            runs = [timed(lambda: rec.record(images), dev) for _ in range(repeats)]
            out, seconds = runs[0][0], min(s for _, s in runs)
            if base is None:
                base = (out, seconds)
            rows.append({"date": now(), "machine": _machine(dev), "device": dev.type, "torch": torch.__version__,
                         "model": model_name, "layer": layer, "n_stimuli": n, "mode": mode,
                         "memory_format": str(memory_format).removeprefix("torch."), "fold_batch_norm": fold,
                         "folded_pairs": rec.folded_pairs, "seconds": round(seconds, 4),
                         "speedup": round(base[1] / seconds, 2),
                         "max_rel_diff": float((out - base[0]).abs().max() / base[0].abs().max())})
    if results is not None:
        append_rows(results, FIELDS, rows)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks recorder_modes", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    parser.add_argument("--n", type=int, default=64, help="number of stimuli (default 64)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per mode; the best counts (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--layers", nargs="+", default=["layer1", "layer2", "layer3"])
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = run(args.layers, device=args.device, n=args.n, repeats=args.repeats)
    print(f"{rows[0]['model']} on {rows[0]['device']} ({rows[0]['machine']}), torch {rows[0]['torch']}, "
          f"{args.n} stimuli, best of {args.repeats}")
    print(f"{'layer':<8}{'mode':<24}{'folded':>8}{'seconds':>10}{'speed-up':>10}{'max rel diff':>14}")
    for r in rows:
        print(f"{r['layer']:<8}{r['mode']:<24}{r['folded_pairs']:>8}{r['seconds']:>10.4f}{r['speedup']:>9.2f}x"
              f"{r['max_rel_diff']:>14.2e}")
    print(f"appended to {RESULTS}")
    return 0
