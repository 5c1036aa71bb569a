"""One responses Dataset per layer: every set in one array, unique stimulus ids, self-describing, round trip."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from v1lab.errors import RecordingError
from v1lab.recording import CONVENTIONS, layer_dataset, load_layer, save_layer, stimulus_table


@pytest.fixture
def parts():
    gratings = pd.DataFrame({"orientation_deg": [0.0, 45.0, 90.0], "sf_cpd": [1.0, 2.0, 4.0],
                             "waveform": ["sine", "square", "sine"], "drifting": [True, False, True]})
    fields = pd.DataFrame({"colour": ["L-M", "S"], "luminance": [0.5, 0.25]})
    rng = np.random.default_rng(0)
    return [("gratings", gratings, rng.normal(size=(3, 3)).astype(np.float32)),
            ("fields", fields, rng.normal(size=(2, 3)).astype(np.float32))]


def test_round_trip_keeps_values_every_label_and_the_description(tmp_path, parts):
    ds = layer_dataset(parts, [0.1, 0.2, 0.3], channels=[5, 6, 9],
                       attrs={"model": "resnet50-caffe", "layer": "layer1", "rf_size_px": [35, 35], "seed": None,
                              "folded": True})
    assert ds["responses"].dims == ("unit", "stimulus") and ds["responses"].shape == (3, 5)
    np.testing.assert_array_equal(ds["responses"].values, np.concatenate([parts[0][2], parts[1][2]]).T)
    path = tmp_path / "responses" / "layer1.nc"
    save_layer(path, ds)
    assert [p.name for p in path.parent.iterdir()] == ["layer1.nc"]  # no temporary file left behind
    back = load_layer(path)
    xr.testing.assert_identical(back, ds)
    assert back["stimulus_id"].values.tolist() == ["gratings/0", "gratings/1", "gratings/2", "fields/0", "fields/1"]
    assert back["set"].values.tolist() == ["gratings"] * 3 + ["fields"] * 2
    # parameters a set lacks: NaN for numbers, "" for text
    assert np.isnan(back["orientation_deg"].values[3:]).all() and back["waveform"].values[3:].tolist() == ["", ""]
    assert back["colour"].values.tolist() == ["", "", "", "L-M", "S"]
    np.testing.assert_allclose(back["blank"].values, [0.1, 0.2, 0.3], rtol=1e-7)
    assert back["channel"].values.tolist() == [5, 6, 9]
    assert back.attrs["Conventions"] == CONVENTIONS and back.attrs["rf_size_px"].tolist() == [35, 35]
    assert back.attrs["folded"] == 1 and "seed" not in back.attrs and "v1lab_version" in back.attrs
    for name in back.variables:
        assert {"units", "long_name"} <= set(back[name].attrs), name
    assert back["orientation_deg"].attrs["units"] == "degree" and back["sf_cpd"].attrs["units"] == "cycles/degree"
    assert back.set_xindex("stimulus_id").sel(stimulus_id="fields/1")["colour"].item() == "S"


def test_stimulus_table_recovers_one_set(parts):
    ds = layer_dataset(parts, np.zeros(3), channels=[0, 1, 2])
    table = stimulus_table(ds, "fields")
    assert table.index.tolist() == ["fields/0", "fields/1"]
    assert set(table.columns) == {"colour", "luminance", "set"}
    assert len(stimulus_table(ds)) == 5


def test_a_legacy_folder_of_one_file_per_set_reads_as_one_dataset(tmp_path, parts):
    folder = tmp_path / "responses" / "conv1"
    folder.mkdir(parents=True)
    for name, params, values in parts:   # the v1lab 0.1 layout: a DataArray per set with a 'blank' variable
        coords = {c: ("stimulus", params[c].to_numpy()) for c in params}
        coords.update(set=("stimulus", [name] * len(params)), stimulus=("stimulus", np.arange(len(params))),
                      layer=("unit", ["conv1"] * 3), channel=("unit", [0, 1, 2]))
        da = xr.DataArray(values.T, dims=("unit", "stimulus"), coords=coords, name="responses",
                          attrs={"model": "m", "layer": "conv1"})
        ds = da.to_dataset()
        ds["blank"] = xr.DataArray(np.zeros(3, np.float32), dims=("unit",))
        ds.to_netcdf(folder / f"{name}.nc", engine="h5netcdf")
    back = load_layer(folder)
    assert back["responses"].shape == (3, 5) and back.attrs["model"] == "m"
    assert sorted(back["stimulus_id"].values.tolist()) == sorted(
        ["gratings/0", "gratings/1", "gratings/2", "fields/0", "fields/1"])


def test_shape_mismatches_and_repeated_sets_are_refused(parts):
    with pytest.raises(RecordingError, match=r"shape \(3, 3\); expected \(n_stimuli=3, n_units=2\)"):
        layer_dataset(parts, np.zeros(2), channels=[0, 1])
    with pytest.raises(RecordingError, match="blank of length 2; expected 3"):
        layer_dataset(parts, np.zeros(2), channels=[0, 1, 2])
    with pytest.raises(RecordingError, match="repeated"):
        layer_dataset(parts + parts[:1], np.zeros(3), channels=[0, 1, 2])
