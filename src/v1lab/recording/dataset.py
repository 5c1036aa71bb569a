"""Responses of record: one self-describing :class:`xarray.Dataset` per layer, all its stimulus sets together.

Layout (``responses/<layer>.nc``, netCDF-4 through ``h5netcdf``)::

    dims       unit, stimulus
    variables  responses (unit, stimulus)   the centre unit's response to each stimulus
               blank (unit)                 its response to the uniform mean-grey screen
    coords     stimulus_id (stimulus)       "<set>/<index in the set>", unique in the layer
               set (stimulus)               the stimulus-set name
               <every stimulus parameter>   NaN (numbers) or "" (text) where a set does not have it
               channel (unit)               channel index
    attrs      Conventions, v1lab_version, model, weights_sha256, seed, ppd, layer (label), module,
               response, receptive field in pixels and degrees, crop box, canvas centre

Every variable and coordinate has ``units`` and ``long_name`` attributes. Folders written before this layout
(``responses/<layer>/<set>.nc``, one file per set) are read by :func:`load_layer` too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from v1lab.errors import RecordingError, RunFolderError

__all__ = ["CONVENTIONS", "layer_dataset", "stimulus_table", "save_layer", "load_layer"]

#: The ``Conventions`` attribute of a responses Dataset.
CONVENTIONS = "v1lab-responses-2 (docs/recording.md)"
_ENGINE = "h5netcdf"
_NAMES = {
    "responses": ("response", "response of the channel's centre unit"),
    "blank": ("response", "response to the uniform mean-grey screen"),
    "stimulus_id": ("", "stimulus identifier: set name / index in the set"),
    "set": ("", "stimulus-set name"),
    "channel": ("", "channel index in the layer"),
    "closed_loop_orientation_deg": ("degree", "orientation at which the unit's closed-loop stimuli were shown"),
    "closed_loop_sf_cpd": ("cycles/degree", "spatial frequency at which the unit's closed-loop stimuli were shown"),
    "orientation_deg": ("degree", "orientation, counter-clockwise from horizontal on screen (0: horizontal stripes)"),
    "sf_cpd": ("cycles/degree", "spatial frequency"),
    "sf_cpp": ("cycles/pixel", "spatial frequency"),
    "phase_deg": ("degree", "spatial phase at the stimulus centre (0: middle of a bright stripe there)"),
    "contrast": ("1", "contrast as a fraction of the largest in the gamut along the colour direction"),
    "mean_luminance": ("1", "CIE Y of the background grey in linear light (white = 1)"),
    "dkl_contrast": ("1", "DKL vector length at the pattern's peak"),
    "luminance_contrast": ("1", "luminance contrast dY / Y0 at the pattern's peak"),
    "l_cone_contrast": ("1", "L-cone contrast at the pattern's peak"),
    "m_cone_contrast": ("1", "M-cone contrast at the pattern's peak"),
    "s_cone_contrast": ("1", "S-cone contrast at the pattern's peak"),
    "dkl_azimuth_deg": ("degree", "DKL azimuth of the colour direction"),
    "dkl_elevation_deg": ("degree", "DKL elevation of the colour direction"),
    "ppd": ("pixel/degree", "pixels per degree of visual angle"),
}
_SUFFIX_UNITS = {"_deg": "degree", "_px": "pixel", "_cpd": "cycles/degree", "_cpp": "cycles/pixel"}


def _describe(name: str, values: np.ndarray) -> dict:
    if name in _NAMES:
        unit, long_name = _NAMES[name]
    else:
        unit = next((u for s, u in _SUFFIX_UNITS.items() if name.endswith(s)), "" if values.dtype == object else "1")
        long_name = name.replace("_", " ")
    return {"units": unit, "long_name": long_name}


def _column(values: pd.Series) -> np.ndarray:
    """A parameter column as numbers (NaN where missing) or as text ("" where missing)."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=np.float64) if not pd.api.types.is_bool_dtype(values) else values.to_numpy()
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() == values.notna().sum():
        return numeric.to_numpy(dtype=np.float64)
    return np.array(["" if pd.isna(v) else str(v) for v in values], dtype=object)


