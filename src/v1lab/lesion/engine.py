"""Forward passes of a lesion experiment: the unlesioned pass, then many lesions sharing each batch's head.

The network is cut after the silenced module (:func:`v1lab.lesion.silencing.split_network`); per image
batch the head runs once and only the tail runs for each lesioned set. Where no cut exists the full network
runs per set with a :class:`~v1lab.lesion.silencing.ChannelSilencer` hook (same numbers, slower).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

import torch
from torch import nn
from tqdm.auto import tqdm

from v1lab.errors import RecordingError
from v1lab.lesion.inactivity import NaturalStats
from v1lab.lesion.silencing import ChannelSilencer, silence, split_network
from v1lab.lesion.stats import Outcomes
from v1lab.recording.layers import resolve_layer
from v1lab.recording.memory import release_free_memory

__all__ = ["ImageSource", "TensorImages", "DatasetImages", "LesionEngine"]


class ImageSource(Protocol):
    """Images with class labels, in a fixed order: ``len(source)`` and ``source.batches(batch_size)``
    yielding ``(display_images (N, 3, H, W) in [0, 1], labels (N,) int64)``."""

    def __len__(self) -> int: ...

    def batches(self, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]: ...


class TensorImages:
    """An :class:`ImageSource` over tensors already in memory (synthetic images, tests)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor):
        if images.ndim != 4 or images.shape[0] != labels.shape[0]:
            raise RecordingError(f"TensorImages: images {tuple(images.shape)} and labels {tuple(labels.shape)}; "
                                 "expected (N, 3, H, W) and (N,)")
        self.images, self.labels = images, labels.long()

    def __len__(self) -> int:
        return self.images.shape[0]

    def batches(self, batch_size: int):
        for i in range(0, len(self), batch_size):
            yield self.images[i:i + batch_size], self.labels[i:i + batch_size]


class DatasetImages:
    """An :class:`ImageSource` over a map-style dataset of ``(image, label)`` (e.g. ``v1lab.images.ImageNetFolder``).

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
    max_images : int, optional
        Use only the first ``max_images`` items (the dataset's order).
    workers : int
        Loader processes (``torch.utils.data.DataLoader(num_workers=...)``).
    cache : bool
        Keep the decoded images in memory after the first pass (a lesion experiment reads them once per
        group of lesioned sets); costs ``4 * N * 3 * H * W`` bytes.
    """

    def __init__(self, dataset, *, max_images: int | None = None, workers: int = 0, cache: bool = False):
        n = len(dataset) if max_images is None else min(max_images, len(dataset))
        self.dataset = torch.utils.data.Subset(dataset, range(n))
        self.workers = workers
        self.cache = cache
        self._cached: list | None = None
        self._cached_size: int | None = None

    def __len__(self) -> int:
        return len(self.dataset)

    def batches(self, batch_size: int):
        if self._cached is not None and self._cached_size == batch_size:
            yield from self._cached
            return
        loader = torch.utils.data.DataLoader(self.dataset, batch_size=batch_size, shuffle=False,
                                             num_workers=self.workers)
        kept = []
        for images, labels in loader:
            if self.cache:
                kept.append((images, labels))
            yield images, labels
        if self.cache and sum(len(b[1]) for b in kept) == len(self):
            self._cached, self._cached_size = kept, batch_size


class LesionEngine:
    """Runs a network with channels of one module silenced.

    Parameters
    ----------
    module : nn.Module
        The network in eval mode (normalised input -> logits).
    normalize : callable
        Display images -> normalised input (``LoadedModel.preprocessing.normalize``).
    silenced : str
        Dotted name of the module whose output is silenced.
    device : str or torch.device
    progress : bool
        Draw tqdm progress bars.
    """

    def __init__(self, module: nn.Module, normalize: Callable[[torch.Tensor], torch.Tensor], silenced: str, *,
                 device: str | torch.device = "cpu", progress: bool = True):
        if module.training:
            raise RecordingError("lesion: the network is in training mode; expected module.eval()")
        self.module = module
        self.normalize = normalize
        self.silenced = silenced
        self.target = resolve_layer(module, silenced)
        self.device = torch.device(device)
        self.progress = progress
        self.split = split_network(module, silenced)

    def _inputs(self, source: ImageSource, batch_size: int) -> Iterable:
        for images, labels in source.batches(batch_size):
            yield self.normalize(images.to(self.device, torch.float32)), labels

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        if self.split is not None:
            return self.split.head(x)
        captured = []
        handle = self.target.register_forward_hook(lambda m, a, out: captured.append(out.detach().clone()))
        try:
            self.module(x)
        finally:
            handle.remove()
        return captured[0]

    @torch.no_grad()
    def baseline(self, source: ImageSource, *, batch_size: int) -> tuple[Outcomes, NaturalStats, torch.Tensor]:
        """The unlesioned network: per-image outcomes, statistics of the silenced map, and the labels."""
        stats, parts, labels_all = NaturalStats(), [], []
        with tqdm(total=len(source), desc="unlesioned", unit="img", disable=not self.progress, leave=False) as bar:
            for x, labels in self._inputs(source, batch_size):
                h = self._head(x)
                stats.update(h)
                logits = self.split.tail(h) if self.split is not None else self.module(x)
                parts.append(Outcomes.from_logits(logits, labels))
                labels_all.append(labels.cpu())
                bar.update(len(labels))
        if not parts:
            raise RecordingError("lesion: the image source yielded no image; expected at least one")
        return Outcomes.concat(parts), stats, torch.cat(labels_all)

    @torch.no_grad()
    def lesion(self, source: ImageSource, channel_sets: Sequence[Sequence[int]], *, batch_size: int,
               fill: torch.Tensor | None = None, bar: tqdm | None = None) -> list[Outcomes]:
        """Outcomes with each set of channels silenced (one pass over the images for all sets).

        Parameters
        ----------
        source : ImageSource
        channel_sets : sequence of sequences of int
        batch_size : int
        fill : Tensor of shape (C,), optional
            Per-channel fill values (``None``: zeros).
        bar : tqdm, optional
            Advanced by the batch's image count after every lesioned set of every batch (the unit is one
            image with one set silenced); without it the engine draws its own bar over
            ``len(channel_sets) * len(source)`` images.
        """
        own = bar is None
        if own:
            bar = tqdm(total=len(channel_sets) * len(source), desc="lesions", unit="img",
                       disable=not self.progress, leave=False)
        parts: list[list[Outcomes]] = [[] for _ in channel_sets]
        try:
            for x, labels in self._inputs(source, batch_size):
                h = self.split.head(x) if self.split is not None else None
                for i, channels in enumerate(channel_sets):
                    if h is not None:
                        logits = self.split.tail(silence(h, channels, fill))
                    else:
                        with ChannelSilencer(self.target, channels, fill):
                            logits = self.module(x)
                    parts[i].append(Outcomes.from_logits(logits, labels))
                    bar.update(len(labels))
                release_free_memory()  # a batch of images with every set: keep the resident set to what is held
        finally:
            if own:
                bar.close()
        return [Outcomes.concat(p) for p in parts]
