"""Reading a layer's recorded stimulus responses (a run's ``responses/<layer>/*.nc``) for ``stimulus_max``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from v1lab.errors import AnalysisError

__all__ = ["read_stimulus_max"]


def _files(path: Path, layer: str) -> list[Path]:
    if path.is_file():
        return [path]
    for folder in (path / "responses" / layer, path / layer, path):
        files = sorted(folder.glob("*.nc")) if folder.is_dir() else []
        if files:
            return files
    raise AnalysisError(f"--responses {path}: no .nc file for layer {layer!r}; expected a run folder with "
                        f"responses/{layer}/*.nc or a netCDF file")


def read_stimulus_max(path: str | Path, *, layer: str, n_channels: int) -> np.ndarray:
    """Each channel's largest response over every stimulus of every set, shape ``(n_channels,)``.

    Each file holds a ``responses`` array with dims ``("unit", "stimulus")`` and a ``channel`` coordinate
    on ``unit`` (docs/architecture.md, "Responses of record").
    """
    best = np.full(n_channels, -np.inf)
    seen = np.zeros(n_channels, dtype=bool)
    for file in _files(Path(path), layer):
        with xr.open_dataset(file) as ds:
            if "responses" not in ds:
                raise AnalysisError(f"{file}: no variable 'responses'; has {list(ds.data_vars)}")
            da = ds["responses"].load()
        if set(da.dims) != {"unit", "stimulus"} or "channel" not in da.coords:
            raise AnalysisError(f"{file}: responses with dims {da.dims}; expected ('unit', 'stimulus') and a "
                                "'channel' coordinate")
        channels = da["channel"].to_numpy().astype(int)
        if channels.min() < 0 or channels.max() >= n_channels:
            raise AnalysisError(f"{file}: channels outside 0..{n_channels - 1}")
        peak = da.max(dim="stimulus").to_numpy()
        best[channels] = np.maximum(best[channels], peak)
        seen[channels] = True
    if not seen.all():
        raise AnalysisError(f"--responses {path}: no responses for channel(s) {np.flatnonzero(~seen)[:10].tolist()} "
                            f"of layer {layer!r}; expected every channel recorded")
    return best
