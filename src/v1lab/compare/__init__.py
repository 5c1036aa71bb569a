"""Compare runs of one protocol on different models, checkpoints or seeds (``v1lab compare``); see docs/compare.md.

* :mod:`v1lab.compare.stats`: class-fraction and metric-distribution tests between groups of units, Holm across all;
* :func:`compare_models` -> :class:`Comparison`: the runs' units matched layer by layer, the tests and the
  most-V1-like ranking; :func:`write_comparison` writes the tables, the figures and the HTML report.
"""

from v1lab.compare.report import TABLES, write_comparison
from v1lab.compare.runs import Comparison, compare_models, run_label
from v1lab.compare.stats import TEST_COLUMNS, fraction_tests, holm, metric_tests, metric_values

__all__ = ["Comparison", "compare_models", "run_label", "write_comparison", "TABLES", "TEST_COLUMNS",
           "fraction_tests", "holm", "metric_tests", "metric_values"]
