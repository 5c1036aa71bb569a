"""``v1lab compare``: runs of one protocol on different models, checkpoints or seeds, tested layer by layer."""

from __future__ import annotations

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "compare",
        help="compare runs of one protocol on different models, checkpoints or seeds (tests, report, ranking)",
        description="Match the layers of RUN_A RUN_B [...] by label and compare them: class fractions (Fisher's exact "
        "test for two runs, chi-squared for more, Wilson and Newcombe intervals), metric distributions (Mann-Whitney "
        "U, Kolmogorov-Smirnov; Kruskal-Wallis for more), Holm across all tests; rank the runs by how V1-like their "
        "best layer is. Writes runs.csv, tests.csv, population.csv, scores.csv, ranking.csv, figures/ and "
        "report.html into --out (docs/compare.md). Exit code 0; 2 on bad input.",
    )
    p.add_argument("runs", nargs="+", metavar="RUN", help="two or more finished run folders")
    p.add_argument("--labels", help="comma-separated labels, one per run (default: the model specs)")
    p.add_argument("--out", default="comparison", help="folder for the tables and report (default: comparison)")
    p.add_argument("--alpha", type=float, default=0.05, help="family-wise level of the Holm correction (default 0.05)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from v1lab.compare import compare_models, write_comparison
    from v1lab.errors import V1labError

    if not 0 < args.alpha < 1:
        raise V1labError(f"--alpha {args.alpha}; expected a number between 0 and 1")
    labels = [x.strip() for x in args.labels.split(",")] if args.labels else None
    comparison = compare_models(args.runs, labels=labels, alpha=args.alpha)
    report = write_comparison(comparison, args.out)
    print(comparison.summary())
    print(f"v1lab: comparison report {report}")
    return 0
