"""A stimulus set's responses averaged onto the full grid of its swept parameters: levels sorted whatever the
order of the stimuli, repeats averaged, a parameter that may not vary named, a missing combination counted."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from v1lab.characterisation._grid import GRATING, Grid, SetResponses, select
from v1lab.errors import AnalysisError


def _part(rows, values, name="lum"):
    return SetResponses(name, np.asarray(values, dtype=float), pd.DataFrame(rows))


def test_select_takes_one_sets_stimuli_in_float64_from_float32_recordings():
    """The recorder writes float32; the analysers average thousands of stimuli, so they get float64. Columns that
    are not stimulus parameters, or not per stimulus, are left out."""
    r = (np.arange(12, dtype=np.float32) / np.float32(3)).reshape(2, 6)
    names = np.array(["a", "b", "a", "b", "a", "a"])
    ds = xr.Dataset({"responses": (("unit", "stimulus"), r), "blank": (("unit",), np.zeros(2))},
                    coords={"set": ("stimulus", names), "sf_cpd": ("stimulus", [1.0, 2.0, 4.0, 1.0, 8.0, 2.0]),
                            "label": ("stimulus", list("uvwxyz")), "layer": ("unit", ["conv1", "conv1"])})
    part = select(ds, "a")
    assert part.name == "a" and part.values.dtype == np.float64
    np.testing.assert_array_equal(part.values, r[:, [0, 2, 4, 5]].astype(np.float64))
    pd.testing.assert_frame_equal(part.params, pd.DataFrame({"sf_cpd": [1.0, 4.0, 8.0, 2.0]}))
    assert select(ds, "c") is None and select(ds, None) is None


def test_levels_are_sorted_and_repeats_averaged_whatever_the_stimulus_order():
    """Unit 0 answers 100 f + theta + phi / 1000 (one value per cell, so its grid says where each cell went);
    unit 1 answers 1 and 3 to the two copies of every stimulus, 2 on average. Stimuli arrive in descending,
    then shuffled order."""
    cells = [(f, o, p) for f in (4.0, 2.0, 0.5) for o in (150.0, 30.0) for p in (270.0, 180.0, 90.0, 0.0)]
    cells = [cells[i] for i in np.random.default_rng(7).permutation(len(cells))] * 2
    rows = [{"sf_cpd": f, "orientation_deg": o, "phase_deg": p, "contrast": 0.8} for f, o, p in cells]
    values = [[100 * f + o + p / 1000 for f, o, p in cells], [1.0] * 24 + [3.0] * 24]
    grid = Grid(_part(rows, values), GRATING)
    np.testing.assert_array_equal(grid.level("sf_cpd"), [0.5, 2.0, 4.0])
    np.testing.assert_array_equal(grid.level("orientation_deg"), [30.0, 150.0])
    np.testing.assert_array_equal(grid.level("phase_deg"), [0.0, 90.0, 180.0, 270.0])
    f, o, p = np.meshgrid([0.5, 2.0, 4.0], [30.0, 150.0], [0.0, 90.0, 180.0, 270.0], indexing="ij")
    np.testing.assert_allclose(grid.values[0], 100 * f + o + p / 1000, rtol=1e-15)
    np.testing.assert_array_equal(grid.values[1], np.full((3, 2, 4), 2.0))


def test_a_set_without_any_swept_parameter_is_one_cell_of_its_repeats():
    grid = Grid(_part([{"contrast": 0.5}] * 3, [[1.0, 2.0, 6.0]]), GRATING)
    assert grid.values.shape == (1, 1, 1, 1) and grid.values[0, 0, 0, 0] == 3.0
    assert all(np.isnan(grid.level(d)).all() and grid.level(d).size == 1 for d in GRATING)


def test_three_phases_give_the_first_harmonic():
    """1 + 0.5 cos(phi - 40 deg) at 0, 120 and 240 deg: F0 = 1, F1 = 0.5 exactly."""
    phases = (0.0, 120.0, 240.0)
    rows = [{"sf_cpd": 2.0, "orientation_deg": 0.0, "phase_deg": p} for p in phases]
    f0, f1 = Grid(_part(rows, [[1 + 0.5 * np.cos(np.deg2rad(p - 40.0)) for p in phases]]), GRATING).harmonics()
    np.testing.assert_allclose([f0[0, 0, 0], f1[0, 0, 0]], [1.0, 0.5], atol=1e-12)


def test_an_f1_within_rounding_of_the_responses_is_0():
    """c (1 + e cos(phi - 40 deg)) at 4 phases has F1 = |c| e; the rounding of e^{-i phi} adds ~1e-16 |c|. Each
    cell is judged on its own responses: with c = 3 or -3, e = 1e-11 is kept and e = 5e-13 (F1 = 1.5e-12, below
    1e-12 of |c|) is 0; a flat cell at 1000 is 0, and beside it c = 1e-3, e = 1e-11 (F1 = 1e-14) is kept."""
    phases = (0.0, 90.0, 180.0, 270.0)
    cells = [(3.0, 1e-11), (3.0, 5e-13), (-3.0, 5e-13), (1000.0, 0.0), (1e-3, 1e-11)]
    rows = [{"sf_cpd": 2.0, "orientation_deg": 36.0 * k, "phase_deg": p} for k in range(5) for p in phases]
    values = [[c * (1 + e * np.cos(np.deg2rad(p - 40.0))) for c, e in cells for p in phases]]
    f0, f1 = Grid(_part(rows, values), GRATING).harmonics()
    np.testing.assert_allclose(f0[0, 0], [c for c, _ in cells], rtol=1e-12)
    np.testing.assert_allclose(f1[0, 0], [3e-11, 0.0, 0.0, 0.0, 1e-14], rtol=1e-3, atol=0.0)
    assert f1[0, 0, 1:4].tolist() == [0.0, 0.0, 0.0]


def test_phases_not_evenly_spaced_over_a_cycle_are_refused():
    """0, 90 and 180 deg miss the quarter cycle at 270: their first harmonic is not the DFT's."""
    rows = [{"sf_cpd": 2.0, "orientation_deg": 0.0, "phase_deg": p} for p in (180.0, 0.0, 90.0)]
    with pytest.raises(AnalysisError) as err:
        Grid(_part(rows, [[1.0, 2.0, 3.0]]), GRATING).harmonics()
    assert str(err.value) == "`phases_deg`: expected 3 phases evenly spaced over 360 deg, got [0.0, 90.0, 180.0]"


