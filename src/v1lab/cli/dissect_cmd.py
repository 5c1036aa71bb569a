"""``v1lab dissect``: each residual block's shortcut, residual branch, sum and output, characterised at one unit."""

from __future__ import annotations

import sys

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "dissect",
        help="characterise each residual block's shortcut, residual branch, sum and output (skip connections)",
        description="Run PROTOCOL's stimuli and analyses on the shortcut, residual, sum and post_relu responses of "
        "every chosen residual block (layers labelled <block>-<mode>) and tabulate, per block, what the branch "
        "changes relative to the shortcut: orientation selectivity, colour classes, peak SF, with Fisher, "
        "Mann-Whitney and KS tests, Holm-corrected (dissection.csv, dissection_tests.csv; docs/skip_connections.md).",
    )
    p.add_argument("protocol", help="protocol file (YAML); its layers are replaced by the blocks' modes")
    p.add_argument("--model", help="model spec replacing the protocol's")
    p.add_argument("--blocks", help="comma-separated block names (default: every residual block)")
    p.add_argument("--out", help="new (or empty) run folder")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="recording device")
    p.add_argument("--no-progress", action="store_true", help="do not draw progress bars")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from v1lab.residual import run_dissection

    blocks = [b.strip() for b in args.blocks.split(",") if b.strip()] if args.blocks else None
    run = run_dissection(args.protocol, blocks, model=args.model, out=args.out, device=args.device,
                         progress=not args.no_progress, argv=sys.argv)
    print(f"v1lab: dissection in {run.path / 'dissection.csv'} and {run.path / 'dissection_tests.csv'}")
    return 0
