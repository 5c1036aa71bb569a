"""Figures of a comparison of runs: class fractions, overlaid metric distributions with the macaque reference, scores.

Drawn with matplotlib's object API (Agg canvas, no ``pyplot`` state); each figure is written as PNG (embedded in the
report) and PDF (linked from it), atomically, as a run's report writes them. Distributions of a metric that a shipped
reference describes are drawn on the reference's own bins, each run's values taken by the reference's declared
convention (:func:`v1lab.population.model_values`), with the macaque distribution filled grey, as in a run's report;
other metrics on bins shared by the runs.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from v1lab.compare.stats import metric_values
from v1lab.population import model_values, population_long
from v1lab.references import list_references, load_reference
from v1lab.report import save_figure as _save
from v1lab.units import METRIC_COLUMNS, column

__all__ = ["FRACTIONS", "plot_fractions", "plot_metric", "plot_scores", "reference_for", "save_figure"]

#: Class fractions drawn, as (quantity, level) of ``population_long``.
FRACTIONS = (("responsive", "True"), ("orientation_selective", "True"), ("simple", "True"),
             ("color_class", "luminance"), ("color_class", "colour-luminance"), ("color_class", "colour-preferring"),
             ("single_opponent", "True"), ("double_opponent", "True"))


def save_figure(fig: Figure, out_dir, stem: str) -> Path:
    """Write ``<stem>.png`` and ``<stem>.pdf`` into ``out_dir``; returns the PNG's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return _save(fig, out_dir / f"{stem}.png", dpi=120)


def _palette(labels) -> dict:
    return dict(zip(labels, sns.color_palette("deep", len(labels))))


def _grid(n: int, *, width=3.6, height=3.0, ncols=4) -> tuple[Figure, np.ndarray]:
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(width * ncols, height * nrows + 0.6))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes


def plot_fractions(comparison, out_dir) -> Path:
    """Class fractions per layer (x) and run (colour) with Wilson 95 % intervals, one panel per class."""
    long = population_long(comparison.units)
    wide = long.pivot_table(index=["model", "layer", "quantity", "level"], columns="statistic", values="value",
                            sort=False).reset_index()
    found = [(q, lv) for q, lv in FRACTIONS if ((wide["quantity"] == q) & (wide["level"] == lv)).any()]
    colours, layers = _palette(comparison.labels), comparison.layers
    with sns.axes_style("whitegrid"):
        fig, axes = _grid(max(len(found), 1))
        for ax, (q, lv) in zip(axes, found):
            rows = wide[(wide["quantity"] == q) & (wide["level"] == lv)]
            for i, label in enumerate(comparison.labels):
                r = rows[rows["model"] == label].set_index("layer").reindex(layers)
                x = np.arange(len(layers)) + (i - (len(comparison.labels) - 1) / 2) * 0.12
                err = np.vstack([r["fraction"] - r["ci_low"], r["ci_high"] - r["fraction"]])
                ax.errorbar(x, r["fraction"], yerr=err, fmt="o", ms=4, color=colours[label], label=label, lw=1)
            ax.set_xticks(np.arange(len(layers)), layers, rotation=45, ha="right", fontsize=7)
            ax.set_ylim(-0.02, 1.02)
            ax.set_title(q if lv == "True" else f"{q} = {lv}", fontsize=9)
        axes[0].legend(fontsize=7, frameon=False)
        fig.suptitle("Class fractions (responsive: of all units; others: of responsive units), Wilson 95 % CI")
        fig.tight_layout()
    return save_figure(fig, out_dir, "fractions")


def reference_for(metric: str):
    """The first shipped macaque distribution reference whose model column is ``metric`` (None if there is none)."""
    return next((r for r in map(load_reference, list_references())
                 if r.kind == "distribution" and r.convention.get("model_column") == metric), None)


def plot_metric(comparison, metric: str, out_dir) -> Path | None:
    """One panel per layer: each run's distribution of ``metric`` over the macaque reference where one exists."""
    ref = reference_for(metric)
    colours = _palette(comparison.labels)
    values = {}
    for layer in comparison.layers:
        for label in comparison.labels:
            g = comparison.units[(comparison.units["model"] == label) & (comparison.units["layer"] == layer)]
            values[layer, label] = model_values(g, ref) if ref is not None else metric_values(g, metric)
    if not any(v.size for v in values.values()):
        return None
    edges = ref.bin_edges if ref is not None else _shared_bins(np.concatenate(list(values.values())))
    with sns.axes_style("whitegrid"):
        fig, axes = _grid(len(comparison.layers))
        for ax, layer in zip(axes, comparison.layers):
            if ref is not None:
                ax.stairs(ref.probabilities, edges, fill=True, color="0.7", label=f"macaque V1 (n={ref.n})")
            for label in comparison.labels:
                x = values[layer, label]
                counts = ref.histogram(x) if ref is not None else np.histogram(np.clip(x, edges[0], edges[-1]),
                                                                               edges)[0]
                if counts.sum():
                    ax.stairs(counts / counts.sum(), edges, color=colours[label], lw=1.8,
                              label=f"{label} (n={int(counts.sum())})")
            if ref is not None and ref.bin_scale == "log2":
                ax.set_xscale("log", base=2)
            ax.set_title(layer, fontsize=9)
            ax.set_ylabel("probability", fontsize=8)
            ax.legend(fontsize=6, frameon=False)
        unit = column(metric).unit
        source = f"; reference {ref.name} (its bins and convention)" if ref is not None else ""
        fig.suptitle(f"{metric}" + (f" ({unit})" if unit not in ("", "1") else "") + source, fontsize=10)
        fig.tight_layout()
    return save_figure(fig, out_dir, f"distribution_{metric}")


def _shared_bins(x: np.ndarray, n: int = 20) -> np.ndarray:
    x = x[np.isfinite(x)]
    lo, hi = (np.percentile(x, [1, 99]) if x.size else (0.0, 1.0))
    return np.linspace(lo, hi if hi > lo else lo + 1.0, n + 1)


def plot_scores(comparison, out_dir) -> Path | None:
    """Mean normalised score over the common references per layer, one line per run."""
    s = comparison.scores
    if s is None or s.empty:
        return None
    colours = _palette(comparison.labels)
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=(6.5, 3.8))
        ax = fig.subplots()
        x = np.arange(len(comparison.layers))
        for label in comparison.labels:
            r = s[s["model"] == label].set_index("layer").reindex(comparison.layers)
            ax.plot(x, r["mean_score"], "o-", color=colours[label], label=label)
        ax.set_xticks(x, comparison.layers, rotation=30, ha="right")
        ax.set_ylabel("mean normalised score")
        ax.set_title("How V1-like each layer is (references common to all runs)", fontsize=10)
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
    return save_figure(fig, out_dir, "scores")


def metrics_to_plot(units: pd.DataFrame) -> list[str]:
    """The summarised metrics present in ``units`` with at least one finite value."""
    return [m for m in METRIC_COLUMNS if m in units and pd.to_numeric(units[m], errors="coerce").notna().any()]
