"""The shared input checks: what they accept on each side of their limits, and the one-line errors naming the
argument at fault."""

import numpy as np
import pytest

from v1lab.errors import AnalysisError
from v1lab.metrics._checks import as_curve, curves, orientation_grid, paired, sorted_unique


def test_as_curve_gives_float64_and_names_the_argument():
    for values in ([1, 2, 3], np.array([1.5, 2.5], dtype=np.float32)):
        assert as_curve(values, "x").dtype == np.float64
    with pytest.raises(AnalysisError, match=r"^`x`: expected a 1-D array, got shape \(2, 2\)$"):
        as_curve([[1.0, 2.0], [3.0, 4.0]], "x")
    with pytest.raises(AnalysisError, match=r"^`x`: expected finite values, got 1 NaN/inf$"):
        as_curve([np.nan, 1.0, 2.0, 3.0], "x")        # one bad value among four: the count is of the bad ones


def test_paired_lengths_and_minimum():
    r, x = paired([2.0], [7.0], "r", "p")                    # one sample is enough by default
    assert r.tolist() == [2.0] and x.tolist() == [7.0]
    with pytest.raises(AnalysisError, match=r"^`r` has 2 samples but `p` has 3; expected the same number$"):
        paired([1.0, 2.0], [0.0, 1.0, 2.0], "r", "p")
    with pytest.raises(AnalysisError, match=r"^`p`: expected at least 2 samples, got 1$"):
        paired([1.0, 2.0], [0.0], "r", "p", min_len=2)


def test_curves_of_one_curve_and_of_a_stack():
    r, x = curves([[1, 2]], [0, 1], "r", "p")
    assert r.dtype == np.float64 and r.shape == (1, 2)
    assert curves([3.0], [0.0], "r", "p")[0].tolist() == [3.0]  # one sample is enough by default
    with pytest.raises(AnalysisError, match=r"^`p`: expected at least 2 samples, got 1$"):
        curves([3.0], [0.0], "r", "p", min_len=2)
    with pytest.raises(AnalysisError, match=r"^`p`: expected finite values"):
        curves([1.0, 2.0], [0.0, np.nan], "r", "p")


@pytest.mark.parametrize("responses, n", [(5.0, 0), ([1.0, 2.0, 3.0], 3), (np.ones((2, 4, 3)), 3),
                                          (np.ones((2, 3)), 3)])
def test_curves_with_the_wrong_number_of_samples_name_both_arguments(responses, n):
    with pytest.raises(AnalysisError, match=rf"^`r` has {n} samples but `p` has 2; expected the same number$"):
        curves(responses, [0.0, 1.0], "r", "p")


def test_curves_count_the_bad_values():
    with pytest.raises(AnalysisError, match=r"^`r`: expected finite values, got 2 NaN/inf$"):
        curves([[1.0, np.nan, np.inf], [1.0, 2.0, 3.0]], [0.0, 1.0, 2.0], "r", "p")


def test_sorted_unique_sorts_and_names_the_argument():
    r, x = sorted_unique([3.0, 1.0, 2.0], [30.0, 10.0, 20.0], "r", "p", min_len=3)
    assert r.tolist() == [1.0, 2.0, 3.0] and x.tolist() == [10.0, 20.0, 30.0]
    with pytest.raises(AnalysisError, match=r"^`r`: expected a 1-D array"):       # one curve unless `stack`
        sorted_unique([[1.0, 2.0], [3.0, 4.0]], [0.0, 1.0], "r", "p", min_len=1)
    r, _ = sorted_unique([[2.0, 1.0], [4.0, 3.0]], [1.0, 0.0], "r", "p", min_len=1, stack=True)
    assert r.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(AnalysisError, match=r"^`r`: expected at least 3 samples, got 2$"):
        sorted_unique([1.0, 2.0], [0.0, 1.0], "r", "p", min_len=3)
    with pytest.raises(AnalysisError, match=r"^`r`: expected finite"):
        sorted_unique([1.0, np.nan], [0.0, 1.0], "r", "p", min_len=1)
    with pytest.raises(AnalysisError, match=r"^`p`: expected finite"):
        sorted_unique([1.0, 2.0], [0.0, np.nan], "r", "p", min_len=1)
    with pytest.raises(AnalysisError, match=r"^`p`: expected distinct values"):
        sorted_unique([1.0, 2.0], [1.0, 1.0], "r", "p", min_len=1)


def test_orientation_grid_needs_three_even_orientations():
    r, theta, step = orientation_grid([1.0, 2.0, 3.0], [120.0, 0.0, 60.0])     # three are enough
    assert theta.tolist() == [0.0, 60.0, 120.0] and r.tolist() == [2.0, 3.0, 1.0] and step == 60.0
    with pytest.raises(AnalysisError, match=r"^`orientations_deg`: expected at least 3 samples, got 2$"):
        orientation_grid([1.0, 2.0], [0.0, 90.0])
    with pytest.raises(AnalysisError, match=r"^`responses`: expected finite"):
        orientation_grid([1.0, np.nan, 2.0], [0.0, 60.0, 120.0])
    with pytest.raises(AnalysisError, match=r"^`orientations_deg`: expected finite"):
        orientation_grid([1.0, 2.0, 3.0], [0.0, np.nan, 120.0])


def test_orientation_grid_tolerance_is_a_micro_degree():
    """3600 orientations 0.05 deg apart: one 1e-6 deg off is accepted, 3e-6 deg off is not (the relative part of
    the tolerance, 1e-5 x 0.05 deg, is smaller there); 0.5 deg off is refused anywhere, and the error shows the
    sorted orientations to 4 decimals."""
    theta = 0.05 * np.arange(3600)
    for off, ok in ((1e-6, True), (3e-6, False)):
        shifted = theta.copy()
        shifted[1] += off
        if ok:
            assert orientation_grid(np.ones(3600), shifted)[2] == pytest.approx(0.05)
        else:
            with pytest.raises(AnalysisError, match="evenly spaced"):
                orientation_grid(np.ones(3600), shifted)
    got = r"got \[0\.0, 30\.0, 60\.5, 90\.0, 120\.0, 150\.0\]$"
    with pytest.raises(AnalysisError, match=r"^`orientations_deg`: expected 6 distinct orientations evenly spaced "
                                            r"over 180 deg \(step 30\), " + got):
        orientation_grid(np.ones(6), [150.00003, 0.0, 30.0, 60.5, 90.0, 120.0])
