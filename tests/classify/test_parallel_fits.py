"""Fits spread over processes give the very numbers of fits run in one process."""

import numpy as np
import pandas as pd
import xarray as xr

from v1lab.characterise import AnalysisRoles, characterise_layer
from v1lab.fits.orientation import von_mises, von_mises_jacobian


def test_von_mises_jacobian_matches_finite_differences():
    theta = np.linspace(0, 180, 13, endpoint=False)
    params = np.array([0.3, 2.0, 1.7, 37.0])
    analytic = von_mises_jacobian(theta, *params)
    for j in range(4):
        h = np.zeros(4)
        h[j] = 1e-6 * max(1.0, abs(params[j]))
        numeric = (von_mises(theta, *(params + h)) - von_mises(theta, *(params - h))) / (2 * h[j])
        np.testing.assert_allclose(analytic[:, j], numeric, rtol=1e-6, atol=1e-8)


def _layer(n_units: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    oris = np.arange(0, 180, 22.5)
    sfs = np.array([1.0, 2.0, 4.0])
    phases = np.arange(0, 360, 90.0)
    grid = pd.DataFrame([(o, f, p) for f in sfs for o in oris for p in phases],
                        columns=["orientation_deg", "sf_cpd", "phase_deg"])
    pref = rng.uniform(0, 180, n_units)[:, None]
    peak_sf = rng.choice(sfs, n_units)[:, None]
    tuning = np.exp(2 * (np.cos(np.deg2rad(2 * (grid["orientation_deg"].to_numpy() - pref))) - 1))
    sf_gain = np.exp(-np.log2(grid["sf_cpd"].to_numpy() / peak_sf) ** 2)
    values = tuning * sf_gain * (1 + 0.5 * np.cos(np.deg2rad(grid["phase_deg"].to_numpy())))
    values += 0.02 * rng.standard_normal(values.shape)
    coords = {c: ("stimulus", grid[c].to_numpy()) for c in grid}
    coords.update(set=("stimulus", np.array(["lum"] * len(grid), dtype=object)),
                  layer=("unit", ["layerX"] * n_units), channel=("unit", np.arange(n_units)))
    return (xr.DataArray(values, dims=("unit", "stimulus"), coords=coords, attrs={"model": "m"}),
            xr.DataArray(np.zeros(n_units), dims=("unit",)))


def test_parallel_fits_equal_serial_fits():
    responses, blank = _layer(160)  # 320 fits: two worker processes
    roles = AnalysisRoles(luminance_gratings="lum")
    serial = characterise_layer(responses, blank, roles, workers=1)
    parallel = characterise_layer(responses, blank, roles, workers=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert (serial["ori_vm_status"] == "ok").mean() > 0.9
