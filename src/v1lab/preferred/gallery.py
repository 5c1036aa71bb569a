"""Image galleries (PNG): one panel per unit, its views side by side, the unit id and labels underneath."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from v1lab.runs.atomic import atomic_path  # noqa: E402
from v1lab.errors import AnalysisError  # noqa: E402

__all__ = ["gallery", "product_display", "stretch_contrast", "unit_caption"]


def stretch_contrast(images: torch.Tensor, background: float) -> torch.Tensor:
    """Scale each image's deviation from ``background`` so its largest deviation fills the display range.

    Optimised stimuli have a fixed, low RMS contrast; this makes their pattern visible (display only).
    """
    dev = images - background
    peak = dev.abs().amax(dim=(1, 2, 3), keepdim=True).clamp(min=1e-12)
    room = min(background, 1.0 - background)
    return (background + dev * (room / peak) * 0.999).clamp(0.0, 1.0)


def product_display(product: torch.Tensor) -> torch.Tensor:
    """Gradient x input maps (C, 3, H, W) as display images: mid-grey is zero, one scale for all units (twice
    the largest magnitude), then stretched per unit about mid-grey (:func:`stretch_contrast`)."""
    scale = 2 * product.abs().amax().clamp(min=1e-12)
    return stretch_contrast(0.5 + product / scale, 0.5)


def unit_caption(layer, row) -> str:
    """Unit id, what the image shows, and (where compared) the tuning-curve orientation and the verdict; for a
    linear layer compared with labels, also the filter's orientation and its verdict against the label."""
    def get(name):
        return row[f"stim_{name}"] if f"stim_{name}" in row else row[name]

    text = f"{layer}:{int(row['channel'])}\n{get('orientation_deg'):.0f}deg {get('sf_cpd'):.1f}cpd {get('color_class')}"
    agree = row.get("orientation_agree")
    if agree is not None and not pd.isna(agree):
        text += f"\nref {row['preferred_orientation_deg']:.0f}deg " + ("agree" if agree else "DIFFER")
        filter_agree = row.get("filter_orientation_agree")
        if filter_agree is not None and not pd.isna(filter_agree):
            text += f"\nfilter {row['filter_orientation_deg']:.0f}deg " + ("agree" if filter_agree else "DIFFER")
    return text


def gallery(views: dict[str, torch.Tensor], captions: list[str], path, *, title: str = "", ncols: int = 8,
            panel_inches: float = 1.6) -> Path:
    """Draw one panel per unit with its views side by side and write a PNG.

    Parameters
    ----------
    views : dict of name -> Tensor (C, 3, H, W)
        Display images in [0, 1], one per unit, all with the same C (e.g. ``{"optimised": ...,
        "top-k mean": ..., "filter": ...}``); views of different sizes are each drawn at panel size.
    captions : list of str
        One caption per unit, drawn under its panel (unit id and labels).
    path : path
        Output PNG (written atomically).
    title : str
        Figure title; the view names are appended.
    """
    names = list(views)
    n = len(captions)
    if not names or any(v.shape[0] != n for v in views.values()):
        raise AnalysisError(f"gallery: views {[tuple(v.shape) for v in views.values()]} for {n} captions; "
                            "expected one image per caption in every view")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    nv = len(names)
    fig, axes = plt.subplots(nrows, ncols * nv, figsize=(ncols * nv * panel_inches * 0.75,
                                                          nrows * panel_inches), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        r, c = divmod(i, ncols)
        for j, name in enumerate(names):
            ax = axes[r, c * nv + j]
            ax.imshow(views[name][i].detach().cpu().clamp(0, 1).permute(1, 2, 0).numpy(), interpolation="nearest")
            if j == nv // 2:
                ax.set_title(captions[i], fontsize=6, y=-0.02, va="top")
    fig.suptitle(f"{title}  [{' | '.join(names)}]".strip(), fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return path
