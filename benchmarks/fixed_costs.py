"""Fixed costs every run pays, the former way beside the present one, in one process that holds a ResNet-50.

* **Holm's adjustment**: statsmodels' ``multipletests(method="holm")``, which runs ``gc.collect()`` on every call,
  against :func:`v1lab.multitest.adjust_p_values` on the same p-values.
* **Batch-norm folding**: :func:`~v1lab.recording._folding.fold_batch_norms` over the whole network on a full
  224-px input (what a recorder did) against the fold up to the recorded layer on an input the size of its crop
  (what :class:`~v1lab.recording.CentreUnitRecorder` does), per layer.

Each is the best of ``--repeats`` calls; the speed-up is former / present. Rows are appended to
``benchmarks/results/fixed_costs.csv``. Without the cached weights the same architecture with random weights is
timed, and the output says so.

    python -m benchmarks fixed_costs [--repeats 5] [--threads 2] [--layers relu layer1 layer2 layer3]
"""

import argparse
from pathlib import Path

import numpy as np
import torch
from statsmodels.stats.multitest import multipletests

from benchmarks._common import append_rows, now, timed
from benchmarks.fast_path import _machine, _model
from v1lab.multitest import adjust_p_values
from v1lab.recording import CentreUnitRecorder
from v1lab.recording._folding import fold_batch_norms

__all__ = ["main", "run"]

RESULTS = Path(__file__).resolve().parent / "results" / "fixed_costs.csv"
FIELDS = ["date", "machine", "torch", "model", "step", "layer", "former", "present", "former_seconds",
          "present_seconds", "speedup"]


def _best(fn, repeats: int) -> float:
    return min(timed(fn, torch.device("cpu"))[1] for _ in range(repeats))


def run(layers=("relu", "layer1", "layer2", "layer3"), *, repeats=5, results=RESULTS) -> list[dict]:
    """Time both steps (one row for Holm, one per layer for folding); return and append the rows."""
    dev = torch.device("cpu")
    model, model_name = _model(dev)
    common = {"date": now(), "machine": _machine(dev), "torch": torch.__version__, "model": model_name}
    p = np.random.default_rng(0).uniform(0, 0.2, 200)
    rows = [{**common, "step": "Holm adjustment of 200 p-values", "layer": "",
             "former": "statsmodels multipletests(method='holm')", "present": "v1lab.multitest.adjust_p_values",
             "former_seconds": _best(lambda: multipletests(p, method="holm"), repeats),
             "present_seconds": _best(lambda: adjust_p_values(p), repeats)}]
    for layer in layers:
        rec = CentreUnitRecorder(model, layer, fold_batch_norm=False)   # its crop; the module is channels-last
        y0, y1, x0, x1 = rec.crop_box
        gen = torch.Generator().manual_seed(0)
        full = torch.randn(1, 3, *rec.input_shape, generator=gen).contiguous(memory_format=rec.memory_format)
        crop = torch.randn(1, 3, y1 - y0, x1 - x0, generator=gen).contiguous(memory_format=rec.memory_format)
        rows.append({**common, "step": "batch-norm folding", "layer": layer,
                     "former": "whole network, 224 px", "present": "up to the layer, on its crop",
                     "former_seconds": _best(lambda: fold_batch_norms(rec.module, full, keep=[layer]), repeats),
                     "present_seconds": _best(lambda: fold_batch_norms(rec.module, crop, keep=[layer], layer=layer,
                                                                       response=rec.response), repeats)})
    for row in rows:
        row["speedup"] = round(row["former_seconds"] / row["present_seconds"], 1)
        row["former_seconds"], row["present_seconds"] = (round(row["former_seconds"], 5),
                                                          round(row["present_seconds"], 5))
    if results is not None:
        append_rows(results, FIELDS, rows)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks fixed_costs", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per step; the best counts (default 5)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--layers", nargs="+", default=["relu", "layer1", "layer2", "layer3"])
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = run(args.layers, repeats=args.repeats)
    print(f"{rows[0]['model']} ({rows[0]['machine']}), torch {rows[0]['torch']}, best of {args.repeats}")
    print(f"{'step':<34}{'layer':<8}{'former s':>11}{'present s':>11}{'speed-up':>10}")
    for r in rows:
        print(f"{r['step']:<34}{r['layer']:<8}{r['former_seconds']:>11.5f}{r['present_seconds']:>11.5f}"
              f"{r['speedup']:>9.1f}x")
    print(f"appended to {RESULTS}")
    return 0
