"""Responses of record: labelled arrays (unit x stimulus) saved as netCDF.

A layer's responses are an :class:`xarray.DataArray` named ``responses`` with dims
``("unit", "stimulus")``; unit coordinates ``layer`` (str) and ``channel`` (int); stimulus coordinates
``stimulus`` (the row label of the parameter table), ``set`` (the stimulus-set name) and one per
stimulus parameter (NaN where a numeric parameter does not apply, ``""`` where a text one does not).
The file also holds ``blank`` (dims ``("unit",)``), the response to the uniform mean-grey screen.
Files are netCDF-4 written with the ``h5netcdf`` engine, atomically (a file appears whole or not at all).
"""

import os

import numpy as np
import pandas as pd
import xarray as xr

from v1lab._atomic import atomic_path
from v1lab.errors import RecordingError

__all__ = ["responses_to_dataarray", "save_responses", "load_responses"]

_ENGINE = "h5netcdf"


def responses_to_dataarray(responses, params: pd.DataFrame, *, layer: str, channels=None,
                           set_name: str | None = None, attrs: dict | None = None) -> xr.DataArray:
    """Label a ``(stimulus, channel)`` response matrix (as :meth:`CentreUnitRecorder.record` returns it).

    Parameters
    ----------
    responses : array-like, shape (n_stimuli, n_units)
        One row per stimulus (row ``i`` answers ``params.iloc[i]``).
    params : DataFrame
        One row per stimulus, one column per parameter (unit vocabulary: ``orientation_deg``, ...).
        A ``set`` column, if present, names each row's stimulus set.
    layer : str
        The recorded layer.
    channels : sequence of int, optional
        Channel of each unit (default ``0 .. n_units - 1``).
    set_name : str, optional
        Stimulus-set name for every row (used when ``params`` has no ``set`` column).
    attrs : dict, optional
        Metadata (model, response mode, receptive field, ...); ``None`` values are dropped.

    Returns
    -------
    DataArray with dims ``("unit", "stimulus")``.
    """
    values = np.asarray(responses.cpu() if hasattr(responses, "cpu") else responses, dtype=np.float32)
    if values.ndim != 2 or values.shape[0] != len(params):
        raise RecordingError(
            f"responses of shape {values.shape}; expected (n_stimuli={len(params)}, n_units)"
        )
    n_units = values.shape[1]
    channels = np.arange(n_units) if channels is None else np.asarray(channels, dtype=np.int64)
    if channels.shape != (n_units,):
        raise RecordingError(f"channels of length {channels.size}; expected {n_units} (one per unit)")
    table = params.copy()
    if "set" not in table.columns:
        table["set"] = "" if set_name is None else set_name
    coords = {"stimulus": ("stimulus", np.asarray(params.index))}
    for column in table.columns:
        coords[str(column)] = ("stimulus", _column(table[column]))
    coords["layer"] = ("unit", np.array([layer] * n_units, dtype=object))
    coords["channel"] = ("unit", channels)
    clean = {k: v for k, v in (attrs or {}).items() if v is not None}
    return xr.DataArray(values.T, dims=("unit", "stimulus"), coords=coords, name="responses",
                        attrs={"layer": layer, **clean})


def _column(series: pd.Series) -> np.ndarray:
    """A parameter column as numbers (NaN where missing) or as text ("" where missing)."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.to_numpy()
    numeric = pd.to_numeric(series, errors="coerce")
    if numeric.notna().sum() == series.notna().sum():
        return numeric.to_numpy(dtype=np.float64)
    return np.array(["" if pd.isna(v) else str(v) for v in series], dtype=object)


def save_responses(path: str | os.PathLike, responses: xr.DataArray, blank) -> None:
    """Write ``responses`` and ``blank`` (one value per unit) to a netCDF file, atomically.

    Raises
    ------
    RecordingError
        When ``blank`` does not hold one value per unit.
    """
    blank = np.asarray(blank.cpu() if hasattr(blank, "cpu") else blank, dtype=np.float32).reshape(-1)
    if blank.shape[0] != responses.sizes["unit"]:
        raise RecordingError(f"blank of length {blank.shape[0]}; expected {responses.sizes['unit']} (one per unit)")
    ds = responses.to_dataset()
    ds["blank"] = xr.DataArray(blank, dims=("unit",))
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine=_ENGINE)


def load_responses(path: str | os.PathLike) -> tuple[xr.DataArray, xr.DataArray]:
    """Read a file written by :func:`save_responses`; returns ``(responses, blank)`` held in memory."""
    with xr.open_dataset(path, engine=_ENGINE) as ds:
        ds = ds.load()
    return ds["responses"], ds["blank"]
