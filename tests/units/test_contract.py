"""The units table is a declared contract: the characterisation fills every declared column and no other, the
writer refuses anything else, both formats read back in the declared dtypes, and the docs are generated from it."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.special import erf

from v1lab.characterisation import AnalysisRoles, characterise_layer
from v1lab.errors import UnitsTableError
from v1lab.recording import layer_dataset
from v1lab.units import COLUMNS, column, columns_of, data_dictionary, empty_table, read_units, write_units

from classify.conftest import UNITS, build

REPO = Path(__file__).resolve().parents[2]
SIZES = np.geomspace(0.25, 8.0, 12)
CONTRASTS = np.geomspace(0.02, 1.0, 9)


def _with_sweeps(ds: xr.Dataset) -> xr.Dataset:
    """The planted units of tests/classify plus a matched luminance sweep, a size and a contrast sweep: each
    unit's size curve is a ratio of Gaussians and its contrast curve a Naka-Rushton function, scaled by its
    luminance-grating drive."""
    sets = {}
    for name in dict.fromkeys(ds["set"].values):
        index = np.flatnonzero(ds["set"].values == name)
        params = pd.DataFrame({c: ds[c].values[index] for c in ds.coords
                               if ds[c].dims == ("stimulus",) and c != "set"})
        sets[name] = (params, ds["responses"].values[:, index].T)
    drive = sets["lum"][1].max(axis=0)[None, :]
    size = 2.0 * erf(SIZES / 1.0) ** 2 / (1 + 1.5 * erf(SIZES / 3.0) ** 2)
    contrast = CONTRASTS ** 2 / (CONTRASTS ** 2 + 0.2 ** 2)
    grating = {"orientation_deg": 0.0, "sf_cpd": 2.0, "phase_deg": 0.0}
    sets["matched"] = sets["lum"]
    sets["size"] = (pd.DataFrame({"size_deg": SIZES, **grating}), size[:, None] * drive)
    sets["contrast"] = (pd.DataFrame({"contrast": CONTRASTS, **grating}), contrast[:, None] * drive)
    return layer_dataset([(name, *part) for name, part in sets.items()], ds["blank"].values,
                         channels=ds["channel"].values, attrs={"model": "planted", "layer": "conv1"})


ALL_ROLES = AnalysisRoles(luminance_gratings="lum", chromatic_gratings="iso", matched_luminance_gratings="matched",
                          uniform_fields="fields", size_sweep="size", contrast_sweep="contrast",
                          cone_isolating="cones", cone_isolating_fields="cone_fields")


@pytest.fixture(scope="module")
def table():
    return characterise_layer(_with_sweeps(build(UNITS)), ALL_ROLES)


def test_every_declared_column_is_written_and_filled_somewhere(table):
    assert list(table.columns) == [c.name for c in COLUMNS]
    never = [c.name for c in COLUMNS if table[c.name].isna().all()]
    assert never == [], f"declared columns no planted unit fills: {never}"
    for c in COLUMNS:
        want = {"float64": "float64", "int64": "int64", "boolean": "boolean", "string": "string"}[c.dtype]
        assert str(table[c.name].dtype) == want, c.name


def test_an_absent_role_leaves_exactly_its_columns_missing():
    partial = characterise_layer(_with_sweeps(build(UNITS)), ALL_ROLES.model_copy(update={"size_sweep": None}))
    assert partial[list(columns_of("size_sweep"))].isna().all().all()
    assert (partial["size_rog_status"] == "no data").all()
    assert partial["contrast_nr_status"].isin(["ok", "skipped"]).all()


def test_the_writer_refuses_undeclared_and_missing_columns(table, tmp_path):
    with pytest.raises(UnitsTableError, match=r"\['my_metric'\] are not declared"):
        write_units(table.assign(my_metric=1.0), tmp_path)
    with pytest.raises(UnitsTableError, match=r"declared column\(s\) \['gsf_deg'\] are missing"):
        write_units(table.drop(columns="gsf_deg"), tmp_path)
    assert not list(tmp_path.iterdir())


def test_csv_and_parquet_read_back_equal_in_declared_dtypes(table, tmp_path):
    write_units(table, tmp_path / "both", ["csv", "parquet"])
    write_units(table, tmp_path / "csv", ["csv"])
    from_parquet, from_csv = read_units(tmp_path / "both"), read_units(tmp_path / "csv")
    pd.testing.assert_frame_equal(from_parquet, table.reset_index(drop=True))
    pd.testing.assert_frame_equal(from_csv, from_parquet, check_exact=False, rtol=1e-12)


def test_parquet_fields_carry_unit_and_description(table, tmp_path):
    import pyarrow.parquet as pq

    write_units(table, tmp_path, ["parquet"])
    field = pq.read_schema(tmp_path / "units.parquet").field("peak_sf_cpd")
    assert field.metadata[b"unit"] == b"cycles/deg"
    assert field.metadata[b"analysis"] == b"luminance_gratings" and b"De Valois" in field.metadata[b"citation"]


def test_hand_built_tables_start_from_the_contract():
    t = empty_table(3)
    assert list(t.columns) == [c.name for c in COLUMNS] and len(t) == 3
    with pytest.raises(UnitsTableError, match="did you mean peak_sf_cpd"):
        column("peak_sf")


def test_docs_hold_the_generated_data_dictionary():
    text = (REPO / "docs" / "units.md").read_text(encoding="utf-8")
    assert data_dictionary() in text, "docs/units.md is stale: run `python scripts/generate_docs.py`"
