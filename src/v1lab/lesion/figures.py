"""Figures of a lesion experiment (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from v1lab.lesion.null import null_prefix  # noqa: E402
from v1lab.runs.atomic import atomic_path  # noqa: E402

__all__ = ["plot_single_units", "plot_null"]


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


def plot_single_units(single: pd.DataFrame, path: str | Path, *, layer: str) -> Path:
    """Top-1 accuracy change (points, with CI) and mean log-probability change per silenced unit."""
    single = single.sort_values("channel")
    x = single["channel"].to_numpy()
    fig, axes = plt.subplots(2, 1, figsize=(max(6, 0.16 * len(x) + 2), 6), sharex=True)
    d = 100 * single["delta_top1"].to_numpy()
    err = np.vstack([d - 100 * single["delta_top1_ci_low"].to_numpy(), 100 * single["delta_top1_ci_high"].to_numpy() - d])
    significant = single["mcnemar_p_holm"].to_numpy() < 0.05
    axes[0].bar(x, d, color=np.where(significant, "tab:red", "tab:gray"), yerr=err, error_kw={"lw": 0.6})
    axes[0].axhline(0, color="k", lw=0.6)
    axes[0].set_ylabel("Δ top-1 (points)")
    axes[0].set_title(f"{layer}: silencing one unit at a time (red: McNemar p < 0.05, Holm over the run's tests)")
    axes[1].bar(x, single["mean_delta_logp"].to_numpy(), color="tab:blue")
    axes[1].axhline(0, color="k", lw=0.6)
    axes[1].set_ylabel("mean Δ log p(correct) (nats)")
    axes[1].set_xlabel("channel")
    return _save(fig, Path(path))


def plot_null(lesions: pd.DataFrame, path: str | Path) -> Path:
    """Per tested set: histograms of its null sets' mean Δ log p (matched and random-active) with the observed
    effect marked."""
    has_null = [c for c in ("matched_n", "random_active_n") if c in lesions.columns]
    tested = lesions[lesions["kind"].isin(["inactive", "class"]) & lesions[has_null].notna().any(axis=1)]
    n = max(1, len(tested))
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    colours = {"matched": "tab:blue", "random-active": "tab:gray"}
    for ax, (_, row) in zip(axes.flat, tested.iterrows()):
        title = f"{row['kind']}: {row['definition']} (n={row['n']})"
        nulls = lesions[(lesions["kind"] == "random") & (lesions["definition"] == row["set_id"])]
        bins = np.histogram_bin_edges(np.r_[nulls["mean_delta_logp"], row["mean_delta_logp"]], bins=20)
        for null, colour in colours.items():
            null_rows = nulls[nulls["null"] == null]
            if null_rows.empty:
                continue
            prefix = null_prefix(null)
            sns.histplot(null_rows["mean_delta_logp"], ax=ax, color=colour, bins=bins, alpha=0.5,
                         label=f"{null} (p={row[f'{prefix}_p_logp']:.2g}, Holm {row[f'{prefix}_p_logp_holm']:.2g})")
        ax.axvline(row["mean_delta_logp"], color="tab:red", lw=2, label="tested set")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("mean Δ log p(correct) (nats)")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(tested):]:
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, Path(path))
