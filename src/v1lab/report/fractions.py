"""Class fractions of the model beside the macaque fractions, wherever a reference gives a fraction.

The numbers are those of ``comparison.csv``'s proportion rows (``kind == "proportion"``): the model's fraction
``fraction_model`` among its ``n_model`` units (the units the reference's inclusion rule keeps that have a value by
its definition) and the reference's ``fraction_bio`` among its ``n_bio`` cells. Both get a Wilson score 95 %
interval (Wilson 1927) on their own n, computed as :func:`v1lab.population.population_table` does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from statsmodels.stats.proportion import proportion_confint

from v1lab.references import list_references, load_reference
from v1lab.report._save import save_figure
from v1lab.report.figures import short_citation, safe_name
from v1lab.report.labels import words

__all__ = ["fraction_rows", "plot_macaque_fractions"]

_BIO_COLOUR = "0.55"


def _wilson(fraction: float, n: float) -> tuple[float, float]:
    if not (np.isfinite(fraction) and np.isfinite(n) and n > 0):
        return np.nan, np.nan
    lo, hi = proportion_confint(int(round(fraction * n)), int(n), alpha=0.05, method="wilson")
    return float(lo), float(hi)


def fraction_rows(comparison: pd.DataFrame) -> pd.DataFrame:
    """The proportion rows of ``comparison.csv`` with Wilson intervals: ``model, layer, reference, property,
    fraction_model, n_model, model_ci_low, model_ci_high, fraction_bio, n_bio, bio_ci_low, bio_ci_high,
    convention``; empty when the comparison has no proportion reference."""
    cols = ["model", "layer", "reference", "property", "fraction_model", "n_model", "model_ci_low",
            "model_ci_high", "fraction_bio", "n_bio", "bio_ci_low", "bio_ci_high", "convention"]
    if comparison.empty or "kind" not in comparison:
        return pd.DataFrame(columns=cols)
    rows = comparison[comparison["kind"] == "proportion"].copy()
    if rows.empty:
        return pd.DataFrame(columns=cols)
    model_ci = [_wilson(f, n) for f, n in zip(rows["fraction_model"], rows["n_model"])]
    bio_ci = [_wilson(f, n) for f, n in zip(rows["fraction_bio"], rows["n_bio"])]
    rows["model_ci_low"], rows["model_ci_high"] = zip(*model_ci)
    rows["bio_ci_low"], rows["bio_ci_high"] = zip(*bio_ci)
    return rows[cols].reset_index(drop=True)


def plot_macaque_fractions(comparison: pd.DataFrame, out_dir) -> list[Path]:
    """One figure per model (``macaque_fractions_<model>.png`` and ``.pdf``): a panel per proportion reference,
    the macaque fraction (grey) beside each layer's fraction (colours), with Wilson 95 % intervals and each n.

    Returns the PNG paths written (none when ``comparison`` has no proportion reference).
    """
    table = fraction_rows(comparison)
    paths = []
    if table.empty:
        return paths
    shipped = set(list_references())
    for model, rows in table.groupby("model", sort=False):
        refs = list(pd.unique(rows["reference"]))
        layers = list(pd.unique(rows["layer"]))
        palette = sns.color_palette("viridis", len(layers))
        with sns.axes_style("whitegrid"):
            fig = Figure(figsize=(max(4.5, 0.55 * (len(layers) + 1) + 1.2) * min(len(refs), 3),
                                  3.6 * int(np.ceil(len(refs) / 3)) + 0.4), layout="constrained")
            axes = fig.subplots(int(np.ceil(len(refs) / 3)), min(len(refs), 3), squeeze=False).ravel()
            for ax, ref_name in zip(axes, refs):
                sub = rows[rows["reference"] == ref_name].set_index("layer")
                first = sub.iloc[0]
                labels = ["macaque V1"] + layers
                frac = [first["fraction_bio"]] + [sub.loc[lay, "fraction_model"] if lay in sub.index else np.nan
                                                  for lay in layers]
                lo = [first["bio_ci_low"]] + [sub.loc[lay, "model_ci_low"] if lay in sub.index else np.nan
                                              for lay in layers]
                hi = [first["bio_ci_high"]] + [sub.loc[lay, "model_ci_high"] if lay in sub.index else np.nan
                                               for lay in layers]
                n = [first["n_bio"]] + [sub.loc[lay, "n_model"] if lay in sub.index else 0 for lay in layers]
                x = np.arange(len(labels))
                ax.bar(x, np.nan_to_num(np.asarray(frac, float)), 0.7, color=[_BIO_COLOUR, *palette])
                lo, hi = np.asarray(lo, float), np.asarray(hi, float)
                ok = np.isfinite(lo) & np.isfinite(hi)
                ax.vlines(x[ok], lo[ok], hi[ok], color="black", linewidth=1.0)
                ax.set_xticks(x, [f"{lab}\n(n={int(ni)})" for lab, ni in zip(labels, n)], fontsize=8)
                ax.set_ylim(0, 1)
                ax.set_ylabel("fraction of cells or units")
                source = short_citation(load_reference(ref_name)) if ref_name in shipped else ref_name
                ax.set_title(f"{words(first['property'])}, {source}\nconvention: {first['convention']}", fontsize=8)
            for ax in axes[len(refs):]:
                ax.set_visible(False)
            fig.suptitle(f"{model}: fractions beside macaque V1 (Wilson 95 % intervals)", fontsize=10)
        paths.append(save_figure(fig, Path(out_dir) / f"macaque_fractions_{safe_name(model)}.png"))
    return paths
