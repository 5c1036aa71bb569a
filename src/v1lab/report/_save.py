"""Writing a figure: a PNG for the page and the same figure as PDF beside it, both atomically."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from v1lab.runs.atomic import atomic_path

__all__ = ["DPI", "VECTOR_FORMAT", "save_figure", "vector_path"]

#: Resolution of the PNG figures, dots per inch.
DPI = 150
#: The vector format every figure is also written in.
VECTOR_FORMAT = "pdf"


def vector_path(png: Path) -> Path:
    """Where the vector copy of the figure ``png`` is written: the same stem, ``.pdf``."""
    return Path(png).with_suffix(f".{VECTOR_FORMAT}")


def save_figure(fig: Figure, path, *, dpi: float = DPI, metadata: dict[str, str] | None = None) -> Path:
    """Write ``fig`` as PNG at ``path`` (``dpi``; ``metadata`` as PNG text chunks) and as PDF at
    :func:`vector_path`; returns the PNG's path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, metadata=metadata)
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")  # keep the layout just computed: the PDF is the same figure, drawn once more
    with atomic_path(vector_path(path)) as tmp:
        fig.savefig(tmp, format=VECTOR_FORMAT)
    return path
