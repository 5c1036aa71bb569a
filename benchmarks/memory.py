"""Peak memory and wall time of ``v1lab run`` for the shipped protocols (default: quick and kobayashi2020).

Each protocol runs in a fresh child process, ``python -m benchmarks._run_child CUDA_JSON run PROTOCOL --out DIR
--no-progress --device DEVICE [--set K=V ...]`` (``v1lab run`` itself, which then writes torch's CUDA peaks), so
the figures include starting Python, importing torch and loading the model. Measured per protocol:

* peak resident memory of the child: ``ru_maxrss`` of its own ``os.wait4`` resource usage (the high-water mark
  of its resident set, Linux ``getrusage(2)``), so no other process is counted;
* on CUDA, the child's ``torch.cuda.max_memory_allocated`` (tensors) and ``max_memory_reserved`` (the caching
  allocator's whole pool);
* wall time, and the manifest's ``recording_seconds`` and ``total_seconds``.

Run folders go to a temporary folder, deleted afterwards, unless ``--keep DIR`` (``DIR/<protocol>``, e.g. to reuse
a kobayashi2020 run). Rows are appended to ``benchmarks/results/memory.csv``.

    python -m benchmarks memory [--protocols quick kobayashi2020] [--device auto] [--set output.max_memory=2GB ...]
        [--keep DIR] [--threads 2]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks._common import append_rows, now
from benchmarks.fast_path import _machine
from benchmarks.protocols import ROOT, n_stimuli
from v1lab.recording import resolve_device

__all__ = ["main", "run", "run_one"]

RESULTS = Path(__file__).resolve().parent / "results" / "memory.csv"
FIELDS = ["date", "machine", "torch", "device", "protocol", "overrides", "max_memory_bytes", "wall_s", "recording_s",
          "total_s", "peak_rss_mib", "peak_cuda_allocated_mib", "peak_cuda_reserved_mib", "n_stimuli", "n_units",
          "exit_code"]


def run_one(protocol: str, out_root: Path, *, device: str, sets=(), threads: int = 2) -> dict:
    """Run one protocol in a child process; return its row (peak memory, wall time, manifest timings)."""
    from v1lab.cli.run_cmd import overrides_from_args
    from v1lab.protocol.prepare import prepare_run

    path = Path(protocol)
    if not path.suffix:
        path = ROOT / "protocols" / f"{protocol}.yaml"
    out = Path(out_root) / path.stem
    cuda_json = Path(out_root) / f"{path.stem}.cuda.json"
    cmd = [sys.executable, "-m", "benchmarks._run_child", str(cuda_json), "run", str(path), "--out", str(out),
           "--no-progress", "--device", device]
    for item in sets:
        cmd += ["--set", item]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=ROOT, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    cuda = json.loads(cuda_json.read_text(encoding="utf-8")) if cuda_json.is_file() else {}
    overrides = overrides_from_args(argparse.Namespace(sets=list(sets), model=None, layers=None, device=device,
                                                       max_memory=None))
    rss_kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024  # macOS reports bytes
    return {"protocol": path.stem, "overrides": " ".join(sets),
            "max_memory_bytes": int(prepare_run(path, overrides).protocol.output.max_memory),
            "wall_s": round(wall, 2), "recording_s": manifest.get("recording_seconds", ""),
            "total_s": manifest.get("total_seconds", ""), "peak_rss_mib": round(rss_kib / 1024, 1),
            "peak_cuda_allocated_mib": cuda.get("max_memory_allocated_mib", ""),
            "peak_cuda_reserved_mib": cuda.get("max_memory_reserved_mib", ""),
            "n_stimuli": n_stimuli(path, overrides), "n_units": manifest.get("n_units", ""),
            "exit_code": child.returncode, "device": manifest.get("device", device)}


def run(protocols, *, device="auto", keep=None, sets=(), threads=2, results=RESULTS) -> list[dict]:
    """Run each protocol; return (and append to ``results``) one row per protocol."""
    dev = resolve_device(device)
    base = {"date": now(), "machine": _machine(dev), "torch": torch.__version__}
    rows = []
    with tempfile.TemporaryDirectory(prefix="v1lab-memory-") as tmp:
        root = Path(keep) if keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for name in protocols:
            rows.append({**base, **run_one(name, root, device=dev.type, sets=sets, threads=threads)})
    if results is not None:
        append_rows(results, FIELDS, rows)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks memory", description=__doc__.splitlines()[0])
    parser.add_argument("--protocols", nargs="+", default=["quick", "kobayashi2020"],
                        help="protocol names (protocols/NAME.yaml) or files (default: quick kobayashi2020)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="protocol override passed to v1lab run, e.g. output.max_memory=1.5GB (repeatable)")
    parser.add_argument("--keep", metavar="DIR", help="keep the run folders as DIR/<protocol> (default: deleted)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads of the run (OMP_NUM_THREADS, default 2)")
    args = parser.parse_args(argv)
    rows = run(args.protocols, device=args.device, keep=args.keep, sets=args.sets, threads=args.threads)
    print(f"v1lab run on {rows[0]['device']} ({rows[0]['machine']}), torch {rows[0]['torch']}")
    print(f"{'protocol':<14} {'stimuli':>8} {'budget GB':>10} {'peak RSS MiB':>13} {'CUDA alloc MiB':>15} "
          f"{'wall s':>8} {'recording s':>12}")
    for r in rows:
        print(f"{r['protocol']:<14} {r['n_stimuli']:>8} {r['max_memory_bytes'] / 1e9:>10.2f} {r['peak_rss_mib']:>13} "
              f"{r['peak_cuda_allocated_mib']!s:>15} {r['wall_s']:>8.1f} {r['recording_s']!s:>12}"
              + (f"  (exit code {r['exit_code']})" if r["exit_code"] else ""))
    print(f"appended to {RESULTS}")
    return max(r["exit_code"] for r in rows)
