"""Figures of a run: model distributions over the biological ones, class fractions, the score summary.

Every function draws with matplotlib's object API (no ``pyplot`` state, Agg canvas) in a seaborn style,
writes each figure as a PNG at 150 dpi and as a PDF beside it (:func:`v1lab.report._save.save_figure`, atomically)
and returns the PNG paths written. Axis labels are words with units (:mod:`v1lab.report.labels`).
The numbers drawn come from the run's tables: ``comparison.csv`` (scores and their bootstrap intervals),
``population.csv`` (class fractions and Wilson intervals) and, for the histograms, ``units.csv`` binned on
each reference's own bin edges with :func:`v1lab.population.model_values` (the units the comparison used).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from v1lab.population import model_values
from v1lab.references import Reference, list_references, load_reference
from v1lab.report._save import DPI, save_figure
from v1lab.report.labels import axis_label, words

__all__ = ["DPI", "plot_reference_distributions", "plot_class_fractions", "plot_score_heatmap",
           "plot_ppd_sensitivity", "safe_name", "short_citation"]

_STYLE = "whitegrid"
_BIO_COLOUR = "0.65"
_FRACTION = re.compile(r"^(?P<quantity>[^=]+)=(?P<level>.+)\.fraction$")
_FLAG_PANEL = "flags"


def safe_name(*parts: str) -> str:
    """A file-name stem from ``parts``: characters other than letters, digits, ``-`` and ``.`` become ``_``."""
    return "_".join(re.sub(r"[^A-Za-z0-9.-]+", "_", str(p)).strip("_") for p in parts)


def short_citation(ref: Reference) -> str:
    """``Ringach et al. 2002``: the first author's surname, ``et al.`` or the second surname, the year."""
    names = [re.sub(r"\s+(?:[A-Z]\.-?)+$", "", a.strip()) for a in ref.citation.authors.split(",")]
    who = names[0] + (f" & {names[1]}" if len(names) == 2 else " et al." if len(names) > 2 else "")
    return f"{who} {ref.citation.year}"


def _fmt(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.2f}"


def _distribution_panel(ax, ref: Reference, values: np.ndarray, row: pd.Series, colour) -> None:
    counts = ref.histogram(values)
    ax.stairs(ref.probabilities, ref.bin_edges, fill=True, color=_BIO_COLOUR, alpha=0.8,
              label=f"macaque V1 (n={ref.n})")
    if counts.sum():
        ax.stairs(counts / counts.sum(), ref.bin_edges, color=colour, linewidth=2.0,
                  label=f"model (n={int(counts.sum())})")
    if ref.kind == "proportion":
        ax.set_xticks([0.25, 0.75], ["no", "yes"])
        ax.set_xlabel(words(ref.property))
    else:
        if ref.bin_scale == "log2":
            ax.set_xscale("log", base=2)
        ax.set_xlabel(axis_label(ref.property, unit=ref.unit, log=ref.bin_scale == "log2"))
    ax.set_xlim(ref.bin_edges[0], ref.bin_edges[-1])
    ax.set_ylabel("fraction of cells or units")
    score = (f"S = {_fmt(row['similarity'])} [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"
             if counts.sum() else "no eligible units")
    ax.set_title(f"{short_citation(ref)}\n"
                 f"model n={int(counts.sum())}, V1 n={ref.n}; {score}", fontsize=8)
    ax.legend(fontsize=7, loc="best", frameon=False)


