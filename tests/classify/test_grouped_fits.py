"""A layer's fits run as one batch per model and grid, and give each curve the fit it gets on its own."""

import numpy as np
import pytest

from v1lab import fits as F
from v1lab.characterise import _run_fits


def test_grouped_fits_equal_fits_one_curve_at_a_time():
    rng = np.random.default_rng(0)
    coarse, fine = np.arange(0.0, 180.0, 30.0), np.arange(0.0, 180.0, 15.0)
    sfs = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
    jobs = []
    for u in range(9):   # interleaved: three orientation grids (two of one length) and an SF grid
        x = (coarse, fine, coarse + 10.0)[u % 3]
        jobs.append(({}, "ori_vm", F.von_mises(x, 0.1, 1.0, 2.0, 20.0 * u) + 0.05 * rng.standard_normal(x.size), x))
        jobs.append(({}, "sf_lg", F.log_gaussian(sfs, 0.0, 1.0, 1.0 + u, 0.8) + 0.05 * rng.standard_normal(6), sfs))
    _run_fits(jobs)
    for row, prefix, curve, x in jobs:
        alone = (F.fit_von_mises if prefix == "ori_vm" else F.fit_log_gaussian)(curve, x).as_row(prefix)
        assert row.keys() == alone.keys()
        for key, value in alone.items():
            if isinstance(value, float):
                assert row[key] == pytest.approx(value, rel=1e-9, abs=1e-12, nan_ok=True), key
            else:
                assert row[key] == value, key
