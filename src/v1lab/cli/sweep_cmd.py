"""``v1lab sweep``: one protocol over many models, checkpoints or seeds, on Ray (embedded, or a cluster)."""

from __future__ import annotations

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="run one protocol over many models, checkpoints or seeds on Ray, and compare them",
        description="Run SWEEP.yaml (docs/sweep.md): one Ray task per (model, layer), with the CPUs and GPUs the file "
        "declares, each into OUT/runs/<label>/<layer>; then gather a run per model (OUT/models/<label>), the combined "
        "units and population tables, and the comparison report (OUT/comparison). Rerunning with the same --out skips "
        "finished tasks and resumes interrupted ones. Without --address Ray starts on this machine. Exit code 0 when "
        "every task finished, 1 when some failed (status.csv says why), 2 on bad input.",
    )
    p.add_argument("sweep", metavar="SWEEP.yaml", help="sweep file")
    p.add_argument("--out", help="sweep folder (default runs/<name>); an existing one is resumed")
    p.add_argument("--address", help="join a running Ray cluster (e.g. auto, or HEAD_IP:6379) instead of starting one")
    p.add_argument("--num-cpus", type=int, help="CPUs of the embedded Ray (default: all of this machine's)")
    p.add_argument("--num-gpus", type=int, help="GPUs of the embedded Ray (default: all of this machine's)")
    p.add_argument("--trust-code", action="store_true", help="allow python: model specs (they run code from files)")
    p.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from v1lab.sweep import run_sweep

    result = run_sweep(args.sweep, out=args.out, address=args.address, trust_code=args.trust_code,
                       num_cpus=args.num_cpus, num_gpus=args.num_gpus, progress=not args.no_progress)
    status = result["status"]
    print(f"v1lab: sweep {result['folder']}: {int(status['status'].isin(['complete', 'done']).sum())} of {len(status)} "
          f"tasks finished, {len(result['failed'])} failed" + (f" ({', '.join(result['failed'])})" if result["failed"]
                                                              else ""))
    if result["report"] is not None:
        print(f"v1lab: comparison report {result['report']}")
    return 1 if result["failed"] else 0
