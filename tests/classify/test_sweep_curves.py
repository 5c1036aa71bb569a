"""Which curve a size or contrast sweep reads: open loop at the (SF, orientation) of the largest amplitude, closed
loop at each unit's own optimum; planted complex-type units (the same response at every phase, so F0 - blank is
the curve and F1 is 0)."""

import itertools

import numpy as np
import pandas as pd
import pytest

from v1lab.characterisation._grid import SetResponses
from v1lab.characterisation.sweeps import analyse_contrast, analyse_size
from v1lab.errors import AnalysisError

PHASES = (0.0, 90.0, 180.0, 270.0)
SIZES = (0.5, 1.0, 2.0)


def _part(name, table, blank, dim):
    """``table``: {(level, sf, orientation): responses of each unit}, shown at every phase."""
    rows, values = [], []
    for (x, sf, ori), r in table.items():
        for phase in PHASES:
            rows.append({dim: x, "sf_cpd": sf, "orientation_deg": ori, "phase_deg": phase})
            values.append(np.asarray(r, dtype=float) + blank)
    return SetResponses(name, np.array(values).T, pd.DataFrame(rows))


def test_open_loop_reads_the_curve_at_the_sf_and_orientation_of_the_largest_amplitude():
    """Unit 0 peaks (3 above its blank) at SF 1, orientation 90 (SF index 0, orientation index 2): SI there is
    (3 - 2) / 3 and GSF 1 deg; at SF 1, orientation 0 its curve is flat. Unit 1 peaks (6) at SF 2, orientation 45."""
    blank = np.array([0.5, 1.0])
    curve0, curve1 = {0.5: 1.0, 1.0: 3.0, 2.0: 2.0}, {0.5: 6.0, 1.0: 3.0, 2.0: 3.0}
    table = {}
    for size, sf, ori in itertools.product(SIZES, (1.0, 2.0), (0.0, 45.0, 90.0)):
        r0 = curve0[size] if (sf, ori) == (1.0, 90.0) else 0.4
        r1 = curve1[size] if (sf, ori) == (2.0, 45.0) else 0.2
        table[(size, sf, ori)] = (r0, r1)
    out = analyse_size(_part("sizes", table, blank, "size_deg"), blank)
    np.testing.assert_allclose(out.fits["size_rog"].curves, [[1.0, 3.0, 2.0], [6.0, 3.0, 3.0]], atol=1e-12)
    np.testing.assert_allclose(out.columns["surround_suppression_index"], [1 / 3, 1 / 2], atol=1e-12)
    np.testing.assert_allclose(out.columns["gsf_deg"], [1.0, 0.5])
    np.testing.assert_allclose(out.columns["size_peak_amplitude"], [3.0, 6.0], atol=1e-12)


def test_two_sizes_give_an_index_and_one_size_gives_only_the_peak():
    """Curve (2, 1) at 0.5 and 1 deg: SI (2 - 1) / 2, GSF 0.5 deg; at one size the index and GSF are undefined."""
    table = {(0.5, 2.0, 0.0): (2.0,), (1.0, 2.0, 0.0): (1.0,)}
    two = analyse_size(_part("sizes", table, np.zeros(1), "size_deg"), np.zeros(1)).columns
    assert two.loc[0, "surround_suppression_index"] == pytest.approx(0.5)
    assert two.loc[0, "gsf_deg"] == 0.5 and two.loc[0, "size_peak_amplitude"] == pytest.approx(2.0)
    one = analyse_size(_part("sizes", {(1.0, 2.0, 0.0): (1.5,)}, np.zeros(1), "size_deg"), np.zeros(1)).columns
    assert list(one.columns) == ["surround_suppression_index", "gsf_deg", "size_peak_amplitude"]
    assert np.isnan(one.loc[0, "surround_suppression_index"]) and np.isnan(one.loc[0, "gsf_deg"])
    assert one.loc[0, "size_peak_amplitude"] == pytest.approx(1.5)


OPTIMA = pd.DataFrame({"closed_loop_orientation_deg": [0.0, 90.0, np.nan],
                       "closed_loop_sf_cpd": [2.0, 2.0, np.nan]})


def test_closed_loop_contrast_curves_are_read_at_each_units_own_optimum():
    """The set is shown at orientations 0 and 90: unit 0 (optimum 0) answers c there and 2c at 90, unit 1
    (optimum 90) 3c at 90 and 0 at 0; unit 2 has no optimum. Open loop would give unit 0 its 2c curve."""
    contrasts = (0.1, 0.5, 1.0)
    table = {(c, 2.0, ori): ((c, 0.0, c) if ori == 0.0 else (2 * c, 3 * c, c))
             for c in contrasts for ori in (0.0, 90.0)}
    part = _part("contrasts", table, np.zeros(3), "contrast")
    result = analyse_contrast(part, np.zeros(3), OPTIMA)
    assert result.columns.index.tolist() == [0, 1, 2] and result.columns.empty
    np.testing.assert_allclose(result.fits["contrast_nr"].curves, [contrasts, 3 * np.array(contrasts),
                                                                   [np.nan] * 3], atol=1e-12)
    np.testing.assert_array_equal(result.fits["contrast_nr"].x, contrasts)


def test_a_closed_loop_grid_missing_a_stimulus_names_its_set():
    table = {(s, 2.0, ori): (1.0, 1.0, 1.0) for s in SIZES for ori in (0.0, 90.0)}
    part = _part("sizes", table, np.zeros(3), "size_deg")
    keep = ~((part.params["orientation_deg"] == 90.0) & (part.params["size_deg"] == 2.0)
             & (part.params["phase_deg"] == 0.0)).to_numpy()
    part = SetResponses("sizes", part.values[:, keep], part.params[keep].reset_index(drop=True))
    with pytest.raises(AnalysisError, match="stimulus set 'sizes': the size_deg x phase_deg grid"):
        analyse_size(part, np.zeros(3), OPTIMA)
