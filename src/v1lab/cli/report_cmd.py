"""``v1lab report``: (re)build the figures and the self-contained HTML report of a run folder."""

from __future__ import annotations

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    report = sub.add_parser(
        "report",
        help="build the figures and RUN_DIR/report.html from a run folder's tables",
        description="Draw the figures (RUN_DIR/figures/*.png, each also as PDF) and write RUN_DIR/report.html, a "
        "single file with every figure embedded. Population and comparison tables missing from the folder are "
        "computed from units.csv first. See docs/report.md.",
    )
    report.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by `v1lab run`")
    report.add_argument("--n-boot", type=int, default=1000,
                        help="bootstrap resamples if comparison.csv must be recomputed (default 1000)")
    report.add_argument("--max-unit-rows", type=int, default=200,
                        help="rows of units.csv shown per layer, and of each extra CSV (default 200)")
    report.add_argument("--no-progress", action="store_true",
                        help="no progress bar (default: one on a terminal, over the drawing steps)")
    report.set_defaults(func=_report)


def _report(args) -> int:
    from v1lab.report import build_report

    path = build_report(args.run_dir, n_boot=args.n_boot, max_unit_rows=args.max_unit_rows,
                        progress=False if args.no_progress else None)
    print(f"v1lab: report in {path}")
    return 0
