"""Pages of small images with captions, laid out in pixels so that the page is legible at its natural size.

A page is drawn at :data:`GRID_DPI` with every image, gap and caption placed in pixels: the PNG is at most
:data:`MAX_WIDTH_PX` wide, so the report shows it unscaled (``<img width>`` equal to the PNG's width, never
squeezed), and a caption's font is :data:`CAPTION_PT` points = ``CAPTION_PT * GRID_DPI / 72`` pixels tall. The
font size in pixels of the smallest caption is stored in the PNG as the text chunk :data:`CAPTION_KEY`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from v1lab.report._save import save_figure

__all__ = ["CAPTION_KEY", "CAPTION_PT", "GRID_DPI", "MAX_WIDTH_PX", "caption_font_px", "image_grid", "save_grid"]

#: Dots per inch of a page: 1 point = 100/72 pixels.
GRID_DPI = 100
#: Caption font size, points (11.1 pixels at :data:`GRID_DPI`).
CAPTION_PT = 8.0
#: Widest page, pixels: the report's content column (1200 px less its padding).
MAX_WIDTH_PX = 1150
#: PNG text chunk holding the smallest caption font size of the page, in pixels.
CAPTION_KEY = "v1lab:caption_font_px"

_MARGIN, _VIEW_GAP, _CELL_GAP, _TITLE, _HEADER = 12, 4, 18, 34, 16


def caption_font_px(fig: Figure) -> float:
    """The smallest font size, in pixels of the PNG, of the captions (texts with gid ``caption``) of ``fig``."""
    sizes = [t.get_fontsize() for t in fig.texts if t.get_gid() == "caption"]
    return min(sizes) * fig.dpi / 72.0 if sizes else float("nan")


def image_grid(cells: list[list[np.ndarray]], captions: list[str], *, ncols: int, view_px: int = 84,
               title: str = "", view_names: tuple[str, ...] = ()) -> Figure:
    """A page: one cell per item, its views side by side (``view_px`` square each, nearest-neighbour), its
    caption under them; ``view_names`` head the columns of views; ``ncols`` cells per row.

    ``cells[i]`` holds the views of item ``i``, each an (H, W, 3) array in [0, 1] or None (left blank).
    """
    nv = max(len(c) for c in cells)
    lines = max(str(c).count("\n") + 1 for c in captions)
    line_px = 1.25 * CAPTION_PT * GRID_DPI / 72.0
    cell_w = nv * view_px + (nv - 1) * _VIEW_GAP
    cell_h = view_px + lines * line_px + 10
    ncols = max(1, min(ncols, len(cells)))
    nrows = -(-len(cells) // ncols)
    width = 2 * _MARGIN + ncols * cell_w + (ncols - 1) * _CELL_GAP
    header = _HEADER if view_names else 0
    height = _TITLE + header + nrows * cell_h + (nrows - 1) * _CELL_GAP + _MARGIN
    fig = Figure(figsize=(width / GRID_DPI, height / GRID_DPI), dpi=GRID_DPI)
    fig.text(0.5, 1 - 8 / height, title, ha="center", va="top", fontsize=10)
    for i, (views, caption) in enumerate(zip(cells, captions)):
        r, c = divmod(i, ncols)
        x0 = _MARGIN + c * (cell_w + _CELL_GAP)
        top = height - _TITLE - header - r * (cell_h + _CELL_GAP)
        for j, image in enumerate(views):
            ax = fig.add_axes(((x0 + j * (view_px + _VIEW_GAP)) / width, (top - view_px) / height,
                               view_px / width, view_px / height))
            ax.set_axis_off()
            if image is not None:
                ax.imshow(np.clip(image, 0, 1), interpolation="nearest")
            if r == 0 and j < len(view_names):
                ax.set_title(view_names[j], fontsize=CAPTION_PT, pad=3)
        fig.text((x0 + cell_w / 2) / width, (top - view_px - 4) / height, caption, ha="center", va="top",
                 fontsize=CAPTION_PT, linespacing=1.15, gid="caption")
    return fig


def save_grid(fig: Figure, path) -> Path:
    """Write a page (PNG at :data:`GRID_DPI` with its caption size as :data:`CAPTION_KEY`, and PDF)."""
    return save_figure(fig, path, dpi=GRID_DPI, metadata={CAPTION_KEY: f"{caption_font_px(fig):.2f}"})
