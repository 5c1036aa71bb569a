"""``v1lab run`` and ``v1lab validate``: run a protocol file, or check it without running."""

from __future__ import annotations

import argparse

from v1lab.errors import ProtocolError

__all__ = ["add_parser", "overrides_from_args"]


def add_parser(sub) -> None:
    run = sub.add_parser(
        "run",
        help="run a protocol file as a virtual experiment",
        description="Run a protocol (protocols/*.yaml). Results go to a new folder under the protocol's "
        "output.root (default runs/); options given here override the file.",
    )
    run.add_argument("protocol", help="protocol file (YAML)")
    run.add_argument("--out", help="write into this new (or empty) folder instead of output.root/<name>-<time>")
    run.add_argument("--resume", metavar="RUN_DIR", help="finish an interrupted run, computing only what is missing")
    _add_overrides(run)
    run.add_argument("--no-progress", action="store_true", help="do not draw progress bars")
    run.add_argument("--dry-run", action="store_true", help="check the protocol, time a calibration batch of each "
                     "step on this device and print the plan (stimuli per layer, optimisation steps, lesion "
                     "forward passes, predicted time); write nothing")
    run.set_defaults(func=_run)

    val = sub.add_parser(
        "validate",
        help="check a protocol file (schema, stimulus sets, model, layer names) without running it",
    )
    val.add_argument("protocol", help="protocol file (YAML)")
    _add_overrides(val)
    val.set_defaults(func=_validate)


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="model spec, e.g. resnet50-caffe, torchvision/resnet18, python:f.py:make")
    parser.add_argument("--layers", help="comma-separated layer names, MODULE or MODULE=LABEL, "
                        "e.g. relu=conv1,layer1")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], help="recording device (auto: cuda if available)")
    parser.add_argument("--max-memory", metavar="SIZE", help="memory budget of rendering and recording, e.g. 2GB or "
                        "1.5GiB (output.max_memory; default 2GB)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="override any protocol field by its dotted key, e.g. output.batch_size=64 "
                        "(VALUE is read as YAML); repeatable")
    parser.add_argument("--trust-code", action="store_true",
                        help="allow the protocol file's model to be python:FILE:FACTORY, which imports and runs "
                        "FILE (only for files you trust; --model is always allowed)")
    parser.add_argument("--max-stimuli", type=_positive, default=None, metavar="N",
                        help="allow up to N stimuli per layer (default 1000000)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive integer")
    return value


def _limits(args) -> dict:
    """``trust_code`` and ``max_stimuli`` as given on the command line."""
    from v1lab.stimuli import MAX_STIMULI

    return {"trust_code": args.trust_code, "max_stimuli": args.max_stimuli or MAX_STIMULI}


def overrides_from_args(args) -> dict:
    """Command-line options as dotted-key protocol overrides (``--set`` first, named options win)."""
    from v1lab.protocol.schema import layer_entry
    from v1lab.safe_yaml import load_yaml

    overrides = {}
    for item in args.sets:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ProtocolError(f"--set {item!r}: expected KEY=VALUE, e.g. output.batch_size=64")
        overrides[key.strip()] = load_yaml(value, f"--set {key}")
    if args.model:
        overrides["model"] = args.model
    if args.layers:
        overrides["layers"] = [layer_entry(item) for item in args.layers.split(",") if item.strip()]
    if args.device:
        overrides["device"] = args.device
    if args.max_memory:
        overrides["output.max_memory"] = args.max_memory
    return overrides


def _run(args) -> int:
    from v1lab.protocol.runner import run_protocol

    if args.dry_run:
        from v1lab.protocol.plan import plan_protocol

        print(plan_protocol(args.protocol, overrides=overrides_from_args(args), **_limits(args)))
        return 0
    run = run_protocol(args.protocol, overrides=overrides_from_args(args), out=args.out, resume=args.resume,
                       progress=not args.no_progress, argv=args.argv, **_limits(args))
    print(f"v1lab: results in {run.path}")
    return 0


def _validate(args) -> int:
    from v1lab.protocol.validate import validate_protocol

    summary = validate_protocol(args.protocol, overrides_from_args(args), **_limits(args))
    print(f"{args.protocol}: valid ({summary})")
    return 0
