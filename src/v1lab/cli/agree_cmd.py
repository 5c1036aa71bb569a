"""``v1lab agree``: do two runs of one protocol agree, metric by metric and class by class?"""

from __future__ import annotations

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    agree = sub.add_parser(
        "agree",
        help="compare the unit tables of two runs of one protocol (metrics to a relative tolerance, classes)",
        description="Compare RUN_A (the reference) and RUN_B unit by unit, layer by layer: a metric value agrees "
        "when |b - a| <= RTOL * max(|a|, s), s the median non-zero |a| of its column in that layer; angles "
        "on the circle; classes must be equal (v1lab.agreement, docs/recording.md). Prints every column "
        "that disagrees and a line per layer. Exit code 0 when everything agrees, 1 when something does not, "
        "2 on bad input.",
    )
    agree.add_argument("run_a", metavar="RUN_A", help="the reference run folder")
    agree.add_argument("run_b", metavar="RUN_B", help="the run folder compared with it")
    agree.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance (default 1e-3)")
    agree.add_argument("--out", metavar="CSV", help="also write every compared column to this CSV file")
    agree.set_defaults(func=_agree)


def _agree(args) -> int:
    from v1lab.runs.atomic import atomic_path
    from v1lab.agreement import compare_runs
    from v1lab.errors import V1labError

    if not args.rtol > 0:
        raise V1labError(f"--rtol {args.rtol}; expected a positive number")
    result = compare_runs(args.run_a, args.run_b, rtol=args.rtol)
    if args.out:
        with atomic_path(args.out) as tmp:
            result.to_csv(tmp, index=False)
    off = result[result["disagree"] > 0]
    for _, r in off.iterrows():
        detail = "" if r["kind"] == "class" else f", max scaled difference {r['max_scaled_difference']:.3g}"
        print(f"{r['model']} {r['layer']}: {r['column']}: {r['disagree']} of {r['compared']} disagree{detail}")
    for (model, layer), g in result.groupby(["model", "layer"], sort=False):
        metrics, classes = g[g["kind"] == "metric"], g[g["kind"] == "class"]
        print(f"{model} {layer}: {metrics['disagree'].sum()} of {metrics['compared'].sum()} metric values and "
              f"{classes['disagree'].sum()} of {classes['compared'].sum()} class values disagree at rtol {args.rtol:g}")
    return 1 if len(off) else 0
