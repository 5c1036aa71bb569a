"""Planted units: responses written down by hand from each unit's receptive field, not from any v1lab code.

Each unit is linear in cone contrast (weights ``w`` on L, M, S), with a spatial receptive field whose Fourier
amplitude at a grating of spatial frequency f (cpd) and orientation theta is ``A(f, theta)``:

* Gabor (sigma, f0, theta0): ``A = exp(-2 pi^2 sigma^2 [(f cos d - f0)^2 + (f sin d)^2])``, d = theta - theta0
  (the dominant lobe of its Fourier transform);
* Gaussian centre (sigma): ``A = exp(-2 pi^2 sigma^2 f^2)``;
* difference of Gaussians: centre minus 0.8 x surround.

A grating of contrast c, colour direction kappa (cone contrasts per unit contrast) and phase phi drives a
simple-type unit with ``max(0, (w . kappa) c A cos(phi))`` and a complex (energy) unit with
``|w . kappa| c A``. A uniform field is a grating at f = 0 with phase 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

REPO = Path(__file__).resolve().parents[2]

ORIS = np.arange(0.0, 180.0, 15.0)
SFS = 2.0 ** np.arange(-1.0, 3.01, 0.5)          # 0.5 .. 8 cpd
PHASES = np.arange(0.0, 360.0, 45.0)
AZIMUTHS = np.arange(0.0, 360.0, 45.0)
LUM = np.array([1.0, 1.0, 1.0])
LM = np.array([1.0, -1.0, 0.0]) * np.sqrt(1.5)    # same vector length as LUM
S_AXIS = np.array([0.0, 0.0, 1.0]) * np.sqrt(3.0)


def gabor(sigma, f0, theta0):
    def amp(f, theta):
        d = np.deg2rad(theta - theta0)
        return np.exp(-2 * np.pi ** 2 * sigma ** 2 * ((f * np.cos(d) - f0) ** 2 + (f * np.sin(d)) ** 2))
    return amp


def gaussian(sigma):
    return lambda f, theta: np.exp(-2 * np.pi ** 2 * sigma ** 2 * f ** 2)


def dog(sigma_c, sigma_s):
    return lambda f, theta: gaussian(sigma_c)(f, theta) - 0.8 * gaussian(sigma_s)(f, theta)


# name -> (cone weights, spatial amplitude, kind)
UNITS = {
    "simple": (np.array([1.0, 1.0, 0.0]), gabor(0.4, 1.5, 60.0), "simple"),
    "complex": (np.array([1.0, 1.0, 0.0]), gabor(0.4, 2.0, 120.0), "complex"),
    "single_opponent": (np.array([1.0, -0.9, 0.0]), gaussian(0.3), "simple"),
    "double_opponent": (np.array([1.0, -0.6, 0.0]), gabor(0.5, 1.5, 30.0), "simple"),
    "luminance_dog": (np.array([1.0, 1.0, 0.5]), dog(0.15, 0.5), "simple"),
    "silent": (np.zeros(3), gaussian(0.3), "simple"),
}
EXPECTED = {"simple": "simple", "complex": "complex", "single_opponent": "single-opponent",
            "double_opponent": "double-opponent", "luminance_dog": "non-oriented", "silent": "unresponsive"}


def respond(weights, amp, kind, f, theta, phase, kappa, contrast=1.0):
    drive = float(weights @ kappa) * contrast * amp(f, theta)
    if kind == "complex":
        return abs(drive)
    return max(0.0, drive * np.cos(np.deg2rad(phase)))


def grating_rows(set_name, kappa, direction, azimuth):
    rows = []
    for f in SFS:
        for theta in ORIS:
            for phase in PHASES:
                rows.append(dict(set=set_name, orientation_deg=theta, sf_cpd=f, phase_deg=phase, contrast=1.0,
                                 color_direction=direction, dkl_azimuth_deg=azimuth, kappa=kappa))
    return rows


def uniform_rows():
    return [dict(set="fields", orientation_deg=np.nan, sf_cpd=0.0, phase_deg=0.0, contrast=0.5,
                 color_direction=f"dkl{int(a)}", dkl_azimuth_deg=a,
                 kappa=np.cos(np.deg2rad(a)) * LM + np.sin(np.deg2rad(a)) * S_AXIS)
            for a in AZIMUTHS]


def cone_rows():
    """The shipped cone-isolating gratings and fields (8 colour directions; their cone contrasts, as the stimulus
    parameters give them, are the units' inputs)."""
    from v1lab.stimuli import load_stimulus_set

    rows = []
    for name, set_name in (("cone_isolating", "cones"), ("cone_isolating_fields", "cone_fields")):
        params = load_stimulus_set(REPO / "stimuli" / f"{name}.yaml").params
        for _, p in params.iterrows():
            rows.append(dict(set=set_name, orientation_deg=p.get("orientation_deg", np.nan),
                             sf_cpd=p.get("sf_cpd", 0.0), phase_deg=p.get("phase_deg", 0.0), contrast=1.0,
                             color_direction=p["color_direction"], dkl_azimuth_deg=p["dkl_azimuth_deg"],
                             dkl_elevation_deg=p["dkl_elevation_deg"],
                             kappa=p[["l_cone_contrast", "m_cone_contrast", "s_cone_contrast"]].to_numpy(float)))
    return rows


def build(units: dict, *, with_chromatic=True, with_uniform=True, with_cones=True):
    rows = grating_rows("lum", LUM, "luminance", np.nan)
    if with_chromatic:
        rows += grating_rows("iso", LM, "L-M", 0.0)
    if with_uniform:
        rows += uniform_rows()
    if with_cones:
        rows += cone_rows()
    values = np.array([[respond(w, a, k, r["sf_cpd"], np.nan_to_num(r["orientation_deg"]), r["phase_deg"], r["kappa"],
                                r["contrast"]) for r in rows] for (w, a, k) in units.values()])
    params = pd.DataFrame(rows).drop(columns="kappa")
    coords = {c: ("stimulus", params[c].to_numpy()) for c in params}
    coords.update(layer=("unit", ["conv1"] * len(units)), channel=("unit", np.arange(len(units))))
    da = xr.DataArray(values, dims=("unit", "stimulus"), coords=coords)
    return as_dataset(da, np.zeros(len(units)))


def as_dataset(responses: xr.DataArray, blank) -> xr.Dataset:
    """A layer's responses Dataset (variables ``responses`` and ``blank``) of the planted model."""
    return xr.Dataset({"responses": responses, "blank": (("unit",), np.asarray(blank, dtype=float))},
                      attrs={"model": "planted"})


@pytest.fixture(scope="module")
def planted():
    """The responses Dataset of the six planted units, with luminance, isoluminant and uniform-field sets."""
    return build(UNITS)


@pytest.fixture
def build_planted():
    """The builder, for tests that drop sets or units."""
    return build
