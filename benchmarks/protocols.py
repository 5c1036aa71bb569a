"""End-to-end wall time of ``v1lab run`` for the shipped protocols (default: quick, and kobayashi2020 on CUDA).

Each protocol runs as ``python -m v1lab run PROTOCOL --out DIR --no-progress --device DEVICE [--set K=V ...]``
in a fresh process, so the wall time includes starting Python, importing torch and loading the model.
The run's ``manifest.json`` gives the runner's own timings: ``recording_seconds`` (rendering, recording
and characterising every layer) and ``total_seconds`` (that plus the summary tables and the report);
``units.csv`` / ``units.parquet`` gives the number of units per layer. Run folders go to ``--out-root``
(default: a temporary folder, deleted afterwards). Rows are appended to ``benchmarks/results/protocols.csv``.
kobayashi2020 (five layers, about ten thousand stimuli) takes long on a CPU: on the CPU it runs only when
named, ``--protocols quick kobayashi2020``.

    python -m benchmarks protocols [--device auto] [--protocols quick kobayashi2020] [--out-root DIR]
        [--set output.batch_size=256 ...] [--threads 2]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from benchmarks._common import append_rows, now
from benchmarks.fast_path import _machine
from v1lab.recording import resolve_device

__all__ = ["main", "n_stimuli", "run"]

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "protocols.csv"
FIELDS = ["date", "machine", "torch", "device", "protocol", "overrides", "wall_s", "recording_s", "total_s",
          "n_stimuli", "n_units", "units_per_layer", "exit_code"]


def _units_per_layer(folder: Path) -> dict:
    for name, reader in (("units.parquet", pd.read_parquet), ("units.csv", pd.read_csv)):
        if (folder / name).is_file():
            table = reader(folder / name)
            return {str(k): int(v) for k, v in table.groupby("layer", sort=False).size().items()}
    return {}


def n_stimuli(path: Path, overrides: dict) -> int:
    from v1lab.protocol.runner import prepare_run

    sets = prepare_run(path, overrides).sets
    return sum(len(s.params) for s in sets.values())


def run_one(protocol: str, out_root: Path, *, device: str, sets=(), threads: int = 2) -> dict:
    """Run one protocol in a fresh process; return its row (wall time, manifest timings, units)."""
    from v1lab.cli.run_cmd import overrides_from_args

    path = Path(protocol)
    if not path.suffix:
        path = ROOT / "protocols" / f"{protocol}.yaml"
    out = Path(out_root) / path.stem
    cmd = [sys.executable, "-m", "v1lab", "run", str(path), "--out", str(out), "--no-progress", "--device", device]
    for item in sets:
        cmd += ["--set", item]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    start = time.perf_counter()
    code = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
    wall = time.perf_counter() - start
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    units = _units_per_layer(out)
    overrides = overrides_from_args(argparse.Namespace(sets=list(sets), model=None, layers=None, device=device,
                                                       max_memory=None))
    return {"protocol": path.stem, "overrides": " ".join(sets), "wall_s": round(wall, 2),
            "recording_s": manifest.get("recording_seconds", ""), "total_s": manifest.get("total_seconds", ""),
            "n_stimuli": n_stimuli(path, overrides), "n_units": manifest.get("n_units", ""),
            "units_per_layer": ";".join(f"{k}:{v}" for k, v in units.items()), "exit_code": code,
            "device": manifest.get("device", device)}


def run(protocols, *, device="auto", out_root=None, sets=(), threads=2, results=RESULTS) -> list[dict]:
    """Run each protocol; return (and append to ``results``) one row per protocol."""
    dev = resolve_device(device)
    base = {"date": now(), "machine": _machine(dev), "torch": torch.__version__}
    rows = []
    with tempfile.TemporaryDirectory(prefix="v1lab-bench-") as tmp:
        root = Path(out_root) if out_root else Path(tmp)
        for name in protocols:
            rows.append({**base, **run_one(name, root, device=dev.type, sets=sets, threads=threads)})
    if results is not None:
        append_rows(results, FIELDS, rows)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks protocols", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    parser.add_argument("--protocols", nargs="+",
                        help="protocol names (protocols/NAME.yaml) or files; default quick on the CPU, "
                        "quick kobayashi2020 on CUDA")
    parser.add_argument("--out-root", help="keep the run folders here (default: a temporary folder, deleted)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="protocol override passed to v1lab run (repeatable)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads of the run (OMP_NUM_THREADS, default 2)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    dev = resolve_device(args.device)
    protocols = args.protocols or (["quick", "kobayashi2020"] if dev.type == "cuda" else ["quick"])
    rows = run(protocols, device=args.device, out_root=args.out_root, sets=args.sets, threads=args.threads)
    print(f"v1lab run on {rows[0]['device']} ({rows[0]['machine']}), torch {rows[0]['torch']}")
    print(f"{'protocol':<14} {'stimuli':>8} {'units':>6} {'wall s':>8} {'recording s':>12} {'total s':>8}  units per layer")
    for r in rows:
        print(f"{r['protocol']:<14} {r['n_stimuli']:>8} {r['n_units']!s:>6} {r['wall_s']:>8.1f} "
              f"{r['recording_s']!s:>12} {r['total_s']!s:>8}  {r['units_per_layer']}"
              + (f"  (exit code {r['exit_code']})" if r["exit_code"] else ""))
    print(f"appended to {RESULTS}")
    return max(r["exit_code"] for r in rows)
