"""``v1lab sweep SWEEP.yaml``: one protocol over many models, checkpoints or seeds, executed on Ray.

* :mod:`v1lab.sweep.spec`: the sweep file (:class:`Sweep`) and its tasks, one per (model, layer);
* :mod:`v1lab.sweep.execute`: the tasks on Ray (embedded local Ray by default, ``address`` for a cluster), resources
  declared, failures recorded in ``status.csv``, finished tasks skipped;
* :mod:`v1lab.sweep.gather`: a run folder per model, the combined units and population tables, the comparison report.

See docs/sweep.md.
"""

from __future__ import annotations

from pathlib import Path

from v1lab.sweep.execute import STATUS_COLUMNS, execute_tasks, run_task, task_folder, task_state
from v1lab.sweep.gather import gather_model, gather_sweep
from v1lab.sweep.spec import ModelEntry, Resources, Sweep, Task, load_sweep, sweep_tasks

__all__ = ["Sweep", "ModelEntry", "Resources", "Task", "load_sweep", "sweep_tasks", "run_sweep", "execute_tasks",
           "run_task", "task_folder", "task_state", "gather_model", "gather_sweep", "STATUS_COLUMNS"]


def run_sweep(path, *, out=None, address: str | None = None, trust_code: bool = False, num_cpus: int | None = None,
              num_gpus: int | None = None, progress: bool = True) -> dict:
    """Run (or resume) the sweep file ``path`` into ``out`` (default ``runs/<name>``) and gather its results.

    Returns ``{"folder", "status" (DataFrame of status.csv), "models", "report", "left_out", "failed"}``; ``report``
    is the comparison's ``report.html`` (without figures where the protocol sets ``output.report: false``).
    Running it again on the same folder skips finished tasks and resumes interrupted ones.
    """
    from v1lab.protocol import prepare_run
    from v1lab.protocol.portable import portable_protocol
    from v1lab.protocol.loading import apply_overrides
    from v1lab.runs import write_text

    sweep, file = load_sweep(path)
    protocol_path = (file.parent / sweep.protocol).resolve()
    protocol = apply_overrides(portable_protocol(protocol_path), sweep.overrides)
    prepared = prepare_run(protocol, trust_code=trust_code)  # every check of the protocol before any task starts
    tasks = sweep_tasks(sweep, file.parent, protocol.get("layers") or [], trust_code=trust_code)
    root = Path(out) if out is not None else Path("runs") / (sweep.name or file.stem)
    root.mkdir(parents=True, exist_ok=True)
    write_text(root / "sweep.yaml", file.read_text(encoding="utf-8"))
    device = sweep.device or ("cuda" if sweep.resources.num_gpus > 0 else "cpu")
    status = execute_tasks(tasks, protocol, root, resources=sweep.resources, device=device, address=address,
                           num_cpus=num_cpus, num_gpus=num_gpus, progress=progress)
    gathered = gather_sweep(root, status, report=prepared.protocol.output.report,
                            progress=progress)
    failed = list(status.loc[status["status"] == "failed", "task"])
    return {"folder": root, "status": status, "failed": failed, **gathered}

