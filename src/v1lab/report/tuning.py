"""Example tuning curves with their fits: a representative unit of each cell class in each layer.

**Which unit.** Among the layer's responsive units of one ``cell_class``, each unit's score is the mean R^2 of
its successful fits (``<prefix>_r2`` where ``<prefix>_status`` is ``ok``); the example is the unit of median
score (the lower median), neither the best nor the worst fit. A class whose units have no successful fit
shows the unit of median ``peak_response_above_blank``.

**What is drawn.** The measured curves are those the analysers used (:func:`v1lab.characterisation.tuning_curves`,
taken from the run's responses); the fitted curve is the units table's fit (``<prefix>_<param>``) evaluated
with the model function of :data:`v1lab.units.FIT_PREFIXES`. The chromatic SF curve is not fitted. The numbers
drawn are also written as ``tuning_examples_<model>_<layer>.csv`` beside the figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from v1lab.characterisation import AnalysisRoles, tuning_curves
from v1lab.report._save import save_figure
from v1lab.runs.atomic import atomic_path
from v1lab.report.figures import safe_name
from v1lab.report.labels import RESPONSE_LABEL, axis_label
from v1lab.units import FIT_PREFIXES, flag

__all__ = ["PANELS", "representative_units", "plot_tuning_examples"]

#: Curve -> (title, x parameter, log x axis, y label), in the order of the figure's columns.
PANELS = {
    "orientation": ("orientation, F0 at the optimal SF", "orientation_deg", False, "F0 " + RESPONSE_LABEL),
    "spatial_frequency": ("SF, larger of F0 - blank and F1", "sf_cpd", True, RESPONSE_LABEL),
    "size": ("aperture size at the unit's optimum", "size_deg", True, RESPONSE_LABEL),
    "contrast": ("contrast at the unit's optimum", "contrast", True, RESPONSE_LABEL),
    "chromatic_spatial_frequency": ("isoluminant SF (not fitted)", "sf_cpd", True, RESPONSE_LABEL),
}
_NOT_SHOWN = ("unresponsive",)
#: Rows of the figure: luminance classes first, then the colour classes.
_ORDER = ("simple", "complex", "non-oriented", "single-opponent", "double-opponent", "unclassified")


def _score(rows: pd.DataFrame) -> pd.Series:
    r2 = []
    for prefix in FIT_PREFIXES:
        if f"{prefix}_r2" in rows:
            ok = rows[f"{prefix}_status"].astype("string").eq("ok").fillna(False).to_numpy(bool)
            r2.append(np.where(ok, rows[f"{prefix}_r2"].to_numpy(float), np.nan))
    if not r2:
        return pd.Series(np.nan, index=rows.index)
    with np.errstate(all="ignore"):
        stacked = np.vstack(r2)
        counts = np.isfinite(stacked).sum(axis=0)
        mean = np.where(counts > 0, np.nansum(stacked, axis=0) / np.maximum(counts, 1), np.nan)
    return pd.Series(mean, index=rows.index)


def representative_units(units: pd.DataFrame) -> pd.DataFrame:
    """One row of ``units`` per (model, layer, responsive ``cell_class``): the unit of median fit score (module
    docstring), with a ``score`` column; layers in table order, classes in the order simple, complex,
    non-oriented, single-opponent, double-opponent, unclassified."""
    picked = []
    live = units[flag(units["responsive"]).to_numpy(bool) & units["cell_class"].notna()
                 & ~units["cell_class"].astype(str).isin(_NOT_SHOWN)]
    for _, group in live.groupby(["model", "layer", "cell_class"], sort=False):
        score = _score(group)
        finite = score.dropna().sort_values(kind="stable")
        if len(finite):
            index = finite.index[(len(finite) - 1) // 2]
        else:
            peak = group["peak_response_above_blank"].astype(float).sort_values(kind="stable")
            index = peak.index[(len(peak) - 1) // 2]
        picked.append(group.loc[[index]].assign(score=score.loc[index]))
    if not picked:
        return units.head(0).assign(score=np.nan)
    out = pd.concat(picked)
    layer = pd.factorize(out["model"].astype(str) + "/" + out["layer"].astype(str))[0]
    rank = out["cell_class"].astype(str).map({c: i for i, c in enumerate(_ORDER)}).fillna(len(_ORDER))
    return out.iloc[np.lexsort((rank.to_numpy(), layer))]


def _fit_curve(row: pd.Series, prefix: str, x: np.ndarray) -> tuple[np.ndarray | None, str]:
    """The fitted curve at ``x`` and a short note (R^2, or why there is no fit)."""
    status = row.get(f"{prefix}_status")
    if pd.isna(status) or str(status) != "ok":
        reason = row.get(f"{prefix}_reason")
        reason = f": {reason}" if isinstance(reason, str) and reason else ""
        text = f"no fit ({status}{reason}"
        return None, (text[:44] + "...)") if len(text) > 45 else text + ")"
    model = FIT_PREFIXES[prefix][0]
    params = [float(row[f"{prefix}_{name}"]) for name in model.names]
    return np.asarray(model.func(x, *params), dtype=float), f"fit R\u00b2 = {float(row[f'{prefix}_r2']):.2f}"


def _fine(x: np.ndarray, log: bool) -> np.ndarray:
    if log and np.all(x > 0):
        return np.geomspace(x.min(), x.max(), 200)
    return np.linspace(x.min(), x.max(), 200)


def plot_tuning_examples(units: pd.DataFrame, responses, roles: AnalysisRoles, out_dir) -> Path | None:
    """Draw the example units of one layer (``responses``: that layer's Dataset) and write the figure
    (``tuning_examples_<model>_<layer>.png``, ``.pdf``) and its numbers (``.csv``).

    Returns the PNG path, or None when the layer has no responsive classified unit or no tuning curve.
    """
    examples = representative_units(units)
    if examples.empty:
        return None
    channels = np.asarray(responses["channel"].values)
    position = {int(c): i for i, c in enumerate(channels)}
    examples = examples[examples["channel"].astype(int).isin(position)]
    curves = tuning_curves(responses, roles, units=[position[int(c)] for c in examples["channel"]])
    kinds = [k for k in PANELS if k in curves and np.isfinite(curves[k].curves).any()]
    if not kinds or examples.empty:
        return None
    model, layer = str(examples["model"].iloc[0]), str(examples["layer"].iloc[0])
    records = []
    with sns.axes_style("whitegrid"):
        width, height = 3.2 * len(kinds) + 0.6, 2.55 * len(examples) + 0.6
        fig = Figure(figsize=(width, height))
        # fixed margins in inches: constrained layout would cost about a third of the drawing time here
        fig.subplots_adjust(left=0.75 / width, right=1 - 0.15 / width, bottom=0.5 / height, top=1 - 1.05 / height,
                            wspace=0.42, hspace=0.95)
        axes = fig.subplots(len(examples), len(kinds), squeeze=False)
        for i, (_, row) in enumerate(examples.iterrows()):
            for j, kind in enumerate(kinds):
                ax, c = axes[i, j], curves[kind]
                title, param, log, ylabel = PANELS[kind]
                y = c.curves[i]
                if not np.isfinite(y).any():
                    ax.text(0.5, 0.5, "not measured\n(no stimuli at this unit's optimum)", ha="center",
                            va="center", fontsize=7, transform=ax.transAxes)
                    ax.set_xticks([]), ax.set_yticks([])
                    continue
                ax.plot(c.x, y, "o", color="black", markersize=3.5, label="measured")
                note = "measured only"
                fit_at_x = np.full(c.x.shape, np.nan)
                if c.key in FIT_PREFIXES:
                    fx = _fine(c.x, log)
                    fitted, note = _fit_curve(row, c.key, fx)
                    if fitted is not None:
                        ax.plot(fx, fitted, color="C0", linewidth=1.5, label="fit")
                        fit_at_x = _fit_curve(row, c.key, c.x)[0]
                if log and np.all(c.x > 0):
                    ax.set_xscale("log", base=2)
                    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
                ax.set_xlabel(axis_label(param, log=log and bool(np.all(c.x > 0))), fontsize=8)
                ax.set_ylabel(ylabel, fontsize=8)
                ax.tick_params(labelsize=7)
                head = f"{title}\n" if i == 0 else ""
                ax.set_title(f"{head}{row['cell_class']}, channel {int(row['channel'])}\n{note}", fontsize=7.5)
                records += [dict(model=model, layer=layer, cell_class=row["cell_class"], channel=int(row["channel"]),
                                 curve=kind, set=c.set_name, x=xv, response=yv, fit=fv)
                            for xv, yv, fv in zip(c.x, y, fit_at_x)]
        fig.suptitle(f"{model} - {layer}: example tuning curves (the unit of median fit R\u00b2 of each class)",
                     fontsize=10)
    path = Path(out_dir) / f"tuning_examples_{safe_name(model, layer)}.png"
    with atomic_path(path.with_suffix(".csv")) as tmp:
        pd.DataFrame(records).to_csv(tmp, index=False)
    return save_figure(fig, path)
