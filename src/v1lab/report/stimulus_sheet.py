"""A sheet of example stimuli of the run, and the receptive-field size of each layer in pixels and degrees.

The stimuli are redrawn from the parameters of record: each set's stimulus coordinates in the responses
(:func:`v1lab.recording.stimulus_table`) are turned back into a stimulus set of the family whose parameters they
are (:func:`stimulus_set_from_dict`; the narrowest family that accepts them), so closed-loop sets show the
gratings each unit was shown, and nothing depends on the stimulus files still being where the protocol found them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from v1lab.errors import V1labError
from v1lab.recording import stimulus_table
from v1lab.report._save import save_figure
from v1lab.report.labels import unit_of, words
from v1lab.stimuli import FAMILIES, Geometry, StimulusSet, stimulus_set_from_dict

__all__ = ["example_stimuli", "plot_stimulus_sheet", "receptive_field_table"]

_COLOUR = ("contrast", "mean_luminance", "color_direction")
_OWN = {name for params in FAMILIES.values() for name in params}
_FIRST = ("color_direction", "size_deg", "contrast")   # named first in a title: what closed-loop sets vary
_TITLE_WORDS = {"sf_cpd": "", "phase_deg": "phase", "color_direction": "colour"}  # short, beside their units


def _missing(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _family(table: pd.DataFrame, rows: list[dict], name: str, ppd: float) -> StimulusSet | None:
    present = {c for c in table.columns if c in _OWN}
    for family in sorted(FAMILIES, key=lambda f: len(FAMILIES[f])):
        if not present <= set(FAMILIES[family]):
            continue
        keep = set(FAMILIES[family]) | set(_COLOUR)
        grid = [{k: [v] for k, v in row.items() if k in keep and not _missing(v)} for row in rows]
        try:
            return stimulus_set_from_dict({"name": name, "family": family, "grid": grid, "ppd": ppd})
        except V1labError:
            continue
    return None


def example_stimuli(responses, per_set: int = 6) -> list[tuple[str, StimulusSet, pd.DataFrame]]:
    """Per stimulus set of ``responses`` (in recording order): its name, up to ``per_set`` of its stimuli (evenly
    spaced through the set) rebuilt as a :class:`StimulusSet`, and their recorded parameters. Sets whose
    parameters no family accepts are left out."""
    out = []
    for name in pd.unique(np.asarray(responses["set"].values)):
        table = stimulus_table(responses, str(name))
        ppd = float(table["ppd"].iloc[0]) if "ppd" in table else float(responses.attrs.get("ppd", 28.0))
        picked = table.iloc[np.unique(np.linspace(0, len(table) - 1, min(per_set, len(table))).round().astype(int))]
        stim = _family(table, picked.to_dict("records"), str(name), ppd)
        if stim is not None:
            out.append((str(name), stim, picked))
    return out


def _title(row: pd.Series, varying: list[str]) -> str:
    parts = []
    for c in varying[:3]:
        v = row[c]
        if _missing(v):
            continue
        text = f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)
        parts.append(f"{_TITLE_WORDS.get(c, words(c))} {text} {unit_of(c)}".strip())
    return "\n".join(parts)


def plot_stimulus_sheet(responses, out_dir, *, rf_px: dict[str, float] | None = None, per_set: int = 6,
                        size_px: int | None = None) -> Path | None:
    """Draw ``per_set`` stimuli of every set of ``responses`` (``stimulus_sheet.png``, ``.pdf``), on a canvas of
    ``size_px`` pixels (default: 1.25 times the largest receptive field of ``rf_px``, between 64 and 224),
    each layer's receptive field outlined (dashed); titles name what varies within the set, in words with units.
    """
    sets = example_stimuli(responses, per_set)
    if not sets:
        return None
    rf_px = rf_px or {}
    size_px = size_px or int(np.clip(1.25 * max(rf_px.values(), default=0.0), 64, 224))
    ncols = max(len(picked) for _, _, picked in sets)
    width, height = 1.55 * ncols + 0.9, 1.8 * len(sets) + 1.3
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.8 / width, right=1 - 0.1 / width, bottom=0.6 / height, top=1 - 0.95 / height,
                        wspace=0.08, hspace=0.55)   # fixed margins: constrained layout costs a third of the time
    axes = fig.subplots(len(sets), ncols, squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_frame_on(False)
    for i, (name, stim, picked) in enumerate(sets):
        table = stimulus_table(responses, name)
        varying = sorted((c for c in table.columns if c in _OWN | {"color_direction", "contrast"}
                          and table[c].astype(str).nunique() > 1), key=lambda c: c not in _FIRST)
        images = stim.render(Geometry.centred(size_px, stim.ppd)).permute(0, 2, 3, 1).numpy()
        for j, (image, (_, row)) in enumerate(zip(images, picked.iterrows())):
            ax = axes[i, j]
            ax.imshow(image, interpolation="nearest")
            for k, (layer, px) in enumerate(rf_px.items()):
                if 0 < px < size_px:
                    corner = (size_px - px) / 2 - 0.5
                    ax.add_patch(Rectangle((corner, corner), px, px, fill=False, linestyle="--", linewidth=0.8,
                                           edgecolor=f"C{k}", label=f"{layer}: {px:g} px"))
            ax.set_title(_title(row, varying), fontsize=6.5)
        axes[i, 0].set_ylabel(f"{name}\n({stim.family}, {int((responses['set'].values == name).sum())} stimuli)",
                              fontsize=7.5)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, title="receptive field", loc="lower center", ncols=len(handles),
                   fontsize=7, title_fontsize=7, frameon=False)
    fig.suptitle(f"Example stimuli, {size_px} px = {size_px / sets[0][1].ppd:.2g} deg at "
                 f"{sets[0][1].ppd:g} pixels/deg", fontsize=9)
    return save_figure(fig, Path(out_dir) / "stimulus_sheet.png")


def _pair(value) -> str:
    values = np.atleast_1d(np.asarray(value, dtype=float))
    return " x ".join(f"{v:g}" for v in values) if values.size else ""


def receptive_field_table(attrs: dict[str, dict]) -> pd.DataFrame:
    """One row per layer from its responses' attributes: module, response, receptive field in pixels and degrees
    (height x width), stride between neighbouring units and the crop the recorder showed the layer."""
    rows = []
    for layer, a in attrs.items():
        crop = np.asarray(a.get("crop_box_px", []), dtype=float)
        rows.append({"layer": layer, "module": a.get("module", ""), "response": a.get("response", ""),
                     "receptive field (pixels)": _pair(a.get("rf_size_px", [])),
                     "receptive field (deg)": _pair(np.round(np.asarray(a.get("rf_size_deg", []), float), 4)),
                     "stride between units (pixels)": _pair(a.get("rf_jump_px", [])),
                     "recorded crop (pixels)": _pair([crop[1] - crop[0], crop[3] - crop[2]]) if crop.size == 4 else "",
                     "pixels per degree": a.get("ppd", "")})
    return pd.DataFrame(rows)
