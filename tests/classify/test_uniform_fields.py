"""The uniform-field analysis on planted responses: the peak above blank, and the preferred DKL azimuth, a
direction (fields at azimuth and azimuth + 180 differ), from the vector sum over the azimuths shown
(Johnson, Hawken & Shapley 2008; Derrington, Krauskopf & Lennie 1984)."""

import numpy as np
import pandas as pd
import pytest

from v1lab.characterisation._grid import SetResponses
from v1lab.characterisation.uniform import analyse_uniform

PREFERRED = 200.0   # a direction whose axis (20 deg) differs from it


def _fields(azimuths, blank):
    """Fields at two contrasts per azimuth plus one achromatic field (azimuth NaN); unit 0 is direction-tuned,
    r(a) = blank + c (1 + cos(a - 200 deg)); unit 1 answers the achromatic field most."""
    az = np.array([a for a in azimuths for _ in (0, 1)] + [np.nan])
    contrast = np.array([c for _ in azimuths for c in (0.5, 1.0)] + [1.0])
    tuned = blank[0] + contrast * (1 + np.cos(np.deg2rad(az - PREFERRED)))
    tuned[-1] = blank[0]
    grey = blank[1] + np.where(np.isnan(az), 5.0, 0.25)
    params = pd.DataFrame({"dkl_azimuth_deg": az, "contrast": contrast})
    return SetResponses("fields", np.stack([tuned, grey]), params)


@pytest.mark.parametrize("azimuths", [[30.0, 150.0, 270.0], [0.0, 90.0, 180.0, 270.0]], ids=["3", "4"])
def test_preferred_azimuth_is_the_direction_of_the_vector_sum_over_each_azimuths_best_field(azimuths):
    blank = np.array([0.5, 2.0])
    cols = analyse_uniform(_fields(azimuths, blank), blank).columns
    # sum_k cos(a_k - p) e^{i a_k} = (n/2) e^{i p} over n equally spaced azimuths: exactly the planted direction
    assert cols.loc[0, "preferred_dkl_azimuth_deg"] == pytest.approx(PREFERRED, abs=1e-9)
    assert np.isnan(cols.loc[1, "preferred_dkl_azimuth_deg"])          # flat over the azimuths: no direction
    peaks = [max(1 + np.cos(np.deg2rad(a - PREFERRED)) for a in azimuths), 5.0]
    np.testing.assert_allclose(cols["uniform_peak_response"], peaks, rtol=1e-12)   # above blank, NaN field too


def test_two_azimuths_give_no_preferred_direction_and_fields_without_azimuths_only_the_peak():
    blank = np.array([0.5, 2.0])
    two = analyse_uniform(_fields([30.0, 150.0], blank), blank).columns
    assert list(two.columns) == ["uniform_peak_response"]
    part = _fields([30.0, 150.0, 270.0], blank)
    plain = SetResponses("fields", part.values, part.params.drop(columns="dkl_azimuth_deg"))
    cols = analyse_uniform(plain, blank).columns
    assert list(cols.columns) == ["uniform_peak_response"]
    np.testing.assert_allclose(cols["uniform_peak_response"], part.values.max(axis=1) - blank)
