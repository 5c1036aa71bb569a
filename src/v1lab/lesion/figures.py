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
    axes[0].set_title(f"{layer}: silencing one unit at a time (red: Holm-adjusted McNemar p < 0.05)")
    axes[1].bar(x, single["mean_delta_logp"].to_numpy(), color="tab:blue")
    axes[1].axhline(0, color="k", lw=0.6)
    axes[1].set_ylabel("mean Δ log p(correct) (nats)")
    axes[1].set_xlabel("channel")
    return _save(fig, Path(path))


def plot_null(lesions: pd.DataFrame, path: str | Path) -> Path:
    """Per tested set: histogram of the random-set null (mean Δ log p) with the observed effect marked."""
    tested = lesions[lesions["kind"].isin(["inactive", "class"]) & lesions["null_n"].notna()]
    n = max(1, len(tested))
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, (_, row) in zip(axes.flat, tested.iterrows()):
        null = lesions[(lesions["kind"] == "random") & (lesions["definition"] == row["set_id"])]
        sns.histplot(null["mean_delta_logp"], ax=ax, color="tab:gray", bins=20)
        ax.axvline(row["mean_delta_logp"], color="tab:red", lw=2, label="observed")
        ax.set_title(f"{row['kind']}: {row['definition']} (n={row['n']})\npermutation p={row['perm_p_logp']:.3g}",
                     fontsize=9)
        ax.set_xlabel("mean Δ log p(correct) (nats)")
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(tested):]:
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, Path(path))
