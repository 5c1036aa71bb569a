"""Compare runs of one protocol on different models, checkpoints or seeds (``v1lab compare``); see docs/compare.md.

* :mod:`v1lab.compare.stats`: class-fraction and metric-distribution tests between groups of units, Holm across all;
* :func:`compare_runs_of_protocol` -> :class:`Comparison`: the runs' units matched layer by layer, the tests, the
  most-V1-like ranking; :func:`write_comparison` writes the tables and the HTML report.
"""

from v1lab.compare.stats import TEST_COLUMNS, fraction_tests, holm, metric_tests, metric_values

__all__ = ["TEST_COLUMNS", "fraction_tests", "holm", "metric_tests", "metric_values"]
