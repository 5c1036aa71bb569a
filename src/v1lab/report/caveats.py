"""Caveats the report prints beside the numbers they concern (the conventions are in ``docs/metrics.md``).

* colour classes: each layer's double- and single-opponent fractions with whether cone weights were measured,
  how many of those units are cone-opponent, and the rule (:func:`colour_class_caveats`);
* comparisons: what each ``convention`` value of ``comparison.csv`` means, and how much the SF comparisons move
  with the assumed pixels per degree (:func:`comparison_caveats`);
* lesion results: the training-overlap caveat and every note of the lesion folder (:func:`lesion_notes`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from v1lab.classify import ClassificationCriteria
from v1lab.units import flag

__all__ = ["CONVENTIONS", "colour_class_caveats", "comparison_caveats", "convention_note", "lesion_notes",
           "LESION_OVERLAP"]

#: What each ``convention`` value of ``comparison.csv`` means.
CONVENTIONS = {
    "verified in the paper": "the definition was checked in the paper's Methods",
    "unverified in the paper (as Brain-Score's code)": "the paper's Methods could not be read; the model's value "
    "follows Brain-Score's re-implementation of the benchmark (brain-score/vision, read)",
    "unverified": "the definition is a v1lab convention not checked against the paper",
}
_RGB = ("network units weight display R, G and B, not cones, so most have opponent cone weights (an equal-RGB "
        "unit is L-M with M/L = -0.60); the spatial criteria (an observed band-pass chromatic SF curve, a weak "
        "uniform-field response) carry the distinction")
#: Printed beside every lesion result.
LESION_OVERLAP = ("Training overlap: if the lesion images come from the ImageNet training set, the network was "
                  "trained on them, so accuracy and its changes are measured on seen images and may not carry over "
                  "to new ones; use held-out (validation) images for figures.")


def _fraction(pop: pd.Series, column: str) -> str:
    f, lo, hi = (pop.get(f"{column}=True.{s}", np.nan) for s in ("fraction", "ci_low", "ci_high"))
    k, n = pop.get(f"{column}=True.count", np.nan), pop.get(f"{column}=True.n", np.nan)
    if not np.isfinite(f):
        return "n/a"
    return f"{100 * f:.0f} % [{100 * lo:.0f}, {100 * hi:.0f}] ({int(k)} of {int(n)})"


def colour_class_caveats(units: pd.DataFrame, population: pd.DataFrame, criteria: dict | None = None
                         ) -> pd.DataFrame:
    """One row per (model, layer): the double- and single-opponent fractions of responsive units with their
    Wilson 95 % intervals (``population.csv``), how many responsive units have cone weights and how many of
    those are cone-opponent, and the caveat that goes with these numbers."""
    c = ClassificationCriteria(**{k: v for k, v in (criteria or {}).items()
                                  if k in ClassificationCriteria.model_fields})
    rule = (f"double-opponent = chromatic ratio >= {c.luminance_max_ratio:g}, an observed band-pass chromatic SF "
            f"curve, uniform-field ratio < {c.uniform_field_min_ratio:g} and cone-opponent weights (L-M or "
            "S-(L+M) by the signs of the weights of magnitude >= 0.1); a v1lab convention, unverified against "
            "Johnson et al. 2008")
    rows = []
    for (model, layer), g in units.groupby(["model", "layer"], sort=False):
        live = g[flag(g["responsive"]).to_numpy(bool)]
        cones = live["cone_opponency"].astype("string")
        measured = int(cones.notna().sum())
        opponent = int(cones.isin(["L-M", "S-(L+M)"]).sum())
        pop = population[(population["model"].astype(str) == str(model))
                         & (population["layer"].astype(str) == str(layer))]
        pop = pop.iloc[0] if len(pop) else pd.Series(dtype=object)
        if measured == 0:
            caveat = ("No cone weights measured in this layer: double-opponent is undetermined (<NA>) for "
                      "band-pass colour units and counted as not double-opponent. Rule: " + rule + ".")
        else:
            caveat = (f"Cone weights measured for {measured} of {len(live)} responsive units, {opponent} of them "
                      f"cone-opponent ({100 * opponent / measured:.0f} %): {_RGB}. Rule: {rule}.")
        rows.append({"model": model, "layer": layer,
                     "double-opponent (of responsive units)": _fraction(pop, "double_opponent"),
                     "single-opponent (of responsive units)": _fraction(pop, "single_opponent"),
                     "cone weights measured": f"{measured} of {len(live)}",
                     "cone-opponent": f"{opponent} of {measured}", "caveat": caveat})
    return pd.DataFrame(rows)


def convention_note(conventions) -> str:
    """One sentence per distinct ``convention`` value: what it means."""
    values = [str(v) for v in pd.unique(pd.Series(list(conventions)).dropna())]
    return " ".join(f"Convention '{v}': {CONVENTIONS.get(v, 'see docs/metrics.md')}." for v in values)


def comparison_caveats(comparison: pd.DataFrame, ppd_table: pd.DataFrame, ppd: float) -> list[str]:
    """Notes for the comparison section: the conventions of the compared numbers, and per SF reference the range
    of each layer's similarity over the pixels-per-degree grid of ``ppd_sensitivity.csv``."""
    notes = []
    if not comparison.empty and "convention" in comparison:
        notes.append(convention_note(comparison["convention"]) + " The convention of each number is in the "
                     "'convention' column of the comparison table.")
    if not ppd_table.empty:
        spans = []
        for (ref, layer), g in ppd_table.groupby(["reference", "layer"], sort=False):
            s = g["similarity"].astype(float)
            if s.notna().any():
                spans.append(f"{layer} / {ref}: S from {s.min():.2f} to {s.max():.2f} over "
                             f"{g['ppd'].min():g}-{g['ppd'].max():g} pixels/deg")
        notes.append(f"Spatial-frequency comparisons assume {ppd:g} pixels per degree (224 px = 8 deg, as "
                     "Brain-Score); the similarity depends on that choice as much as on the units: "
                     + "; ".join(spans) + " (ppd_sensitivity.csv).")
    return notes


def lesion_notes(run_dir) -> list[tuple[str, str]]:
    """``(source, text)`` pairs for the lesion section: the training-overlap caveat, then every ``.txt`` file
    under ``lesion/`` and the ``note``/``notes``/``caveat`` fields of ``lesion/manifest.json``."""
    root = Path(run_dir) / "lesion"
    if not root.is_dir():
        return []
    notes = [("caveat", LESION_OVERLAP)]
    for path in sorted(root.rglob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        if text:
            notes.append((path.relative_to(Path(run_dir)).as_posix(), text))
    manifest = root / "manifest.json"
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            data = {}
        for key in ("note", "notes", "caveat", "caveats"):
            value = data.get(key) if isinstance(data, dict) else None
            if value:
                text = "\n".join(map(str, value)) if isinstance(value, list) else str(value)
                notes.append((f"lesion/manifest.json: {key}", text))
    return notes