def plot_reference_distributions(units: pd.DataFrame, comparison: pd.DataFrame, out_dir) -> list[Path]:
    """One PNG per model layer: a panel per reference of ``comparison``, model histogram over the biological one.

    Both histograms are on the reference's own bin edges (values beyond them clipped into the end bins, as
    the comparison does), drawn as probabilities; the biological one filled grey, the model one as a
    coloured outline. Each panel's title gives both n and the bootstrap similarity
    :math:`S = 1 - KS/KS_{max}` with its percentile interval from ``comparison.csv`` (Marques, Schrimpf &
    DiCarlo 2021). References not shipped with this v1lab are skipped.

    Returns the paths written (``distributions_<model>_<layer>.png``), in table order.
    """
    shipped = set(list_references())
    rows = comparison[comparison["reference"].isin(shipped)] if len(comparison) else comparison
    paths = []
    if rows.empty:
        return paths
    refs = {name: load_reference(name) for name in pd.unique(rows["reference"])}
    colour = sns.color_palette("deep")[0]
    for (model, layer), group in rows.groupby(["model", "layer"], sort=False):
        layer_units = units[(units["model"].astype(str) == str(model)) & (units["layer"].astype(str) == str(layer))]
        ncols = min(4, len(group))
        nrows = math.ceil(len(group) / ncols)
        with sns.axes_style(_STYLE):
            width, height = 3.8 * ncols, 3.3 * nrows + 0.4
            fig = Figure(figsize=(width, height))
            # fixed margins in inches: constrained layout would cost about 40 % of the drawing time here
            fig.subplots_adjust(left=0.7 / width, right=1 - 0.15 / width, bottom=0.55 / height,
                                top=1 - 0.75 / height, wspace=0.32, hspace=0.62)
            axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
            for ax, (_, row) in zip(axes, group.iterrows()):
                ref = refs[row["reference"]]
                _distribution_panel(ax, ref, model_values(layer_units, ref), row, colour)
            for ax in axes[len(group):]:
                ax.set_visible(False)
            fig.suptitle(f"{model} - {layer}: model vs macaque V1")
        paths.append(save_figure(fig, Path(out_dir) / f"distributions_{safe_name(model, layer)}.png"))
    return paths


