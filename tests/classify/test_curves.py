"""tuning_curves: the curves the analysers measured, checked against a computation from the responses by hand."""

import itertools

import numpy as np
import pandas as pd
import pytest

from v1lab.characterisation import AnalysisRoles, characterise_layer, tuning_curves
from v1lab.recording import layer_dataset

ORIS = np.arange(0.0, 180.0, 30.0)
SFS = np.array([0.5, 1.0, 2.0, 4.0])
PHASES = np.arange(0.0, 360.0, 90.0)
SIZES = np.array([0.25, 0.5, 1.0, 2.0, 4.0])


def grating_table(oris=ORIS, sfs=SFS, **fixed):
    rows = [dict(orientation_deg=o, sf_cpd=f, phase_deg=p, **fixed) for f, o, p in itertools.product(sfs, oris, PHASES)]
    return pd.DataFrame(rows)


def responses(rng, n_units=4):
    lum = grating_table()
    chrom = grating_table(color_direction="L-M")
    # closed loop: each unit's size sweep at its own (orientation, SF); unit 3 has no optimum (unresponsive)
    optima = pd.DataFrame({"closed_loop_orientation_deg": [0.0, 60.0, 0.0, np.nan],
                           "closed_loop_sf_cpd": [1.0, 2.0, 1.0, np.nan]})
    size = pd.concat([grating_table(oris=[o], sfs=[f], size_deg=0.0).assign(size_deg=s)
                      for o, f in optima.dropna().drop_duplicates().itertuples(index=False) for s in SIZES],
                     ignore_index=True)
    parts = [(name, table, rng.gamma(2.0, 1.0, (len(table), n_units)))
             for name, table in (("lum", lum), ("chrom", chrom), ("size", size))]
    ds = layer_dataset(parts, rng.uniform(0.1, 0.5, n_units), channels=np.arange(n_units),
                       attrs={"model": "m", "layer": "l"},
                       unit_variables={k: v.to_numpy() for k, v in optima.items()})
    return ds, optima


def by_hand(ds, set_name, unit, keys):
    """F0 and F1 per combination of ``keys`` of one unit's responses to one set, from the table of stimuli."""
    mask = ds["set"].values == set_name
    t = pd.DataFrame({k: ds[k].values[mask] for k in keys + ["phase_deg"]})
    t["r"] = ds["responses"].values[unit, mask]
    t["z"] = t["r"] * np.exp(-1j * np.deg2rad(t["phase_deg"]))
    g = t.groupby(keys)
    return g["r"].mean(), 2 * np.abs(g["z"].mean())


ROLES = AnalysisRoles(luminance_gratings="lum", chromatic_gratings="chrom", size_sweep="size")


def test_orientation_sf_and_closed_loop_size_curves_are_the_analysers():
    ds, optima = responses(np.random.default_rng(5))
    curves = tuning_curves(ds, ROLES)
    assert list(curves) == ["orientation", "spatial_frequency", "size", "chromatic_spatial_frequency"]
    blank = ds["blank"].values
    for u in range(3):
        f0, f1 = by_hand(ds, "lum", u, ["sf_cpd", "orientation_deg"])
        sf_best, _ = f0.idxmax()
        np.testing.assert_allclose(curves["orientation"].curves[u], f0.loc[sf_best].to_numpy(), rtol=1e-6)
        comp = pd.concat({"f0": f0 - blank[u], "f1": f1}, axis=1)     # the larger component at its orientation
        _, ori_amp, which = comp.stack().idxmax()
        expected = comp[which].xs(ori_amp, level="orientation_deg").to_numpy()
        np.testing.assert_allclose(curves["spatial_frequency"].curves[u], expected, rtol=1e-6)
        s0, s1 = by_hand(ds, "size", u, ["orientation_deg", "sf_cpd", "size_deg"])
        o, f = optima.iloc[u]
        s0, s1 = s0.loc[(o, f)] - blank[u], s1.loc[(o, f)]
        best = s0 if np.nanmax(s0) >= np.nanmax(s1) else s1
        np.testing.assert_allclose(curves["size"].curves[u], best.to_numpy(), rtol=1e-6)
    np.testing.assert_array_equal(curves["orientation"].x, ORIS)
    np.testing.assert_array_equal(curves["size"].x, SIZES)
    assert np.isnan(curves["size"].curves[3]).all()                    # no optimum: no size curve
    assert curves["size"].set_name == "size" and curves["size"].key == "size_rog"


def test_fits_in_the_units_table_are_fits_of_these_curves():
    ds, _ = responses(np.random.default_rng(6))
    table = characterise_layer(ds, ROLES)
    curves = tuning_curves(ds, ROLES, units=[1, 2])
    assert curves["orientation"].curves.shape == (2, ORIS.size)
    from v1lab.fits import fit_von_mises_many

    batch = fit_von_mises_many(curves["orientation"].curves, ORIS)
    live = table["ori_vm_status"].iloc[[1, 2]] == "ok"
    np.testing.assert_allclose(batch.r_squared[live.to_numpy()], table["ori_vm_r2"].iloc[[1, 2]][live], rtol=1e-6)


def test_a_missing_set_gives_no_curve():
    ds, _ = responses(np.random.default_rng(7))
    curves = tuning_curves(ds, AnalysisRoles(luminance_gratings="lum", contrast_sweep="absent"))
    assert list(curves) == ["orientation", "spatial_frequency"]
    with pytest.raises(Exception, match="blank"):
        tuning_curves(ds.drop_vars("blank"), ROLES)


def test_each_curve_names_its_kind_and_role_and_positions_may_be_floats():
    ds, _ = responses(np.random.default_rng(8))
    curves = tuning_curves(ds, ROLES)
    assert [(c.name, c.role) for c in curves.values()] == [
        ("orientation", "luminance_gratings"), ("spatial_frequency", "luminance_gratings"),
        ("size", "size_sweep"), ("chromatic_spatial_frequency", "chromatic_gratings")]
    picked = tuning_curves(ds, ROLES, units=np.array([2.0, 1.0]))   # e.g. a units-table column read as float
    np.testing.assert_array_equal(picked["orientation"].curves, curves["orientation"].curves[[2, 1]])


def test_a_curve_the_analyser_cannot_take_is_left_out():
    rng = np.random.default_rng(9)
    two = grating_table(oris=[0.0, 90.0])           # two orientations: no orientation curve, an SF curve
    ds = layer_dataset([("lum", two, rng.gamma(2.0, 1.0, (len(two), 3)))], rng.uniform(0.1, 0.5, 3),
                       channels=np.arange(3), attrs={"model": "m", "layer": "l"})
    assert "orientation" not in tuning_curves(ds, AnalysisRoles(luminance_gratings="lum"))


@pytest.mark.parametrize("thing", [{}, np.zeros(3)], ids=["mapping", "array"])
def test_anything_but_a_dataset_with_blank_is_one_clear_error(thing):
    from v1lab.errors import AnalysisError

    with pytest.raises(AnalysisError, match=r"^responses: expected a Dataset with variable 'blank' "
                                            r"\(v1lab\.recording\.layer_dataset\)$"):
        tuning_curves(thing, ROLES)
