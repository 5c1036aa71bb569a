"""Size and contrast sweeps through characterise_layer: SI, GSF and the ratio-of-Gaussians / Naka-Rushton fits."""

import numpy as np
import pytest
import xarray as xr
from scipy.special import erf

from v1lab.characterisation import AnalysisRoles, characterise_layer

SIZES = np.linspace(0.25, 8.0, 32)
CONTRASTS = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0])


def sweep_responses(blank_level=0.3):
    # one complex-type unit (no phase sweep): area summation = ratio of Gaussians, contrast = Naka-Rushton
    size_curve = 2.0 * erf(SIZES / 1.0) ** 2 / (1 + 1.5 * erf(SIZES / 3.0) ** 2)   # k_c=2, w_c=.5, k_s=1.5, w_s=1.5
    contrast_curve = 2.0 * CONTRASTS ** 2 / (CONTRASTS ** 2 + 0.2 ** 2)
    n = SIZES.size + CONTRASTS.size
    values = blank_level + np.concatenate([size_curve, contrast_curve])[None, :]
    coords = dict(
        set=("stimulus", ["sizes"] * SIZES.size + ["contrasts"] * CONTRASTS.size),
        size_deg=("stimulus", np.r_[SIZES, np.full(CONTRASTS.size, 4.0)]),
        contrast=("stimulus", np.r_[np.ones(SIZES.size), CONTRASTS]),
        orientation_deg=("stimulus", np.zeros(n)), sf_cpd=("stimulus", np.full(n, 2.0)),
        phase_deg=("stimulus", np.zeros(n)),
        layer=("unit", ["l"]), channel=("unit", [7]), model=("unit", ["m"]),
    )
    da = xr.DataArray(values, dims=("unit", "stimulus"), coords=coords)
    return xr.Dataset({"responses": da, "blank": (("unit",), [blank_level])}), size_curve


def test_size_and_contrast_sweeps():
    ds, size_curve = sweep_responses()
    t = characterise_layer(ds, AnalysisRoles(size_sweep="sizes", contrast_sweep="contrasts")).iloc[0]
    peak = size_curve.max()
    assert t["surround_suppression_index"] == pytest.approx((peak - size_curve[-1]) / peak)
    assert t["gsf_deg"] == SIZES[np.argmax(size_curve >= 0.95 * peak)]
    assert t["size_rog_status"] == "ok" and t["size_rog_r2"] == pytest.approx(1.0, abs=1e-8)
    assert t["size_rog_w_c_deg"] == pytest.approx(0.5, rel=1e-3)
    assert t["contrast_nr_status"] == "ok"
    assert t["contrast_nr_c50"] == pytest.approx(0.2, rel=1e-3) and t["contrast_nr_n"] == pytest.approx(2.0, rel=1e-3)
    assert (t["model"], t["layer"], t["channel"]) == ("m", "l", 7)
    assert np.isnan(t["circular_variance"]) and t["ori_vm_status"] == "no data"


def _with_a_silent_unit(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` and a second unit that answers every stimulus with its blank (unresponsive)."""
    silent = ds.isel(unit=[0]).assign_coords(channel=("unit", [8]))
    silent["responses"] = xr.full_like(silent["responses"], float(silent["blank"][0]))
    return xr.concat([ds, silent], dim="unit")


def test_each_fit_says_why_it_was_not_made():
    ds = _with_a_silent_unit(sweep_responses()[0])
    t = characterise_layer(ds, AnalysisRoles(size_sweep="sizes")).set_index("channel")
    assert t.loc[7, "size_rog_status"] == "ok"
    unresponsive = ("skipped", "unresponsive unit: nothing to fit")
    assert (t.loc[8, "size_rog_status"], t.loc[8, "size_rog_reason"]) == unresponsive
    assert t["contrast_nr_status"].tolist() == ["no data"] * 2           # the contrast set is not given a role
    no_role = "its stimulus set is not given in the roles or not in the responses"
    assert t["contrast_nr_reason"].tolist() == [no_role] * 2
    off = characterise_layer(ds, AnalysisRoles(size_sweep="sizes", contrast_sweep="contrasts"), fits=False)
    for prefix in ("size_rog", "contrast_nr", "ori_vm", "sf_lg"):
        assert off[f"{prefix}_status"].tolist() == ["skipped"] * 2, prefix
        assert off[f"{prefix}_reason"].tolist() == ["fits=False"] * 2, prefix
    assert off["surround_suppression_index"].iloc[0] == t["surround_suppression_index"].iloc[0]   # metrics still
