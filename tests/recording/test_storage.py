import numpy as np
import pandas as pd
import pytest
import xarray as xr

from v1lab.errors import RecordingError
from v1lab.recording import load_responses, responses_to_dataarray, save_responses


@pytest.fixture
def table():
    return pd.DataFrame({
        "orientation_deg": [0.0, 45.0, 90.0, np.nan],
        "sf_cpd": [1.0, 2.0, 4.0, np.nan],
        "colour": ["lum", "L-M", None, "S"],
        "luminance": [np.nan, np.nan, np.nan, 0.5],
        "drifting": [True, False, True, False],
    })


def test_round_trip_keeps_values_and_every_label(tmp_path, table):
    rng = np.random.default_rng(0)
    r = rng.normal(size=(4, 3)).astype(np.float32)
    da = responses_to_dataarray(r, table, layer="layer1", channels=[5, 6, 9], set_name="gratings",
                                attrs={"model": "resnet50-caffe", "response": "post_relu", "rf_size_px": 35,
                                       "weights_sha256": None})
    assert da.dims == ("unit", "stimulus") and da.shape == (3, 4)
    np.testing.assert_array_equal(da.values, r.T)
    path = tmp_path / "responses" / "layer1.nc"
    save_responses(path, da, blank=np.array([0.1, 0.2, 0.3]))
    assert [p.name for p in path.parent.iterdir()] == ["layer1.nc"]  # no temporary file left behind
    back, blank = load_responses(path)
    np.testing.assert_array_equal(back.values, r.T)
    np.testing.assert_allclose(blank.values, [0.1, 0.2, 0.3], rtol=1e-7)
    assert blank.dims == ("unit",)
    assert list(back["channel"].values) == [5, 6, 9]
    assert list(back["layer"].values) == ["layer1"] * 3
    assert list(back["set"].values) == ["gratings"] * 4
    assert list(back["colour"].values) == ["lum", "L-M", "", "S"]
    np.testing.assert_array_equal(back["orientation_deg"].values, table["orientation_deg"].values)
    assert list(back["drifting"].values) == [True, False, True, False]
    assert back.attrs["model"] == "resnet50-caffe" and back.attrs["rf_size_px"] == 35
    assert "weights_sha256" not in back.attrs
    # selection by a parameter works on the reloaded array
    assert back.where(back["sf_cpd"] == 2.0, drop=True).shape == (3, 1)


def test_set_column_in_the_table_names_each_row(tmp_path, table):
    table["set"] = ["a", "a", "b", "b"]
    da = responses_to_dataarray(np.zeros((4, 2)), table, layer="conv1")
    assert list(da["set"].values) == ["a", "a", "b", "b"]
    assert isinstance(da, xr.DataArray)


def test_shape_mismatches_are_refused(tmp_path, table):
    with pytest.raises(RecordingError, match=r"shape \(3, 2\); expected \(n_stimuli=4"):
        responses_to_dataarray(np.zeros((3, 2)), table, layer="conv1")
    with pytest.raises(RecordingError, match="channels of length 3; expected 2"):
        responses_to_dataarray(np.zeros((4, 2)), table, layer="conv1", channels=[0, 1, 2])
    da = responses_to_dataarray(np.zeros((4, 2)), table, layer="conv1")
    with pytest.raises(RecordingError, match="blank of length 3; expected 2"):
        save_responses(tmp_path / "x.nc", da, blank=np.zeros(3))
    assert not (tmp_path / "x.nc").exists()
