"""Which units of a layer are *inactive*: four definitions, one table.

For unit (channel) :math:`c` of a layer:

``filter_norm``
    :math:`r_c = \\lVert W_c \\rVert_2 / \\max_{c'} \\lVert W_{c'} \\rVert_2`, the L2 norm of the unit's
    filter (all input channels and taps of the layer's weight tensor) relative to the largest in the
    layer; inactive when :math:`r_c < 0.1`. This is the criterion of Kobayashi & Shouno (2020,
    arXiv:2006.01645, "Interpretation of ResNet by visualization of preferred stimulus in receptive
    fields") for ResNet's conv1. Dimensionless. Raw conv weights (before batch normalisation).
``sparsity``
    :math:`s_c = \\#\\{(n, y, x): a_c(n, y, x) = 0\\} / \\#\\{(n, y, x)\\}`, the fraction of natural-image
    positions where the silenced (post-ReLU) map is exactly zero; inactive when :math:`s_c \\ge 0.99`
    (it responds at fewer than 1 % of positions).
``stimulus_max``
    :math:`m_c / \\max_{c'} m_{c'}` with :math:`m_c` the unit's largest response to the protocol's
    stimuli (recorded responses, ``responses/<layer>/*.nc`` of a run); inactive when below 0.1, the
    same relative cut as the filter-norm criterion. Available only when responses are given.
``natural_mean``
    :math:`\\bar a_c / \\operatorname{median}_{c'} \\bar a_{c'}`, the mean response over natural-image
    positions relative to the layer's median unit; inactive when below 0.1.

Thresholds are arguments (:class:`v1lab.lesion.config.Thresholds`); the defaults above are the
authors' 0.1 for norms and the same relative cut for the response-based measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from v1lab.errors import AnalysisError

__all__ = ["DEFINITIONS", "NaturalStats", "inactivity_table", "inactive_channels"]

#: Definition name -> (measure column, "below" or "at_least", threshold attribute).
DEFINITIONS = {
    "filter_norm": ("filter_norm_ratio", "below", "filter_norm"),
    "sparsity": ("sparsity", "at_least", "sparsity"),
    "stimulus_max": ("stimulus_max_ratio", "below", "stimulus_max"),
    "natural_mean": ("natural_mean_ratio", "below", "natural_mean"),
}


@dataclass
class NaturalStats:
    """Running per-channel statistics of the silenced map over natural images (float64 sums).

    ``update(h)`` with activations (N, C, ...) adds every image position; ``mean`` is the mean response
    (the fill value of ``mode="mean"`` lesions) and ``sparsity`` the fraction of exact zeros.
    """

    total: np.ndarray | None = None
    zeros: np.ndarray | None = None
    count: int = 0

    def update(self, h: torch.Tensor) -> None:
        flat = h.detach().transpose(0, 1).reshape(h.shape[1], -1).to(torch.float64)
        total = flat.sum(dim=1).cpu().numpy()
        zeros = (flat == 0).sum(dim=1).cpu().numpy().astype(np.float64)
        if self.total is None:
            self.total, self.zeros = total, zeros
        else:
            self.total, self.zeros = self.total + total, self.zeros + zeros
        self.count += flat.shape[1]

    @property
    def mean(self) -> np.ndarray:
        self._check()
        return self.total / self.count

    @property
    def sparsity(self) -> np.ndarray:
        self._check()
        return self.zeros / self.count

    def _check(self) -> None:
        if self.count == 0:
            raise AnalysisError("natural-image statistics: no image was seen; expected at least one image")


def _relative_to_max(values: np.ndarray, what: str) -> np.ndarray:
    top = np.max(values)
    if not np.isfinite(top) or top <= 0:
        raise AnalysisError(f"{what}: largest value in the layer is {top}; expected a positive maximum")
    return values / top


def inactivity_table(*, layer: str, n_channels: int, weights: torch.Tensor | None, natural: NaturalStats,
                     stimulus_max: np.ndarray | None = None, thresholds=None) -> pd.DataFrame:
    """One row per unit with the four inactivity measures and a flag per definition.

    Parameters
    ----------
    layer : str
        Layer name written in the table.
    n_channels : int
        Units in the layer.
    weights : Tensor of shape (C, ...) or None
        The layer's filters (``conv.weight``); ``None`` when the layer has none (measure NaN, flags False).
    natural : NaturalStats
        Statistics of the silenced map over natural images.
    stimulus_max : ndarray of shape (C,), optional
        Each unit's largest response to the protocol's stimuli.
    thresholds : v1lab.lesion.config.Thresholds, optional
        Cuts per definition (defaults: 0.1, 0.99, 0.1, 0.1).

    Returns
    -------
    DataFrame
        Columns ``layer``, ``channel``, ``filter_norm``, ``filter_norm_ratio``, ``sparsity``,
        ``natural_mean``, ``natural_mean_ratio``, ``stimulus_max``, ``stimulus_max_ratio`` and
        ``inactive_<definition>`` (bool) for each of :data:`DEFINITIONS`; a definition whose measure is
        unavailable is NaN with every flag False.
    """
    from v1lab.lesion.config import Thresholds

    thresholds = thresholds or Thresholds()
    table = pd.DataFrame({"layer": layer, "channel": np.arange(n_channels)})
    nan = np.full(n_channels, np.nan)
    if weights is not None:
        if weights.shape[0] != n_channels:
            raise AnalysisError(f"layer {layer!r}: weights have {weights.shape[0]} filters; expected {n_channels}")
        norms = weights.detach().to(torch.float64).reshape(n_channels, -1).norm(dim=1).cpu().numpy()
        table["filter_norm"] = norms
        table["filter_norm_ratio"] = _relative_to_max(norms, f"layer {layer!r} filter norms")
    else:
        table["filter_norm"] = table["filter_norm_ratio"] = nan
    if len(natural.mean) != n_channels:
        raise AnalysisError(f"layer {layer!r}: natural statistics for {len(natural.mean)} channels; "
                            f"expected {n_channels}")
    table["sparsity"] = natural.sparsity
    table["natural_mean"] = natural.mean
    median = float(np.median(natural.mean))
    table["natural_mean_ratio"] = natural.mean / median if median > 0 else nan
    if stimulus_max is not None:
        stimulus_max = np.asarray(stimulus_max, dtype=float)
        if stimulus_max.shape != (n_channels,):
            raise AnalysisError(f"layer {layer!r}: stimulus maxima of shape {stimulus_max.shape}; "
                                f"expected ({n_channels},)")
        table["stimulus_max"] = stimulus_max
        table["stimulus_max_ratio"] = _relative_to_max(stimulus_max, f"layer {layer!r} stimulus maxima")
    else:
        table["stimulus_max"] = table["stimulus_max_ratio"] = nan
    for name, (column, side, attr) in DEFINITIONS.items():
        cut = getattr(thresholds, attr)
        values = table[column].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            flags = values < cut if side == "below" else values >= cut
        table[f"inactive_{name}"] = np.where(np.isfinite(values), flags, False)
    return table


def inactive_channels(table: pd.DataFrame) -> dict[str, list[int]]:
    """Definition -> inactive channels (ascending), for each definition whose measure is available."""
    out = {}
    for name, (column, _, _) in DEFINITIONS.items():
        if table[column].notna().all():
            out[name] = sorted(int(c) for c in table.loc[table[f"inactive_{name}"].astype(bool), "channel"])
    return out
