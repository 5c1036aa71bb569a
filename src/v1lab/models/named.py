"""A zoo model by name: its architecture, preprocessing, metadata and, where published, its converted weights.

One :class:`NamedModel` per name is the whole record of a zoo model (the "weights record" of
torchvision's ``Weights`` enums): ``v1lab models``, ``v1lab fetch``, ``load_model(name)`` and
``checkpoint:...?arch=name`` all read it. A model without published weights (``weights=None``) is an
architecture for a user's own checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from v1lab.errors import WeightsUnavailableError
from v1lab.models.core import LoadedModel, Preprocessing
from v1lab.models.weights_cache import ConvertedWeights, FetchResult, ensure_converted

__all__ = ["NamedModel"]


@dataclass(frozen=True)
class NamedModel:
    """A named zoo model.

    Attributes
    ----------
    name : str
        The spec string that names it (``"squeezenet1.1"``).
    build : callable
        Returns the architecture, randomly initialised, in eval mode.
    preprocessing : Preprocessing
        What the module expects (for an architecture alone: what a checkpoint for it is assumed to expect).
    meta : dict
        ``description``, ``source``, ``citation``, ``licence``, published and measured accuracy, ...
    weights : ConvertedWeights or None
        Where its converted weights come from; None for an architecture without published weights.
    categories : callable or None
        Returns the class names, read when the model is loaded (``meta["categories"]`` of the loaded model;
        torchvision's list would otherwise import torchvision with the zoo).
    """

    name: str
    build: Callable[[], nn.Module]
    preprocessing: Preprocessing
    meta: dict = field(default_factory=dict)
    weights: ConvertedWeights | None = None
    categories: Callable[[], list[str]] | None = None

    @property
    def description(self) -> str:
        return self.meta.get("description", self.name)

    def _need_weights(self) -> ConvertedWeights:
        if self.weights is None:
            raise WeightsUnavailableError(f"{self.name} has no published weights; expected your own "
                                          f"state_dict as checkpoint:PATH.pth?arch={self.name}")
        return self.weights

    def is_cached(self) -> bool:
        """Whether the converted weights and their sidecar are in the cache (not verified)."""
        return self.weights is not None and self.weights.path.is_file() and self.weights.sidecar.is_file()

    def random_module(self) -> nn.Module:
        """The architecture with a random initialisation that leaves the caller's RNG state untouched."""
        with torch.random.fork_rng(devices=[]):
            return self.build().eval()

    def fetch(self, *, from_path: str | Path | None = None) -> FetchResult:
        """Fetch, verify and convert the weights into the cache (idempotent); see :func:`ensure_converted`."""
        return ensure_converted(self._need_weights(), from_path=from_path)

    def load(self, spec: str, *, device: str | torch.device = "cpu") -> LoadedModel:
        """Build the model from the verified cache, converting (or re-converting) the weights first if needed.

        Under ``$V1LAB_OFFLINE`` nothing is downloaded: without a cached archive a missing or damaged
        converted file raises :class:`WeightsUnavailableError` (run ``v1lab fetch NAME`` first).
        """
        result = self.fetch()
        state = torch.load(result.path, map_location="cpu", weights_only=True)
        module = self.random_module()
        module.load_state_dict(state, strict=True)
        meta = {**self.meta, **({"categories": self.categories()} if self.categories else {}), **result.extra,
                "weights_path": str(result.path)}
        return LoadedModel(spec=spec, name=self.name, module=module.to(device).eval(),
                           preprocessing=self.preprocessing, weights_sha256=result.sha256, meta=meta)
