"""Legible preferred-stimulus galleries and the labelled filter figure, drawn from a run's ``preferred/`` folder.

The preferred-stimulus step (:func:`v1lab.preferred.run_preferred`) writes ``preferred_images_<L>.npz`` and
``preferred_stimuli_<L>.csv`` per layer ``L``. From them the report draws, with no model at hand:

* **gallery pages** (``gallery_<L>_p<k>.png``, ``.pdf``), :data:`PER_PAGE` units a page, each unit three views
  side by side: the filter (a first linear layer) or else the mean of its top-k natural patches, the optimised
  image, and the gradient-weighted patch mean (gradient x input, averaged over the top k); captions as the
  preferred step's (:func:`v1lab.preferred.unit_caption`). Pages are laid out in pixels
  (:mod:`v1lab.report.image_grid`) so the report shows them unscaled, captions 11 px tall.
* **the labelled filter figure** (``filters_<L>.png``, ``.pdf``) when the npz holds ``filter``: every unit's
  display-space linear receptive field, cropped to the receptive field (``filter_rf_box``), with its labels from
  the units table (:func:`filter_caption`). ``scripts/conv1_filters_figure.py`` draws the same figure for any
  model by computing the filters itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from v1lab.preferred import background_display, product_display, stretch_contrast, unit_caption
from v1lab.report.figures import safe_name
from v1lab.report.image_grid import image_grid, save_grid

__all__ = ["PER_PAGE", "filter_caption", "gallery_layers", "plot_gallery_pages", "plot_filter_labels"]

#: Units per gallery page.
PER_PAGE = 16
_SHORT = {"colour-preferring": "col-pref", "colour-luminance": "col-lum", "luminance": "lum",
          "single-opponent": "single-opp", "double-opponent": "double-opp", "unresponsive": "unresp",
          "non-oriented": "non-oriented", "unclassified": "unclass."}


def gallery_layers(preferred_dir) -> list[str]:
    """The layers with a ``preferred_images_<L>.npz`` in ``preferred_dir``, sorted."""
    return sorted(p.stem.removeprefix("preferred_images_") for p in Path(preferred_dir).glob("preferred_images_*.npz"))


def _hwc(images: torch.Tensor) -> list[np.ndarray]:
    return list(images.detach().cpu().clamp(0, 1).permute(0, 2, 3, 1).numpy())


def plot_gallery_pages(preferred_dir, layer: str, out_dir, *, model: str = "", per_page: int = PER_PAGE
                       ) -> list[Path]:
    """The gallery pages of ``layer`` (module docstring); returns the PNG paths, in page order."""
    preferred_dir = Path(preferred_dir)
    with np.load(preferred_dir / f"preferred_images_{layer}.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    channels = arrays["channels"].astype(int)
    table_path = preferred_dir / f"preferred_stimuli_{layer}.csv"
    table = pd.read_csv(table_path).set_index("channel") if table_path.is_file() else pd.DataFrame()
    first_name, first = ("filter", arrays["filter"]) if "filter" in arrays else (
        ("top-k mean", arrays["top_mean"]) if "top_mean" in arrays else ("", None))
    views = {first_name: _hwc(torch.as_tensor(first)) if first is not None else [None] * len(channels),
             "optimised": _hwc(stretch_contrast(torch.as_tensor(arrays["optimised"]), background_display())),
             "grad \u00d7 input": _hwc(product_display(torch.as_tensor(arrays["top_product"])))
             if "top_product" in arrays else [None] * len(channels)}
    names = tuple(n or "(none)" for n in views)
    captions = [unit_caption(layer, table.loc[c].to_dict() | {"channel": c}) if c in table.index else
                f"{layer}:{c}" for c in channels]
    paths = []
    n_pages = -(-len(channels) // per_page)
    for k in range(n_pages):
        sl = slice(k * per_page, (k + 1) * per_page)
        cells = [list(v) for v in zip(*(views[n][sl] for n in views))]
        title = (f"{model} {layer}: preferred stimuli, units {sl.start + 1}-{min(sl.stop, len(channels))} of "
                 f"{len(channels)} (page {k + 1} of {n_pages})").strip()
        fig = image_grid(cells, captions[sl], ncols=4, title=title, view_names=names)
        paths.append(save_grid(fig, Path(out_dir) / f"gallery_{safe_name(layer)}_p{k + 1}.png"))
    return paths


def _fmt(value, digits=0, suffix="") -> str:
    if pd.isna(value):
        return "-"
    if np.isinf(value):
        return "inf"
    return f"{value:.{digits}f}{suffix}"


def filter_caption(row: pd.Series | None, channel: int) -> str:
    """The channel and its labels in three short lines: cell and colour class, preferred orientation (deg,
    ``n.s.`` when not orientation-selective) and the modulation ratio F1/F0."""
    if row is None:
        return f"ch {channel}\n(no row)"
    cell = _SHORT.get(str(row.cell_class), str(row.cell_class))
    colour = _SHORT.get(str(row.color_class), str(row.color_class))
    selective = str(row.orientation_selective).strip().lower() in ("true", "1", "1.0")
    ori = _fmt(row.preferred_orientation_deg, 0, "\u00b0") if selective else "n.s."
    return f"ch {channel}: {cell}\n{colour}  ori {ori}\nF1/F0 {_fmt(row.modulation_ratio, 2)}"


def plot_filter_labels(images, channels, units: pd.DataFrame, path, *, rf_box=None, title: str = "") -> Path:
    """The labelled filter figure: each filter image (C, 3, H, W), drawn as ``0.5 + 0.5 k / max|k|``
    (:attr:`v1lab.preferred.FilterImages.images`), stretched per filter about mid-grey, cropped to ``rf_box``
    (rows y0:y1, columns x0:x1) and captioned with the unit's labels (``units`` rows of the layer, matched by
    ``channel``). Writes ``path`` (PNG) and its PDF; returns the PNG path."""
    shown = stretch_contrast(torch.as_tensor(np.asarray(images, dtype=np.float32)), 0.5)
    if rf_box is not None:
        y0, y1, x0, x1 = (int(v) for v in rf_box)
        shown = shown[:, :, y0:y1, x0:x1]
    rows = units.assign(channel=units["channel"].astype(int)).set_index("channel")
    captions = [filter_caption(rows.loc[int(c)] if int(c) in rows.index else None, int(c)) for c in channels]
    fig = image_grid([[im] for im in _hwc(shown)], captions, ncols=8, view_px=100, title=title)
    return save_grid(fig, path)
