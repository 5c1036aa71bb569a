"""Drawing every figure of a report, one step at a time under a progress bar."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from v1lab.characterisation import AnalysisRoles
from v1lab.errors import V1labError
from v1lab.report._run import RunData
from v1lab.report.figures import (plot_class_fractions, plot_ppd_sensitivity, plot_reference_distributions,
                                  plot_score_heatmap, safe_name)
from v1lab.report.fractions import plot_macaque_fractions
from v1lab.report.galleries import gallery_layers, plot_filter_labels, plot_gallery_pages
from v1lab.report.stimulus_sheet import plot_stimulus_sheet, receptive_field_table
from v1lab.report.tuning import plot_tuning_examples

__all__ = ["Drawn", "draw_figures"]


@dataclass
class Drawn:
    """The figures drawn for one report (PNG paths; each has its PDF beside it) and why any is missing."""

    scores: list[Path] = field(default_factory=list)
    fractions: list[Path] = field(default_factory=list)
    macaque: list[Path] = field(default_factory=list)
    distributions: list[Path] = field(default_factory=list)
    ppd: list[Path] = field(default_factory=list)
    tuning: dict[str, Path] = field(default_factory=dict)
    sheet: Path | None = None
    receptive_fields: pd.DataFrame = field(default_factory=pd.DataFrame)
    galleries: dict[str, list[Path]] = field(default_factory=dict)
    filters: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def _roles(protocol: dict) -> AnalysisRoles | None:
    try:
        return AnalysisRoles(**((protocol.get("analyses") or {}).get("roles") or {}))
    except (TypeError, ValueError):
        return None


def draw_figures(run: RunData, out_dir, *, progress: bool | None = None) -> Drawn:
    """Draw every figure of the report of ``run`` into ``out_dir``; ``progress``: a tqdm bar over the steps
    (None: only when writing to a terminal)."""
    out, t, units, drawn = Path(out_dir), run.tables, run.units, Drawn()
    roles = _roles(run.run.protocol)
    attrs: dict[str, dict] = {}
    first: dict = {}

    def layer_step(layer: str) -> None:
        try:
            responses = run.run.responses(layer)
        except (V1labError, OSError) as exc:
            drawn.missing.append(f"{layer}: no responses to draw from ({str(exc).splitlines()[0]})")
            return
        attrs[layer] = dict(responses.attrs)
        first.setdefault("responses", responses)
        rows = units[units["layer"].astype(str) == layer]
        if roles is None:
            drawn.missing.append(f"{layer}: the protocol's analysis roles could not be read; no tuning curves")
            return
        path = plot_tuning_examples(rows, responses, roles, out)
        if path is None:
            drawn.missing.append(f"{layer}: no responsive classified unit with a measured tuning curve")
        else:
            drawn.tuning[layer] = path

    def sheet_step() -> None:
        drawn.receptive_fields = receptive_field_table(attrs)
        if "responses" in first:
            rf = {layer: float(np.max(a["rf_size_px"])) for layer, a in attrs.items() if "rf_size_px" in a}
            drawn.sheet = plot_stimulus_sheet(first["responses"], out, rf_px=rf)

    def gallery_step(layer: str) -> None:
        preferred = run.path / "preferred"
        drawn.galleries[layer] = plot_gallery_pages(preferred, layer, out, model=str(run.run.manifest.get("model", "")))
        with np.load(preferred / f"preferred_images_{layer}.npz") as npz:
            if "filter" in npz.files:
                rows = units[units["layer"].astype(str) == layer]
                box = npz["filter_rf_box"] if "filter_rf_box" in npz.files else None
                drawn.filters[layer] = plot_filter_labels(
                    npz["filter"], npz["channels"], rows, out / f"filters_{safe_name(layer)}.png", rf_box=box,
                    title=f"{run.run.manifest.get('model', '')} {layer}: display-space filters with their labels "
                    "from the units table (stretched per filter)")

    steps = [
        ("scores", lambda: drawn.scores.extend(plot_score_heatmap(t["comparison"], out))),
        ("class fractions", lambda: drawn.fractions.extend(plot_class_fractions(t["population"], out))),
        ("macaque fractions", lambda: drawn.macaque.extend(plot_macaque_fractions(t["comparison"], out))),
        ("distributions", lambda: drawn.distributions.extend(plot_reference_distributions(units, t["comparison"],
                                                                                           out))),
        ("ppd sensitivity", lambda: drawn.ppd.extend(plot_ppd_sensitivity(t["ppd_sensitivity"], out))),
        *[(f"tuning curves {layer}", lambda layer=layer: layer_step(layer)) for layer in run.run.layers],
        ("stimuli", sheet_step),
        *[(f"gallery {layer}", lambda layer=layer: gallery_step(layer))
          for layer in gallery_layers(run.path / "preferred")],
    ]
    with tqdm(total=len(steps), desc="v1lab report", unit="step", disable=None if progress is None else not progress,
              leave=False) as bar:
        for name, step in steps:
            bar.set_postfix_str(name)
            step()
            bar.update()
    return drawn