def test_a_parameter_that_varies_outside_the_grid_is_named_with_its_count_of_values():
    """A missing contrast (NaN) counts as a value of its own: NaN and 0.5 are two contrasts."""
    rows = [{"sf_cpd": 1.0, "orientation_deg": 0.0, "phase_deg": 0.0, "contrast": c} for c in (np.nan, 0.5, 0.5)]
    with pytest.raises(AnalysisError) as err:
        Grid(_part(rows, [[1.0, 2.0, 3.0]]), GRATING)
    assert str(err.value) == ("stimulus set 'lum': parameter 'contrast' varies (2 values) but this role analyses "
                              "only ['sf_cpd', 'orientation_deg', 'phase_deg']; expected it constant")


@pytest.mark.parametrize("missing", [[(4.0, 90.0, 180.0)], [(1.0, 0.0, 0.0), (4.0, 90.0, 180.0)]])
def test_a_grid_missing_combinations_counts_them(missing):
    """The 3 x 2 x 2 grid without its last cell (the highest level of every parameter), or without its first and
    last cells."""
    cells = [(f, o, p) for f in (1.0, 2.0, 4.0) for o in (0.0, 90.0) for p in (0.0, 180.0) if (f, o, p) not in missing]
    rows = [{"sf_cpd": f, "orientation_deg": o, "phase_deg": p} for f, o, p in cells]
    with pytest.raises(AnalysisError) as err:
        Grid(_part(rows, [np.ones(len(cells))]), GRATING)
    assert str(err.value) == (f"stimulus set 'lum': the sf_cpd x orientation_deg x phase_deg grid (3, 2, 2) misses "
                              f"{len(missing)} of 12 combinations; expected a full grid")
