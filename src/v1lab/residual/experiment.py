"""``v1lab block-drop``: the block-drop table of a model on an image folder, with its figure and manifest."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from matplotlib.figure import Figure

from v1lab.errors import ImageFolderError
from v1lab.lesion import DatasetImages
from v1lab.residual.drop import BlockDropEngine, block_drop_table
from v1lab.runs import RunFolder, atomic_path

__all__ = ["evenly_spaced", "run_block_drop", "plot_block_drop"]


def evenly_spaced(n_total: int, n: int | None) -> list[int]:
    """``n`` indices spread evenly over ``range(n_total)`` (all of them when ``n`` is None or not smaller).

    A sample folder sorted by class (one photo per class) keeps every part of the class list this way, where the
    first ``n`` photos would be ``n`` neighbouring classes.
    """
    if n is None or n >= n_total:
        return list(range(n_total))
    if n < 1:
        raise ImageFolderError(f"--max-images {n}; expected a positive number of images")
    return sorted({int(i) for i in np.floor(np.arange(n) * n_total / n)})


def run_block_drop(model, images, *, out=None, max_images: int | None = None, blocks=None, batch_size: int = 25,
                   device: str = "cpu", workers: int = 0, seed: int = 0, progress: bool = True,
                   argv: list[str] | None = None) -> Path:
    """Drop each residual block of ``model`` in turn on the photos of ``images``; write the results into a new folder.

    Writes ``block_drop.csv`` (:func:`~v1lab.residual.drop.block_drop_table`), ``block_drop.png`` and ``manifest.json``
    (with the settings, the image indices used and the timing) into ``out`` (new or empty; default
    ``runs/block-drop-<time>``) and returns the folder.
    """
    from v1lab.images import ImageNetFolder

    started = time.perf_counter()
    dataset = ImageNetFolder(images, resize_size=model.preprocessing.resize_size,
                             crop_size=model.preprocessing.input_size)
    indices = evenly_spaced(len(dataset), max_images)
    source = DatasetImages(torch.utils.data.Subset(dataset, indices), workers=workers)
    engine = BlockDropEngine(model.module, model.preprocessing.normalize, blocks, device=device, progress=progress)
    settings = {"model": model.spec, "images": str(images), "n_images": len(indices), "of_images": len(dataset),
                "selection": "evenly spaced" if len(indices) < len(dataset) else "all",
                "blocks": [b.name for b in engine.blocks], "batch_size": batch_size, "seed": seed,
                "dropped_block": "relu(shortcut(x)): residual branch removed, shortcut and final ReLU kept"}
    text = yaml.safe_dump(settings, sort_keys=False)
    folder = RunFolder.create("runs", "block-drop", out=out)
    folder.start(protocol_text=text, model_spec=model.spec, weights_sha256=model.weights_sha256, device=str(device),
                 seed=seed, argv=argv)
    base, dropped = engine.run(source, batch_size=batch_size)
    table = block_drop_table(engine.blocks, base, dropped, seed=seed)
    with atomic_path(folder.file("block_drop.csv")) as tmp:
        table.to_csv(tmp, index=False)
    plot_block_drop(table, folder.file("block_drop.png"), title=f"{model.spec}: one block dropped at a time "
                    f"({len(indices)} photos of {images})")
    folder.finish(n_images=len(indices), image_indices=indices, seconds=round(time.perf_counter() - started, 1),
                  split_blocks=sum(s is not None for s in engine.splits.values()))
    return folder.path


def plot_block_drop(table: pd.DataFrame, path, *, title: str = "") -> Path:
    """Top-1 per dropped block with its Wilson interval, the intact network's as a band; downsampling blocks in red."""
    intact = table[table["block"] == "intact"].iloc[0]
    rows = table[table["block"] != "intact"]
    x = np.arange(len(rows))
    fig = Figure(figsize=(max(6.0, 0.45 * len(rows) + 2.0), 4.0))
    ax = fig.subplots()
    ax.axhspan(intact["top1_ci_low"], intact["top1_ci_high"], color="0.85", label="intact (95 % CI)")
    ax.axhline(intact["top1"], color="0.4", lw=1.0)
    colours = np.where(rows["downsampling"].astype(bool), "tab:red", "tab:blue")
    err = np.vstack([rows["top1"] - rows["top1_ci_low"], rows["top1_ci_high"] - rows["top1"]])
    ax.bar(x, rows["top1"], color=colours, yerr=err, error_kw={"lw": 0.8})
    ax.set_xticks(x, rows["block"], rotation=60, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("top-1")
    ax.set_title(title + "\nred: downsampling blocks (projection shortcut, stride 2)", fontsize=9)
    ax.legend(fontsize=8, loc="lower left", frameon=False)
    fig.subplots_adjust(bottom=0.3, top=0.85)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    return Path(path)
