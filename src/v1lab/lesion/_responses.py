"""A layer's largest response to the protocol's stimuli, from a run's responses, for ``stimulus_max``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from v1lab.errors import AnalysisError, RunFolderError

__all__ = ["read_stimulus_max"]


def read_stimulus_max(path: str | Path, *, layer: str, n_channels: int) -> np.ndarray:
    """Each channel's largest response over every stimulus of every set, shape ``(n_channels,)``.

    ``path`` is a run folder (its responses of ``layer``) or a responses file (:mod:`v1lab.recording.dataset`).
    """
    from v1lab.recording.dataset import load_layer
    from v1lab.runs.folder import RunFolder

    path = Path(path)
    try:
        ds = load_layer(path if path.is_file() else RunFolder(path).layer_path(layer))
    except (OSError, RunFolderError) as exc:
        raise AnalysisError(f"--responses {path}: no responses of layer {layer!r} ({exc})") from None
    if "responses" not in ds or set(ds["responses"].dims) != {"unit", "stimulus"} or "channel" not in ds.coords:
        raise AnalysisError(f"{path}: expected a 'responses' variable of dims ('unit', 'stimulus') and a 'channel' "
                            "coordinate")
    channels = ds["channel"].to_numpy().astype(int)
    if channels.min() < 0 or channels.max() >= n_channels:
        raise AnalysisError(f"{path}: channels outside 0..{n_channels - 1}")
    best = np.full(n_channels, -np.inf)
    seen = np.zeros(n_channels, dtype=bool)
    best[channels] = ds["responses"].max(dim="stimulus").to_numpy()
    seen[channels] = True
    if not seen.all():
        raise AnalysisError(f"--responses {path}: no responses for channel(s) {np.flatnonzero(~seen)[:10].tolist()} "
                            f"of layer {layer!r}; expected every channel recorded")
    return best
