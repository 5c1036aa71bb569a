"""Would reduced-precision arithmetic pass issue 8's tolerance? TF32 and bfloat16 emulated on the CPU.

Issue 8 allows a faster mode only if the characterised metrics stay within 1e-3 (relative) of float32. The
reduced formats keep float32's 8-bit exponent and round the mantissa: TF32 to 10 bits (NVIDIA A100 Tensor Core
GPU Architecture whitepaper, 2020: tensor cores round float32 inputs to TF32 and accumulate in float32), bfloat16
to 7 bits. Tensor-core convolutions round their *inputs* (activations and weights) and accumulate in float32, so
they are emulated exactly that way: every ``Conv2d`` and ``Linear`` of a copy of the model gets its weights, and
through a forward pre-hook its input, rounded to the format (round to nearest even, and for TF32 also truncation,
since the rounding mode of a given cuDNN kernel is not documented). Everything else stays float32, so the
emulation errs on the side of the reduced format (autocast to bfloat16 would also round outputs).

For each protocol layer the protocol's stimulus sets are recorded in the plain mode (contiguous, no folding,
float32: the reference), in the recorder's default fast mode (a float32 control: it must pass) and in each
emulated format, and characterised without model fits (``characterise_layer(..., fits=False)``, as the
tolerance test does). Reported per mode: the largest response error relative to each unit's largest response,
how many metric columns and unit values disagree at 1e-3 and how many class values change
(:func:`v1lab.agreement.compare_characterisations`). Rows are appended to ``benchmarks/results/precision.csv``.

    python -m benchmarks precision [--protocol protocols/quick.yaml] [--layers conv1 layer1]
"""

import argparse
import copy
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from benchmarks._common import append_rows, now
from benchmarks.fast_path import _machine
from v1lab.agreement import compare_characterisations
from v1lab.characterisation import characterise_layer
from v1lab.errors import V1labError
from v1lab.models import load_model
from v1lab.protocol import prepare_run
from v1lab.recording import CentreUnitRecorder, layer_dataset

__all__ = ["MODES", "main", "round_mantissa", "run"]

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "precision.csv"
FIELDS = ["date", "machine", "torch", "model", "protocol", "layer", "units", "mode", "max_rel_response_error",
          "metric_columns_beyond_1e-3", "metric_columns", "values_beyond_1e-3", "class_values_changed",
          "class_values"]
RTOL = 1e-3  # issue 8's tolerance, as tests/recording/test_fast_mode_metrics.py

#: ``mode: (mantissa bits, rounding)``; ``None`` is float32 arithmetic.
MODES = {"fp32 default (channels-last + folded)": None, "tf32 (nearest)": (10, "nearest"),
         "tf32 (truncate)": (10, "truncate"), "bf16 (nearest)": (7, "nearest")}


def round_mantissa(t: torch.Tensor, bits: int, rounding: str = "nearest") -> torch.Tensor:
    """float32 ``t`` with its 23-bit mantissa rounded to ``bits`` bits (to nearest even, or truncated)."""
    drop = 23 - bits
    i = t.contiguous().view(torch.int32)
    if rounding == "nearest":
        i = i + ((1 << (drop - 1)) - 1) + ((i >> drop) & 1)
    return (i & ~((1 << drop) - 1)).view(torch.float32)


def _emulated(model, bits: int, rounding: str):
    """A copy of ``model`` whose convolutions and linear maps take rounded weights and inputs."""
    module = copy.deepcopy(model.module)
    for m in module.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            with torch.no_grad():
                m.weight.copy_(round_mantissa(m.weight, bits, rounding))
            m.register_forward_pre_hook(lambda _, args: (round_mantissa(args[0], bits, rounding), *args[1:]))
    return dataclasses.replace(model, module=module)


def _characterise(model, layer, prepared, *, memory_format, fold):
    rec = CentreUnitRecorder(model, layer.name, response=layer.response, batch_size=256,
                             ppd=prepared.protocol.ppd, memory_format=memory_format, fold_batch_norm=fold)
    sets = list(prepared.sets.values())
    parts = [(s.name, s.params, rec.record_set(s, batch_size=256)) for s in sets]
    blank = rec.record(sets[0].blank(rec.canvas)).numpy()[0]
    data = layer_dataset(parts, blank, channels=np.arange(rec.n_channels),
                         attrs={"model": model.name, "layer": layer.title})
    analyses = prepared.protocol.analyses
    return (characterise_layer(data, analyses.roles, analyses.criteria, fits=False),
            np.concatenate([values for _, _, values in parts]))


def _compare(ref: pd.DataFrame, ref_resp, table: pd.DataFrame, resp) -> dict:
    scale = np.abs(ref_resp).max(axis=0) + np.finfo(np.float32).tiny
    result = compare_characterisations(ref, table, rtol=RTOL)
    metrics, classes = result[result["kind"] == "metric"], result[result["kind"] == "class"]
    return {"max_rel_response_error": float((np.abs(resp - ref_resp) / scale).max()),
            "metric_columns_beyond_1e-3": int((metrics["disagree"] > 0).sum()), "metric_columns": len(metrics),
            "values_beyond_1e-3": int(metrics["disagree"].sum()),
            "class_values_changed": int(classes["disagree"].sum()), "class_values": int(classes["compared"].sum())}


def run(protocol=REPO / "protocols" / "quick.yaml", layers=None, *, results=RESULTS) -> list[dict]:
    """One row per layer and mode of :data:`MODES`, each compared with the plain float32 mode."""
    prepared = prepare_run(protocol)
    dev = torch.device("cpu")
    model = load_model(prepared.protocol.model, device=dev)
    rows = []
    for layer in prepared.protocol.layers:
        if layers and layer.title not in layers:
            continue
        ref, ref_resp = _characterise(model, layer, prepared, memory_format=torch.contiguous_format, fold=False)
        for mode, emulate in MODES.items():
            if emulate is None:
                table, resp = _characterise(model, layer, prepared, memory_format=None, fold=True)
            else:
                table, resp = _characterise(_emulated(model, *emulate), layer, prepared,
                                            memory_format=torch.contiguous_format, fold=False)
            rows.append({"date": now(), "machine": _machine(dev), "torch": torch.__version__, "model": model.name,
                         "protocol": Path(protocol).name, "layer": layer.title, "units": len(ref), "mode": mode,
                         **_compare(ref, ref_resp, table, resp)})
            print(_line(rows[-1]), flush=True)
    if results is not None:
        append_rows(results, FIELDS, rows)
    return rows


def _line(r: dict) -> str:
    return (f"{r['layer']:<8}{r['mode']:<40}{r['max_rel_response_error']:>10.1e}"
            f"{r['metric_columns_beyond_1e-3']:>6}/{r['metric_columns']:<4}{r['values_beyond_1e-3']:>8}"
            f"{r['class_values_changed']:>6}/{r['class_values']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks precision", description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", default=str(REPO / "protocols" / "quick.yaml"),
                        help="protocol whose model, layers and stimulus sets are used (default protocols/quick.yaml)")
    parser.add_argument("--layers", nargs="+", help="layer titles to run (default: all of the protocol's)")
    args = parser.parse_args(argv)
    print("layer   mode                                    resp err  columns>1e-3  values  classes changed")
    try:
        run(args.protocol, args.layers)
    except V1labError as err:  # no weights, a bad protocol: the emulation needs the trained model
        print(f"precision: {err}", file=sys.stderr)
        return 2
    print(f"appended to {RESULTS}")
    return 0
