"""Execute a sweep's tasks on Ray: one task per (model, layer), resources declared, failures recorded, resumable.

Each task runs :func:`v1lab.protocol.run_protocol` for one model and one layer into ``SWEEP/runs/<label>/<layer>``.
A task whose folder holds a complete run is skipped; a folder left ``running`` by a killed or failed task is finished
with ``run_protocol(..., resume=folder)`` (sets already on disk are read back). A task that raises, or whose worker
dies, is recorded in ``status.csv`` with its error and does not stop the others (``max_retries=0``: a rerun of the
sweep is the retry). Ray starts embedded on this machine's cores and GPUs unless ``address`` names a running cluster
or the caller has already called ``ray.init``.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from v1lab.runs import atomic_path
from v1lab.sweep.spec import Resources, Task

__all__ = ["STATUS_COLUMNS", "run_task", "task_folder", "task_state", "execute_tasks"]

#: Columns of ``status.csv``, one row per task.
STATUS_COLUMNS = ["task", "label", "model", "layer", "seed", "status", "seconds", "error", "folder", "finished"]


def task_folder(root: Path, task: Task) -> Path:
    return Path(root) / "runs" / task.label / task.layer_title


def task_state(folder: Path) -> str:
    """``complete``, ``running`` (an interrupted run to resume) or ``new`` (nothing worth keeping)."""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return "new"
    try:
        status = json.loads(manifest.read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError):
        return "running"
    return "complete" if status == "complete" else "running"


def run_task(task: Task, protocol: dict, folder: str, device: str, num_threads: int) -> dict:
    """Run one task (in a Ray worker, or in the calling process); returns how long it took."""
    import torch

    from v1lab.models import load_model
    from v1lab.protocol import run_protocol

    torch.set_num_threads(max(1, num_threads))
    started = time.perf_counter()
    path = Path(folder)
    state = task_state(path)
    if state == "new" and path.exists():
        shutil.rmtree(path)  # no manifest: created but never started, nothing to resume
    overrides = {"output.report": False, **({"seed": task.seed} if task.seed is not None else {})}
    loaded = load_model(task.spec, device="cpu")
    run_protocol(protocol, model=loaded, layers=[task.layer], out=None if state == "running" else path,
                 resume=path if state == "running" else None, device=device, overrides=overrides, progress=False,
                 argv=["v1lab", "sweep", task.key])
    return {"seconds": round(time.perf_counter() - started, 1), "resumed": state == "running"}


def _row(task: Task, root: Path, status: str, *, seconds=None, error: str = "") -> dict:
    return {"task": task.key, "label": task.label, "model": task.spec, "layer": task.layer_title, "seed": task.seed,
            "status": status, "seconds": seconds, "error": error, "folder": str(task_folder(root, task)),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _write_status(root: Path, tasks: list[Task], rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame([rows[t.key] for t in tasks if t.key in rows], columns=STATUS_COLUMNS)
    with atomic_path(root / "status.csv") as tmp:
        frame.to_csv(tmp, index=False)
    return frame


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    cause = getattr(exc, "cause", None)  # ray.exceptions.RayTaskError carries the task's own exception
    if cause is not None:
        return f"{type(cause).__name__}: {str(cause).strip().splitlines()[0] if str(cause).strip() else ''}"
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def execute_tasks(tasks: list[Task], protocol: dict, root: Path, *, resources: Resources, device: str,
                  address: str | None = None, num_cpus: int | None = None,
                  num_gpus: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Run every task not already complete on Ray; write and return ``status.csv`` (one row per task)."""
    import ray

    rows = {t.key: _row(t, root, "done") for t in tasks if task_state(task_folder(root, t)) == "complete"}
    todo = [t for t in tasks if t.key not in rows]
    rows.update({t.key: _row(t, root, "pending") for t in todo})
    _write_status(root, tasks, rows)
    started_here = False
    if todo and not ray.is_initialized():
        started_here = True
        quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(num_cpus=num_cpus, num_gpus=num_gpus, include_dashboard=False,
                     object_store_memory=100 * 1024 ** 2, **quiet)
    try:
        remote = ray.remote(run_task).options(num_cpus=resources.num_cpus, num_gpus=resources.num_gpus,
                                              max_retries=0)
        threads = max(1, int(resources.num_cpus))
        pending = {remote.remote(t, protocol, str(task_folder(root, t)), device, threads): t for t in todo}
        with tqdm(total=len(tasks), initial=len(rows), unit="task", desc="sweep", disable=not progress) as bar:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                task = pending.pop(done[0])
                try:
                    info = ray.get(done[0])
                    rows[task.key] = _row(task, root, "complete", seconds=info["seconds"])
                except Exception as exc:  # noqa: BLE001 - any task failure is recorded, the others go on
                    rows[task.key] = _row(task, root, "failed", error=_one_line(exc))
                    bar.write(f"v1lab: task {task.key} failed: {rows[task.key]['error']}")
                _write_status(root, tasks, rows)
                bar.update(1)
    finally:
        if started_here:
            ray.shutdown()
    return _write_status(root, tasks, rows)

