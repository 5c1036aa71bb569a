"""Figures and the self-contained HTML report of a run folder (``v1lab report RUN_DIR``).

:func:`build_report` reads ``manifest.json``, ``protocol.yaml``, the units table and the population tables
(recomputing any that is missing with :mod:`v1lab.population`), the responses and the ``preferred/`` and
``lesion/`` folders when present, draws the figures into ``RUN/figures`` (PNG and PDF) and writes
``RUN/report.html``: one file, figures embedded as data URIs, no external resources. See ``docs/report.md``.
"""

from v1lab.report._methods import metric_definitions, references_used
from v1lab.report._run import TABLES, RunData, read_run_data, selected_references
from v1lab.report._save import save_figure
from v1lab.report._tables import format_value, table_html
from v1lab.report.build import build_report
from v1lab.report.figures import (plot_class_fractions, plot_ppd_sensitivity, plot_reference_distributions,
                                  plot_score_heatmap)
from v1lab.report.fractions import plot_macaque_fractions
from v1lab.report.galleries import plot_filter_labels, plot_gallery_pages
from v1lab.report.labels import axis_label
from v1lab.report.stimulus_sheet import plot_stimulus_sheet, receptive_field_table
from v1lab.report.tuning import plot_tuning_examples, representative_units

__all__ = [
    "build_report", "read_run_data", "RunData", "TABLES", "selected_references",
    "plot_reference_distributions", "plot_class_fractions", "plot_score_heatmap", "plot_ppd_sensitivity",
    "plot_macaque_fractions", "plot_tuning_examples", "representative_units", "plot_stimulus_sheet",
    "receptive_field_table", "plot_gallery_pages", "plot_filter_labels", "axis_label",
    "format_value", "table_html", "metric_definitions", "references_used", "save_figure",
]