def _attr(value):
    """A value netCDF can store as an attribute (no booleans, no None, lists of numbers or text)."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_attr(v) for v in value]
    return value


def layer_dataset(parts, blank, *, channels, attrs: dict | None = None, unit_variables: dict | None = None
                  ) -> xr.Dataset:
    """One layer's responses to every stimulus set as one Dataset (layout in the module docstring).

    Parameters
    ----------
    parts : iterable of (str, DataFrame, array)
        Per stimulus set, in order: its name, its parameter table (one row per stimulus) and the responses,
        shape ``(n_stimuli, n_units)``.
    blank : array_like, shape (n_units,)
    channels : array_like of int, shape (n_units,)
    attrs : dict, optional
        Metadata (``model``, ``layer``, ``ppd``, receptive field, ...); ``None`` values are dropped.
    unit_variables : dict, optional
        More variables with one value per unit (e.g. the optima of closed-loop sets).
    """
    from v1lab import __version__

    parts = list(parts)
    channels = np.asarray(channels, dtype=np.int64)
    blank = np.asarray(getattr(blank, "cpu", lambda: blank)(), dtype=np.float32).reshape(-1)
    tables, values = [], []
    for name, params, resp in parts:
        resp = np.asarray(getattr(resp, "cpu", lambda: resp)(), dtype=np.float32)
        if resp.ndim != 2 or resp.shape != (len(params), channels.size):
            raise RecordingError(f"stimulus set '{name}': responses of shape {resp.shape}; expected "
                                 f"(n_stimuli={len(params)}, n_units={channels.size})")
        tables.append(params.reset_index(drop=True).assign(set=name, stimulus_id=[f"{name}/{i}" for i in
                                                                                 range(len(params))]))
        values.append(resp)
    if blank.shape != channels.shape:
        raise RecordingError(f"blank of length {blank.size}; expected {channels.size} (one per unit)")
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame({"set": [], "stimulus_id": []})
    if table["stimulus_id"].duplicated().any():
        raise RecordingError(f"stimulus sets {[p[0] for p in parts]}: a set name is repeated; expected unique names")
    coords = {"stimulus_id": ("stimulus", table["stimulus_id"].to_numpy(dtype=object)),
              "channel": ("unit", channels)}
    for col in table.columns.drop("stimulus_id"):
        coords[str(col)] = ("stimulus", _column(table[col]))
    matrix = np.concatenate(values, axis=0).T if values else np.zeros((channels.size, 0), np.float32)
    variables = {"responses": (("unit", "stimulus"), matrix), "blank": (("unit",), blank),
                 **{name: (("unit",), np.asarray(v)) for name, v in (unit_variables or {}).items()}}
    ds = xr.Dataset(variables, coords=coords)
    for name in list(ds.variables):
        ds[name].attrs.update(_describe(str(name), np.asarray(ds[name].values)))
    clean = {k: _attr(v) for k, v in (attrs or {}).items() if v is not None}
    ds.attrs.update({"Conventions": CONVENTIONS, "v1lab_version": __version__, **clean})
    return ds


def stimulus_table(responses, set_name: str | None = None) -> pd.DataFrame:
    """The stimulus parameters of a responses Dataset (one row per stimulus, ``stimulus_id`` as index), all
    sets or one; parameters the chosen set does not have are dropped."""
    cols = {c: np.asarray(responses[c].values) for c in responses.coords
            if responses[c].dims == ("stimulus",) and c != "stimulus_id"}
    table = pd.DataFrame(cols, index=pd.Index(np.asarray(responses["stimulus_id"].values), name="stimulus_id"))
    if set_name is None:
        return table
    table = table[table["set"] == set_name]
    keep = [c for c in table.columns if not (table[c].isna().all() or (table[c].astype(str) == "").all())]
    return table[keep]


def save_layer(path: str | os.PathLike, responses: xr.Dataset) -> Path:
    """Write a layer's responses Dataset to ``path`` (netCDF-4), atomically.

    The file is built in memory and written with plain file I/O, so a full disk is an ordinary, reported error
    (:class:`~v1lab.errors.StorageError`) and the HDF5 library never sees a failing write.
    """
    from v1lab.runs.atomic import write_bytes

    return write_bytes(path, bytes(responses.to_netcdf(engine=_ENGINE)))


def load_layer(path: str | os.PathLike) -> xr.Dataset:
    """Read a layer's responses (held in memory): ``responses/<layer>.nc``, or a folder of one file per set
    (``responses/<layer>/<set>.nc``, v1lab 0.1 run folders), assembled into the same layout."""
    path = Path(path)
    if path.is_file():
        with xr.open_dataset(path, engine=_ENGINE) as ds:
            return ds.load()
    files = sorted(path.glob("*.nc")) if path.is_dir() else []
    if not files:
        raise RunFolderError(f"{path}: no responses (expected {path.name}.nc or a folder of per-set .nc files)")
    parts, blank, channels, attrs = [], None, None, {}
    for file in files:
        with xr.open_dataset(file, engine=_ENGINE) as ds:
            ds = ds.load()
        if "responses" not in ds or "blank" not in ds:
            raise RunFolderError(f"{file}: not a v1lab responses file (no 'responses' and 'blank' variables)")
        da = ds["responses"]
        names = np.unique(np.asarray(da["set"].values)) if "set" in da.coords else [file.stem]
        params = pd.DataFrame({c: np.asarray(da[c].values) for c in da.coords
                               if da[c].dims == ("stimulus",) and c not in ("stimulus", "set")})
        parts.append((str(names[0]), params, da.transpose("stimulus", "unit").values))
        blank, channels, attrs = ds["blank"].values, da["channel"].values, dict(da.attrs)
    return layer_dataset(parts, blank, channels=channels, attrs={**attrs, "layout": "v1lab 0.1 (one file per set)"})
