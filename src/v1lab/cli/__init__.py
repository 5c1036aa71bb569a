"""The ``v1lab`` command line: one module per sub-command, each with ``add_parser(subparsers)``.

Every :class:`v1lab.errors.V1labError` becomes one line on stderr and exit code 2; no traceback. A run stopped by
SIGINT or SIGTERM prints the command that resumes it and exits with 130 or 143 (128 + the signal's number).
"""

import argparse
import importlib
import sys

from v1lab import __version__
from v1lab.errors import V1labError

__all__ = ["main", "build_parser"]

# Sub-command modules, in the order `v1lab --help` lists them.
COMMANDS = (
    "v1lab.cli.run_cmd",
    "v1lab.cli.models_cmd",
    "v1lab.cli.stimuli_cmd",
    "v1lab.cli.lesion_cmd",
    "v1lab.cli.report_cmd",
    "v1lab.cli.agree_cmd",
    "v1lab.cli.preferred_cmd",
    "v1lab.cli.schema_cmd",
    "v1lab.cli.dissect_cmd",
    "v1lab.cli.block_drop_cmd",
    "v1lab.cli.compare_cmd",
    "v1lab.cli.sweep_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="v1lab",
        description="A virtual neurophysiology lab for convolutional networks.",
    )
    parser.add_argument("--version", action="version", version=f"v1lab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = ["v1lab", *(sys.argv[1:] if argv is None else argv)]   # the command as typed (manifest, --resume)
    try:
        code = args.func(args)
    except V1labError as err:
        print(f"v1lab: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        resume = getattr(err, "resume", None)   # a run stopped by SIGINT or SIGTERM (v1lab.runs.RunInterrupted)
        print("v1lab: interrupted" + (f"; resume with: {resume}" if resume else ""), file=sys.stderr)
        return 128 + getattr(err, "signum", 2)
    return int(code or 0)
