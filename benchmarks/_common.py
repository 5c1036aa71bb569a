"""Helpers shared by the throughput and protocol benchmarks: timing, peak memory, CSV rows, line fits."""

import csv
import datetime as dt
import time
from pathlib import Path

import numpy as np
import torch

__all__ = ["now", "sync", "timed", "reset_peak_memory", "peak_memory_mib", "MEMORY_METHOD", "append_rows",
           "fit_line"]

#: What :func:`peak_memory_mib` measures on each device type.
MEMORY_METHOD = {
    "cuda": "torch.cuda.max_memory_allocated (tensors only)",
    "cpu": "process peak RSS, /proc/self/status VmHWM after resetting it via /proc/self/clear_refs",
}


def now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def timed(fn, dev: torch.device):
    """``(fn(), seconds)``, with the device synchronised before and after."""
    sync(dev)
    start = time.perf_counter()
    out = fn()
    sync(dev)
    return out, time.perf_counter() - start


def reset_peak_memory(dev: torch.device) -> bool:
    """Start a new peak-memory window; ``False`` when the peak cannot be reset on this machine."""
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
        return True
    try:  # Linux >= 4.0: writing 5 resets the peak resident set size (VmHWM) to the current RSS
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_memory_mib(dev: torch.device) -> float:
    """Peak memory since :func:`reset_peak_memory` in MiB (see :data:`MEMORY_METHOD`); NaN if unknown."""
    if dev.type == "cuda":
        return torch.cuda.max_memory_allocated(dev) / 2**20
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            kib = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
        return kib / 1024
    except (OSError, StopIteration):
        return float("nan")


def append_rows(path: Path, fields: list[str], rows: list[dict]) -> None:
    """Append ``rows`` to the CSV at ``path`` (header written when the file is new)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with open(path, "a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        if new:
            writer.writeheader()
        writer.writerows(rows)


def fit_line(x, y) -> tuple[float, float, float]:
    """Least-squares line ``y = slope * x + intercept`` (:func:`numpy.polyfit`); returns slope, intercept, R^2.

    R^2 = 1 - SS_res / SS_tot (coefficient of determination); NaN when ``y`` is constant.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    slope, intercept = np.polyfit(x, y, 1)
    ss_res = float(np.sum((y - (slope * x + intercept)) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return float(slope), float(intercept), (1 - ss_res / ss_tot) if ss_tot > 0 else float("nan")
