"""Block-drop lesions: each residual block's branch removed in turn, its shortcut kept, top-1 measured.

Veit, Wilber & Belongie (2016) delete single residual modules of trained ResNets at test time: a block
:math:`y = \\mathrm{relu}(F(x) + S(x))` becomes :math:`y = \\mathrm{relu}(S(x))`. For an identity shortcut its input
already passed a ReLU (:math:`x \\ge 0`), so the dropped block is the identity, :math:`y = x`: the path through the
block is removed and the path around it kept, as in their lesion study. For a projection shortcut (the first block of
each stage: a 1x1 convolution, strided from the second stage on, and batch norm) v1lab keeps the projection and
the block's ReLU, :math:`y = \\mathrm{relu}(S(x))`, so the map keeps its size and width. Whether Veit
et al. treated their downsampling blocks this way could not be checked from the text available here
(docs/skip_connections.md).

Every block is dropped on the same images, so each is compared with the intact network by paired tests
(:func:`v1lab.lesion.compare_paired`: exact McNemar for top-1, Wilcoxon for the correct-class log-probability,
bootstrap intervals), with Wilson intervals for each top-1 and Holm's correction across the blocks.

Cost: per image batch the intact network runs once with each block's input kept; a dropped block then costs only the
rest of the network after it (:func:`v1lab.lesion.split_network` cut after the block), about half a forward pass on
average, instead of a full pass with a hook (the fallback where the network cannot be cut).

References
----------
Veit, A., Wilber, M., & Belongie, S. (2016). Residual networks behave like ensembles of relatively shallow networks.
NeurIPS 29, 550-558.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from statsmodels.stats.proportion import proportion_confint
from torch import nn
from tqdm.auto import tqdm

from v1lab.errors import LayerError, RecordingError
from v1lab.lesion import ImageSource, Outcomes, compare_paired, split_network
from v1lab.multitest import adjust_p_values
from v1lab.recording.blocks import ResidualBlock, residual_block, residual_blocks

__all__ = ["BlockDropEngine", "dropped_output", "block_drop_table"]


def dropped_output(module: nn.Module, block: ResidualBlock, x: torch.Tensor) -> torch.Tensor:
    """What ``block`` returns with its residual branch removed: ``relu(shortcut(x))`` (``x`` for an identity
    shortcut and a rectified input)."""
    shortcut = x if block.shortcut is None else module.get_submodule(block.shortcut)(x)
    return F.relu(shortcut)


class BlockDropEngine:
    """Runs a network intact and with each chosen residual block's branch removed.

    Parameters
    ----------
    module : nn.Module
        The network in eval mode (normalised input -> logits).
    normalize : callable
        Display images -> normalised input (``LoadedModel.preprocessing.normalize``).
    blocks : sequence of str, optional
        Names of the blocks to drop (default: every residual block, :func:`~v1lab.recording.blocks.residual_blocks`).
    device : str or torch.device
    progress : bool
        Draw a tqdm bar over the image batches.
    """

    def __init__(self, module: nn.Module, normalize, blocks: Sequence[str] | None = None, *, device="cpu",
                 progress: bool = True):
        if module.training:
            raise RecordingError("block drop: the network is in training mode; expected module.eval()")
        self.module, self.normalize, self.device, self.progress = module, normalize, torch.device(device), progress
        found = residual_blocks(module)
        if blocks is None:
            self.blocks = found
        else:
            self.blocks = [residual_block(module, name) for name in blocks]
            if any(b.name != name for b, name in zip(self.blocks, blocks)):
                raise LayerError(f"blocks {list(blocks)}: expected residual blocks, not stages "
                                 f"(e.g. {found[0].name if found else 'layer1.0'})")
        if not self.blocks:
            raise LayerError(f"{type(module).__name__} has no residual block v1lab recognises; nothing to drop")
        self.splits = {b.name: split_network(module, b.name) for b in self.blocks}

    @torch.no_grad()
    def run(self, source: ImageSource, *, batch_size: int) -> tuple[Outcomes, dict[str, Outcomes]]:
        """Outcomes of the intact network and, per dropped block (by name), of the lesioned one, on ``source``."""
        base, dropped = [], {b.name: [] for b in self.blocks}
        total = -(-len(source) // batch_size)
        batches = tqdm(source.batches(batch_size), total=total, desc="block drop", unit="batch",
                       disable=not self.progress)
        for images, labels in batches:
            x = self.normalize(images.to(self.device, torch.float32))
            inputs = {}
            handles = [self.module.get_submodule(b.name).register_forward_pre_hook(
                (lambda name: lambda m, args: inputs.__setitem__(name, args[0]))(b.name))
                for b in self.blocks if self.splits[b.name] is not None]
            try:
                base.append(Outcomes.from_logits(self.module(x), labels))
            finally:
                for h in handles:
                    h.remove()
            for b in self.blocks:
                dropped[b.name].append(Outcomes.from_logits(self._dropped_logits(b, x, inputs.get(b.name)), labels))
        if not base:
            raise RecordingError("block drop: the image source yielded no image; expected at least one")
        return Outcomes.concat(base), {name: Outcomes.concat(parts) for name, parts in dropped.items()}

    def _dropped_logits(self, block: ResidualBlock, x: torch.Tensor, block_input) -> torch.Tensor:
        split = self.splits[block.name]
        if split is not None:
            return split.tail(dropped_output(self.module, block, block_input))
        hook = self.module.get_submodule(block.name).register_forward_hook(
            lambda m, args, out: dropped_output(self.module, block, args[0]))
        try:
            return self.module(x)
        finally:
            hook.remove()


def block_drop_table(blocks: Sequence[ResidualBlock], base: Outcomes, dropped: dict[str, Outcomes], *,
                     alpha: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """``block_drop.csv``: one row for the intact network, then one per dropped block.

    Columns: ``block``, ``stage``, ``shortcut`` (identity / projection), ``downsampling`` (stride 2), ``n_images``,
    ``top1`` with its Wilson interval ``top1_ci_low``/``top1_ci_high`` (level 1 - ``alpha``), ``top5``, ``delta_top1``
    and its paired bootstrap interval, ``mcnemar_p`` (exact, against the intact network on the same images),
    ``mean_delta_logp`` (nats) and ``wilcoxon_p``, and both p-values Holm-adjusted across the blocks (``*_holm``).
    """
    n = len(base)
    rows = [_row("intact", "", "", False, base, n, alpha)]
    for b in blocks:
        cmp = compare_paired(base, dropped[b.name], confidence=1 - alpha, seed=seed)
        row = _row(b.name, b.name.split(".")[0], "identity" if b.shortcut is None else "projection", b.downsampling,
                   dropped[b.name], n, alpha)
        row.update(delta_top1=cmp.delta_top1, delta_top1_ci_low=cmp.delta_top1_ci[0],
                   delta_top1_ci_high=cmp.delta_top1_ci[1], mcnemar_p=cmp.mcnemar_p,
                   mean_delta_logp=cmp.mean_delta_logp, wilcoxon_p=cmp.wilcoxon_p)
        rows.append(row)
    table = pd.DataFrame(rows)
    lesioned = table["block"] != "intact"
    for col in ("mcnemar_p", "wilcoxon_p"):
        table[f"{col}_holm"] = np.nan
        if lesioned.any():
            table.loc[lesioned, f"{col}_holm"] = adjust_p_values(table.loc[lesioned, col])[1]
    return table


def _row(name: str, stage: str, shortcut: str, downsampling: bool, out: Outcomes, n: int, alpha: float) -> dict:
    hits = int(out.top1.sum())
    low, high = proportion_confint(hits, n, alpha=alpha, method="wilson")
    return {"block": name, "stage": stage, "shortcut": shortcut, "downsampling": bool(downsampling), "n_images": n,
            "top1": hits / n, "top1_ci_low": float(low), "top1_ci_high": float(high), "top5": float(out.top5.mean()),
            "delta_top1": 0.0, "delta_top1_ci_low": np.nan, "delta_top1_ci_high": np.nan, "mcnemar_p": np.nan,
            "mean_delta_logp": 0.0, "wilcoxon_p": np.nan}
