"""The items of the report's sections: figures (embedded PNG, linked PDF), tables, notes and caveats."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from PIL import Image

from v1lab.report._save import vector_path
from v1lab.report._tables import table_html
from v1lab.report.figures import safe_name

__all__ = ["Block", "Section", "figure_block", "table_block", "note_block", "caveat_block"]


@dataclass(frozen=True)
class Block:
    """One item of a section.

    ``kind`` is ``figure`` (``data_uri``: the PNG; ``vector``: link to its PDF, relative to the report;
    ``width``: when set, the PNG is shown at exactly this many CSS pixels, its natural size, never scaled
    down), ``table`` (``html``), ``note`` or ``caveat`` (``note``, shown as a warning beside what precedes it).
    """

    kind: str
    caption: str = ""
    note: str = ""
    html: str = ""
    data_uri: str = ""
    vector: str = ""
    width: int = 0


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str = ""
    blocks: list[Block] = field(default_factory=list)


def figure_block(path: Path, caption: str, *, root: Path | None = None, natural: bool = False) -> Block:
    """A figure block holding the PNG at ``path`` as a base64 data URI, linking its vector copy (same stem,
    ``.pdf`` or ``.svg``) when it exists, as a path relative to ``root`` (the run folder, where the report is).
    With ``natural``, the page shows the PNG at its own pixel width (legible galleries)."""
    path = Path(path)
    data = path.read_bytes()
    vector = next((p for p in (vector_path(path), path.with_suffix(".svg")) if p.is_file()), None)
    link = Path(os.path.relpath(vector, root)).as_posix() if vector is not None and root is not None else ""
    width = 0
    if natural:
        with Image.open(path) as image:
            width = image.size[0]
    return Block("figure", caption=caption, vector=link, width=width,
                 data_uri="data:image/png;base64," + base64.b64encode(data).decode("ascii"))


def table_block(frame: pd.DataFrame, caption: str, *, source: str, max_rows: int | None = None,
                table_id: str | None = None) -> Block:
    """A table block from ``frame`` (the CSV at ``source``), the first ``max_rows`` rows with a note if cut.

    The HTML table gets the id ``table_id`` (default ``table-<source>`` with unsafe characters as ``_``).
    """
    if frame.empty:
        return Block("note", note=f"{caption}: no rows ({source}).")
    note = f"From {source}."
    if max_rows is not None and len(frame) > max_rows:
        note = f"First {max_rows} of {len(frame)} rows; all rows in {source}."
    html = table_html(frame, max_rows=max_rows, table_id=table_id or f"table-{safe_name(source)}")
    return Block("table", caption=caption, note=note, html=html)


def note_block(text: str) -> Block:
    return Block("note", note=text)


def caveat_block(text: str, caption: str = "Caveat") -> Block:
    """A caveat, printed as a warning beside the number it concerns."""
    return Block("caveat", caption=caption, note=text)