def _fraction_columns(population: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Panels of class fractions: ``{panel: [(quantity, level), ...]}`` from ``<q>=<level>.fraction`` columns.

    The level ``unresponsive`` of a class label is left out: labels are counted over responsive units."""
    panels: dict[str, list[tuple[str, str]]] = {}
    for col in population.columns:
        m = _FRACTION.match(col)
        if m and m["level"] != "unresponsive":
            q, level = m["quantity"], m["level"]
            panels.setdefault(_FLAG_PANEL if level == "True" else q, []).append((q, level))
    return panels


def plot_class_fractions(population: pd.DataFrame, out_dir) -> list[Path]:
    """One PNG per model: the fraction of units in each class, per layer, with Wilson 95 % intervals.

    Read from ``population.csv`` (``<class>=<level>.fraction``, ``.ci_low``, ``.ci_high``; Wilson 1927,
    as computed by :func:`v1lab.population.population_table`). Panels: the yes/no classes (``responsive``
    over all units, the others over responsive units), then one panel per categorical class column, over
    responsive units (so without the ``unresponsive`` label).

    Returns the paths written (``class_fractions_<model>.png``).
    """
    panels = _fraction_columns(population)
    paths = []
    if not panels or population.empty:
        return paths
    for model, pop in population.groupby("model", sort=False):
        layers = list(pop["layer"].astype(str))
        palette = sns.color_palette("viridis", len(layers))
        with sns.axes_style(_STYLE):
            fig = Figure(figsize=(max(6.0, 1.1 * max(len(v) for v in panels.values()) * (1 + 0.15 * len(layers))),
                                  2.9 * len(panels) + 0.4), layout="constrained")
            axes = fig.subplots(len(panels), 1, squeeze=False).ravel()
            width = 0.8 / len(layers)
            for ax, (panel, classes) in zip(axes, panels.items()):
                x = np.arange(len(classes))
                for i, (layer, (_, row)) in enumerate(zip(layers, pop.iterrows())):
                    frac = np.array([row[f"{q}={lv}.fraction"] for q, lv in classes], dtype=float)
                    lo = np.array([row[f"{q}={lv}.ci_low"] for q, lv in classes], dtype=float)
                    hi = np.array([row[f"{q}={lv}.ci_high"] for q, lv in classes], dtype=float)
                    pos = x + (i - (len(layers) - 1) / 2) * width
                    ax.bar(pos, np.nan_to_num(frac), width, color=palette[i], label=layer)
                    ok = np.isfinite(lo) & np.isfinite(hi)  # no interval where the layer has no units to count
                    ax.vlines(pos[ok], lo[ok], hi[ok], color="black", linewidth=0.9)
                ax.set_xticks(x, [words(q) if panel == _FLAG_PANEL else lv for q, lv in classes],
                              rotation=20, ha="right", fontsize=8)
                ax.set_ylim(0, 1)
                ax.set_ylabel("fraction of units")
                ax.set_title("yes/no classes (responsive: of all units; others: of responsive units)"
                             if panel == _FLAG_PANEL else f"{words(panel)} (of responsive units)", fontsize=9)
            axes[0].legend(title="layer", fontsize=7, title_fontsize=7, frameon=False,
                           loc="upper left", bbox_to_anchor=(1.0, 1.0))
            fig.suptitle(f"{model}: class fractions with Wilson 95 % intervals")
        paths.append(save_figure(fig, Path(out_dir) / f"class_fractions_{safe_name(model)}.png"))
    return paths


def plot_score_heatmap(comparison: pd.DataFrame, out_dir) -> list[Path]:
    """One PNG per model: normalised similarity (score / ceiling) of each layer (rows) to each reference.

    Values are ``normalised_score`` from ``comparison.csv`` (Brain-Score's ceiled score, Marques et al.
    2021); blank cells are references a layer has no eligible units for. Returns the paths written
    (``scores_<model>.png``).
    """
    paths = []
    if comparison.empty:
        return paths
    for model, comp in comparison.groupby("model", sort=False):
        grid = comp.pivot_table(index="layer", columns="reference", values="normalised_score", sort=False,
                                dropna=False)
        grid = grid.reindex(index=pd.unique(comp["layer"]), columns=pd.unique(comp["reference"]))
        vmax = max(1.0, float(np.nanmax(grid.to_numpy()))) if np.isfinite(grid.to_numpy()).any() else 1.0
        with sns.axes_style("white"):
            fig = Figure(figsize=(2.0 + 0.75 * grid.shape[1], 2.8 + 0.45 * grid.shape[0]), layout="constrained")
            ax = fig.subplots()
            sns.heatmap(grid.astype(float), ax=ax, vmin=0.0, vmax=vmax, cmap="viridis", annot=True, fmt=".2f",
                        annot_kws={"fontsize": 7}, cbar_kws={"label": "normalised score"}, linewidths=0.5)
            ax.set_xlabel("macaque V1 reference")
            ax.set_ylabel("layer")
            for label in ax.get_xticklabels():
                label.set(rotation=45, ha="right", rotation_mode="anchor", fontsize=7)
            ax.tick_params(axis="y", labelrotation=0, labelsize=8)
            ax.set_title(f"{model}: similarity to macaque V1 / reference ceiling", fontsize=9)
        paths.append(save_figure(fig, Path(out_dir) / f"scores_{safe_name(model)}.png"))
    return paths


def plot_ppd_sensitivity(table: pd.DataFrame, out_dir) -> list[Path]:
    """Similarity (bootstrap mean and 95 % interval) against the assumed pixels per degree, one panel per
    reference in cycles/deg and one line per layer (``figures/ppd_sensitivity_<model>.png``, from
    ``ppd_sensitivity.csv``); the run's own value is marked."""
    if table.empty:
        return []
    paths = []
    for model, rows in table.groupby("model", sort=False):
        refs = list(pd.unique(rows["reference"]))
        with sns.axes_style(_STYLE):
            fig = Figure(figsize=(4.2 * len(refs), 3.4), layout="constrained")
            axes = np.atleast_1d(fig.subplots(1, len(refs), squeeze=False)[0])
            palette = sns.color_palette("viridis", n_colors=rows["layer"].nunique())
            for ax, ref_name in zip(axes, refs):
                sub = rows[rows["reference"] == ref_name]
                for colour, (layer, g) in zip(palette, sub.groupby("layer", sort=False)):
                    g = g.sort_values("ppd")
                    ax.plot(g["ppd"], g["similarity"], marker="o", color=colour, label=str(layer))
                    ax.fill_between(g["ppd"], g["ci_low"], g["ci_high"], color=colour, alpha=0.15, linewidth=0)
                used = sub.loc[sub["in_use"].astype(bool), "ppd"]
                if len(used):
                    ax.axvline(float(used.iloc[0]), color="0.3", linestyle=":", linewidth=1)
                ax.set_xscale("log", base=2)
                ax.set_xlabel("assumed pixels per degree (pixels/deg, log scale)")
                ax.set_ylabel("similarity to macaque V1 (S)")
                ax.set_ylim(0, 1)
                ax.set_title(short_citation(load_reference(ref_name)) + f"\n{ref_name}", fontsize=9)
            axes[-1].legend(title="layer", fontsize=8, frameon=False)
            paths.append(save_figure(fig, Path(out_dir) / f"ppd_sensitivity_{safe_name(model)}.png"))
    return paths
