"""Draw the 64 conv1 filters of a model beside their tuning-curve labels from a run's ``units.csv``.

Usage::

    python scripts/conv1_filters_figure.py RUN_DIR [--out docs/figures/conv1_filters_labels.png]
                                           [--model resnet50-caffe] [--layer conv1] [--bn bn1]

Each panel is the exact display-space linear receptive field of one conv1 channel
(:func:`v1lab.preferred.filter_images`, ``da/dx`` at the centre unit, normalisation and folded preprocessing
included), multiplied by the sign of the following batch-norm scale (``--bn``; the run labels the unit after
bn1 + ReLU, whose drive is ``gamma / sqrt(var + eps)`` times the conv output), and contrast-stretched per
filter about mid-grey (:func:`v1lab.preferred.stretch_contrast`). Under each: the channel, ``cell_class``,
``color_class``, the preferred orientation (degrees, counter-clockwise from horizontal, of the stripes) and the
modulation ratio F1/F0 (``modulation_ratio``, F1 / (F0 - blank)). The rows of ``units.csv`` are matched by
``layer`` (the run's label, ``--layer``) and ``channel``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from v1lab.runs.atomic import atomic_path  # noqa: E402
from v1lab.models import load_model  # noqa: E402
from v1lab.preferred import filter_images, stretch_contrast  # noqa: E402

SHORT = {"colour-preferring": "col-pref", "colour-luminance": "col-lum", "luminance": "lum",
         "single-opponent": "single-opp", "double-opponent": "double-opp", "unresponsive": "unresp",
         "non-oriented": "non-oriented", "unclassified": "unclass."}


def _fmt(value, digits=0, suffix="") -> str:
    if pd.isna(value):
        return "-"
    if np.isinf(value):
        return "inf"
    return f"{value:.{digits}f}{suffix}"


def caption(row: pd.Series | None, channel: int) -> str:
    """The channel and its labels, three short lines."""
    if row is None:
        return f"ch {channel}\n(no row)"
    cell = SHORT.get(str(row.cell_class), str(row.cell_class))
    colour = SHORT.get(str(row.color_class), str(row.color_class))
    selective = str(row.orientation_selective).strip().lower() in ("true", "1", "1.0")
    ori = _fmt(row.preferred_orientation_deg, 0, "°") if selective else "n.s."
    return f"ch {channel}: {cell}\n{colour}  ori {ori}\nF1/F0 {_fmt(row.modulation_ratio, 2)}"


def bn_sign(model, bn: str | None, n: int) -> torch.Tensor:
    """Sign of the batch-norm scale gamma per channel (+1 everywhere when ``bn`` is None)."""
    if not bn:
        return torch.ones(n)
    module = dict(model.module.named_modules())[bn]
    return torch.sign(module.weight.detach().cpu()).where(module.weight.detach().cpu() != 0, torch.ones(n))


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--out", type=Path, default=Path("docs/figures/conv1_filters_labels.png"))
    p.add_argument("--model", default="resnet50-caffe")
    p.add_argument("--layer", default="conv1", help="conv module and units.csv layer label (default conv1)")
    p.add_argument("--bn", default="bn1", help="batch-norm after the conv whose sign is applied ('' for none)")
    args = p.parse_args(argv)

    units = pd.read_csv(args.run_dir / "units.csv")
    units = units[units.layer == args.layer].set_index("channel")
    model = load_model(args.model, device="cpu")
    filt = filter_images(model, args.layer)
    sign = bn_sign(model, args.bn, len(filt.channels)).view(-1, 1, 1, 1)
    kernels = filt.kernels * sign
    images = stretch_contrast(0.5 + 0.5 * kernels / kernels.abs().amax(dim=(1, 2, 3), keepdim=True), 0.5)
    y0, y1, x0, x1 = filt.rf_box
    images = images[:, :, y0:y1, x0:x1]
    n = len(filt.channels)
    ncols = 8
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * 1.55, nrows * 1.85), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, ch in enumerate(filt.channels):
        ax = axes.flat[i]
        img = images[i].permute(1, 2, 0).numpy()
        ax.imshow(img, interpolation="nearest")
        row = units.loc[int(ch)] if int(ch) in units.index else None
        ax.set_title(caption(row, int(ch)), fontsize=6.5, y=-0.06, va="top", linespacing=1.15)
    flipped = int((sign.view(-1) < 0).sum())
    fig.suptitle(f"{model.name} {args.layer}: display-space filters (sign of {args.bn or 'none'} gamma applied, "
                 f"{flipped} flipped; stretched per filter) with labels from {args.run_dir.name}/units.csv",
                 fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.98), h_pad=2.6)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format="png", dpi=150)
    plt.close(fig)
    print(f"wrote {args.out} ({n} filters; receptive field rows {y0}:{y1}, columns {x0}:{x1} of the "
          f"{tuple(filt.images.shape[-2:])} canvas; {flipped} signs flipped by {args.bn or 'none'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
