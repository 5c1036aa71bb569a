"""``v1lab schema``: the JSON Schema of protocol or stimulus-set files, for editor completion."""

from __future__ import annotations

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of protocol or stimulus-set files (for editor completion)",
        description="Print (or write) the JSON Schema generated from v1lab's models. Name it in a YAML file with "
        "'# yaml-language-server: $schema=PATH' for completion and checks in the editor (docs/protocols.md).",
    )
    p.add_argument("kind", choices=["protocol", "stimulus-set"], help="which files the schema describes")
    p.add_argument("--out", metavar="FILE", help="write the schema to FILE instead of printing it")
    p.set_defaults(func=_schema)


def _schema(args) -> int:
    from v1lab.protocol.json_schema import schema_text
    from v1lab.runs.atomic import write_text

    text = schema_text(args.kind)
    if args.out:
        print(f"v1lab: {args.kind} schema in {write_text(args.out, text)}")
    else:
        print(text, end="")
    return 0
