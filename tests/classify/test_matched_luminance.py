"""The chromatic ratio over luminance gratings matched to the isoluminant ones in cone contrast (Johnson et al. 2001).

Planted linear units (tests/classify/conftest.py) answer a grating of contrast c in colour direction kappa with
(w . kappa) c A(f, theta): the ratio of their peak amplitudes to isoluminant and to luminance gratings of equal RMS
cone contrast is |w . kappa_LM| / |w . kappa_lum| exactly, whatever the contrast of the main luminance sweep.
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from v1lab.characterisation import AnalysisRoles, characterise_layer
from v1lab.errors import AnalysisError
from v1lab.stimuli import load_stimulus_set

from .conftest import LM, LUM, REPO, as_dataset, gabor, grating_rows, respond

ROLES = AnalysisRoles(luminance_gratings="lum", chromatic_gratings="iso", matched_luminance_gratings="matched")
WEIGHTS = [np.array([1.0, 0.2, 0.0]), np.array([1.0, -0.5, 0.3])]
CONES = ("l_cone_contrast", "m_cone_contrast", "s_cone_contrast")


def _dataset(contrasts: dict) -> xr.Dataset:
    rows = []
    for name, kappa, direction in (("lum", LUM, "luminance"), ("iso", LM, "L-M"), ("matched", LUM, "luminance")):
        for r in grating_rows(name, kappa, direction, np.nan if name != "iso" else 0.0):
            rows.append({**r, "contrast": contrasts[name]})
    amp = gabor(0.4, 2.0, 60.0)
    values = np.array([[respond(w, amp, "simple", r["sf_cpd"], r["orientation_deg"], r["phase_deg"], r["kappa"],
                                r["contrast"]) for r in rows] for w in WEIGHTS])
    params = pd.DataFrame(rows)
    cones = np.stack(params["kappa"].to_numpy()) * params["contrast"].to_numpy()[:, None]
    params = params.drop(columns="kappa").assign(**{c: cones[:, i] for i, c in enumerate(CONES)})
    coords = {c: ("stimulus", params[c].to_numpy()) for c in params}
    coords.update(layer=("unit", ["conv1"] * len(WEIGHTS)), channel=("unit", np.arange(len(WEIGHTS))))
    return as_dataset(xr.DataArray(values, dims=("unit", "stimulus"), coords=coords), np.zeros(len(WEIGHTS)))


def test_chromatic_ratio_is_over_the_matched_luminance_gratings():
    """Isoluminant and matched luminance gratings at RMS cone contrast 0.4 (LM and LUM have equal length), the
    main luminance sweep at 1: the ratio is |w . LM| / |w . LUM|, not 0.4 times it."""
    t = characterise_layer(_dataset({"lum": 1.0, "iso": 0.4, "matched": 0.4}), ROLES, fits=False)
    want = [abs(w @ LM) / abs(w @ LUM) for w in WEIGHTS]
    np.testing.assert_allclose(t["chromatic_ratio"], want, rtol=1e-12)
    np.testing.assert_allclose(t["matched_luminance_peak_amplitude"] / t["luminance_peak_amplitude"], 0.4, rtol=1e-12)


@pytest.mark.parametrize("matched, equated", [(0.41, True), (0.39, True), (0.43, False), (0.37, False)])
def test_matched_gratings_must_be_equated_in_cone_contrast(matched, equated):
    """RMS cone contrasts 0.4 (isoluminant) against 0.37 .. 0.43 (matched): within 5 % passes, beyond raises."""
    ds = _dataset({"lum": 1.0, "iso": 0.4, "matched": matched})
    if equated:
        characterise_layer(ds, ROLES, fits=False)
    else:
        with pytest.raises(AnalysisError, match="RMS cone contrast"):
            characterise_layer(ds, ROLES, fits=False)


def test_shipped_matched_luminance_sets_have_the_cone_contrast_of_their_isoluminant_sets():
    """The shipped pairs are equated as Johnson et al. (2001) did: equal RMS cone contrast
    sqrt((c_L^2 + c_M^2 + c_S^2) / 3), from the cone contrasts each stimulus reports."""
    def rms(name):
        p = load_stimulus_set(REPO / "stimuli" / f"{name}.yaml").params
        return np.sqrt((p[list(CONES)].to_numpy(float) ** 2).mean(axis=1)).max()

    for lum, iso in (("gratings_osp_matched_quick", "isoluminant_osp_quick"),
                     ("gratings_osp_matched", "isoluminant_osp")):
        assert rms(lum) == pytest.approx(rms(iso), rel=1e-3)   # contrasts written to 4 significant digits
        assert rms(lum) < rms("gratings_osp_quick")
