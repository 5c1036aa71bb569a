"""YAML from files that are shared like data: read with bounds, never executing anything.

Protocol and stimulus-set files, ``--set`` values and the protocols stored in run folders are read here. The
loader is PyYAML's safe loader (plain data: no tags that build Python objects; libyaml's parser where available)
with three bounds, checked on the parse events before anything is built, so a hostile file is refused quickly
and in little memory:

* a file is at most :data:`MAX_BYTES` long (read from a regular file only: no device, pipe or socket);
* the document, with every alias expanded, holds at most :data:`MAX_NODES` nodes: the "billion laughs" alias
  bomb (a few lines whose aliases expand to 10^9 strings) is refused after reading a few dozen events;
* collections nest at most :data:`MAX_DEPTH` deep, and an alias may not refer to a collection that contains it.

References
----------
.. [1] YAML Ain't Markup Language, version 1.1, section 3.2.2.2 (anchors and aliases); PyYAML's
   ``SafeLoader``.
.. [2] "Billion laughs attack", the entity-expansion bomb of XML, whose YAML form uses anchors and aliases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from v1lab.errors import ProtocolError

__all__ = ["MAX_BYTES", "MAX_NODES", "MAX_DEPTH", "load_yaml", "read_yaml"]

#: Largest YAML file read (bytes); the shipped protocols and stimulus sets are under 2 kB.
MAX_BYTES = 1 << 20
#: Most nodes in a document with its aliases expanded (a shipped file has under 150).
MAX_NODES = 100_000
#: Deepest nesting of collections (a shipped file nests at most 7 deep).
MAX_DEPTH = 64


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml's parser where PyYAML was built with it


class _Bounded(yaml.YAMLError):
    """A document beyond the bounds (a plain YAML error, reported like a syntax error)."""


def _check_bounds(text: str) -> None:
    """Walk the document's parse events (nothing is built) and stop at the first bound exceeded.

    Each scalar counts 1, each collection 1 plus its items, each alias the size of what it names: the running
    count is the size of the document with its aliases expanded, known before the expansion happens.
    """
    sizes: dict[str, int] = {}        # anchor -> expanded size of the node it names
    open_nodes: list[list] = []       # [anchor, size so far] of each collection being read
    count = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(open_nodes) >= MAX_DEPTH:
                raise _Bounded(f"collections nested more than {MAX_DEPTH} deep")
            open_nodes.append([event.anchor, 1])
            count += 1
        elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            if isinstance(event, yaml.ScalarEvent):
                anchor, size = event.anchor, 1
            elif isinstance(event, yaml.AliasEvent):
                if any(node[0] == event.anchor for node in open_nodes):
                    raise _Bounded("an alias refers to a collection that contains it (a recursive structure)")
                anchor, size = None, sizes.get(event.anchor, 1)   # an undefined alias is the loader's error
            else:
                anchor, size = open_nodes.pop()
            if anchor is not None:
                sizes[anchor] = size
            if open_nodes:
                open_nodes[-1][1] += size
            count += 0 if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)) else size
            if count > MAX_NODES:
                raise _Bounded(f"the document expands to more than {MAX_NODES} values (aliases counted as copies)")


def load_yaml(text: str, source: str, error: type[Exception] = ProtocolError) -> Any:
    """Parse ``text`` with the safe loader within the bounds; any problem is one ``error`` line naming ``source``."""
    try:
        _check_bounds(text)
        return yaml.load(text, Loader=_Loader)   # a safe loader: plain data only
    except _Bounded as exc:
        raise error(f"{source}: refused: {exc}; expected a small data file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise error(f"{source}: not valid YAML{where}: {problem}") from None


def read_yaml(path: str | Path, error: type[Exception] = ProtocolError) -> Any:
    """Read a YAML file (a regular file of at most :data:`MAX_BYTES`, UTF-8) with :func:`load_yaml`.

    A missing, unreadable, oversized or unparsable file is one ``error`` line naming the file.
    """
    path = Path(path)
    if not path.exists():
        raise error(f"{path}: no such file")
    if not path.is_file():
        raise error(f"{path}: not a regular file (a folder, device or pipe); expected a YAML file")
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc}); expected a readable YAML file") from None
    if len(data) > MAX_BYTES:
        raise error(f"{path}: larger than {MAX_BYTES // 1024} KiB; expected a protocol or stimulus-set file "
                    f"of at most {MAX_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start}); expected a YAML file") from None
    return load_yaml(text, str(path), error)
