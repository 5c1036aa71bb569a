"""The sections of the report, in page order, from the run's tables and the figures just drawn."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from v1lab.report._blocks import Block, Section, caveat_block, figure_block, note_block, table_block
from v1lab.report._draw import Drawn
from v1lab.report._run import RunData
from v1lab.report.caveats import colour_class_caveats, comparison_caveats, convention_note, lesion_notes
from v1lab.report.figures import safe_name
from v1lab.report.fractions import fraction_rows
from v1lab.report.galleries import PER_PAGE
from v1lab.report.tuning import PANELS
from v1lab.runs.run import read_table

__all__ = ["EXTRA_FOLDERS", "sections"]

#: Optional sub-folders written by other stages, embedded when present: folder -> section title.
EXTRA_FOLDERS = {"preferred": "Preferred stimuli", "lesion": "Lesion experiments"}


def _units_blocks(units: pd.DataFrame, max_rows: int) -> list[Block]:
    blocks = []
    for (model, layer), group in units.groupby(["model", "layer"], sort=False):
        blocks.append(table_block(group, f"{model} - {layer} ({len(group)} units)", source="units.csv",
                                  max_rows=max_rows, table_id=f"table-units-{safe_name(model, layer)}"))
    return blocks


def _extra_section(run_dir: Path, folder: str, title: str, max_rows: int, first: list[Block],
                   skip: set[str]) -> Section | None:
    """``first``, then every PNG and CSV under ``run_dir/folder`` (sorted by path) except ``skip``; None when the
    folder is absent."""
    root = run_dir / folder
    if not root.is_dir():
        return None
    blocks = list(first)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(run_dir).as_posix()
        if path.suffix.lower() == ".png" and rel not in skip:
            blocks.append(figure_block(path, rel, root=run_dir))
        elif path.suffix.lower() == ".csv":
            blocks.append(table_block(read_table(path), rel, source=rel, max_rows=max_rows))
    if len(blocks) == len(first):
        blocks.append(note_block(f"{folder}/ holds no figures or tables."))
    return Section(id=folder, title=title, intro=f"Results found in {folder}/ of the run folder.", blocks=blocks)


def _preferred_first(run: RunData, drawn: Drawn) -> tuple[list[Block], set[str]]:
    blocks, skip = [], set()
    for layer, path in drawn.filters.items():
        blocks.append(figure_block(path, f"{layer}: every unit's display-space linear receptive field (the filter, "
                                   "cropped to the receptive field) with its labels from the units table: cell and "
                                   "colour class, preferred orientation (n.s.: not orientation-selective) and "
                                   "F1/F0.", root=run.path, natural=True))
    for layer, pages in drawn.galleries.items():
        for k, path in enumerate(pages):
            blocks.append(figure_block(path, f"{layer}, page {k + 1} of {len(pages)} ({PER_PAGE} units a page): "
                                       "filter (first linear layer) or mean of the top-k natural patches | "
                                       "optimised image | gradient x input averaged over the top-k patches. "
                                       "Caption: unit, the optimised image's orientation, SF and colour class, "
                                       "and its agreement with the tuning-curve label.", root=run.path, natural=True))
        skip.add(f"preferred/gallery_{layer}.png")  # the one-image gallery, too small to read when embedded
    return blocks, skip


def sections(run: RunData, drawn: Drawn, max_unit_rows: int) -> list[Section]:
    t, root = run.tables, run.path
    recomputed = (f" Computed from units.csv by this report (they were missing): "
                  f"{', '.join(f'{n}.csv' for n in run.recomputed)}." if run.recomputed else "")
    curves = "; ".join(PANELS[k][0] for k in PANELS)
    ppd = float(run.run.protocol.get("ppd", 28.0))
    comparison_notes = comparison_caveats(t["comparison"], t["ppd_sensitivity"], ppd)
    colour = colour_class_caveats(run.units, t["population"], (run.run.protocol.get("analyses") or {}).get("criteria"))
    out = [
        Section("summary", "Summary: which layer is most V1-like",
                "Mean normalised similarity to the macaque V1 references, per layer (1 = as similar as the "
                "biological sample is to itself)." + recomputed,
                [table_block(t["most_v1_like"], "Most V1-like layer", source="most_v1_like.csv")]
                + [figure_block(p, "Normalised score per layer and reference; blank: no eligible units.", root=root)
                   for p in drawn.scores]),
        Section("stimuli", "Stimuli and receptive fields",
                "A few stimuli of every set, redrawn from the parameters recorded with the responses, with each "
                "layer's receptive field outlined; then each layer's receptive field in pixels and degrees.",
                ([figure_block(drawn.sheet, "Example stimuli of each set (titles: what varies within the set).",
                               root=root)] if drawn.sheet else [])
                + [table_block(drawn.receptive_fields, "Receptive field per layer (from the responses' attributes)",
                               source="responses/*.nc", table_id="table-receptive-fields")]),
        Section("tuning", "Example tuning curves",
                "Per layer, one unit of each cell class: the responsive unit of median fit R\u00b2 (mean over its "
                "successful fits). Dots: the curve the analysis measured (" + curves + "); line: the fitted model "
                "from the units table. The numbers drawn are in figures/tuning_examples_*.csv.",
                [figure_block(p, f"{layer}: example tuning curves with their fits.", root=root)
                 for layer, p in drawn.tuning.items()] + [note_block(m) for m in drawn.missing]),
        Section("population", "Population: cell classes and tuning metrics",
                "Class fractions with Wilson 95 % intervals and metric medians and quartiles, per layer.",
                [figure_block(p, "Class fractions per layer (labels over responsive units).", root=root)
                 for p in drawn.fractions]
                + [table_block(colour, "Colour classes and their caveats", source="population.csv and units.csv",
                               table_id="table-colour-caveats")]
                + [table_block(t["population"], "Population table", source="population.csv")]),
        Section("comparison", "Comparison with macaque V1",
                "Fractions beside the macaque fractions where a reference gives one; then each layer's distribution "
                "of each property (coloured outline) over the biological one (grey), on the reference's own bins; "
                "S is the bootstrap similarity with its 95 % interval.",
                _comparison_blocks(run, drawn, comparison_notes)),
        Section("depth", "Changes across layers",
                "Tests of whether classes and metrics change with depth, Holm-corrected within each model.",
                [table_block(t["depth_tests"], "Depth tests", source="depth_tests.csv")]),
        Section("units", "Units", f"One row per unit; layers with more than {max_unit_rows} units show the "
                f"first {max_unit_rows}.", _units_blocks(run.units, max_unit_rows)),
    ]
    pref_first, skip = _preferred_first(run, drawn)
    lesion_first = [caveat_block(text, source) for source, text in lesion_notes(root)]
    for folder, title in EXTRA_FOLDERS.items():
        extra = _extra_section(root, folder, title, max_unit_rows,
                               pref_first if folder == "preferred" else lesion_first, skip)
        if extra is not None:
            out.append(extra)
    return out


def _comparison_blocks(run: RunData, drawn: Drawn, notes: list[str]) -> list[Block]:
    t, root = run.tables, run.path
    fractions = fraction_rows(t["comparison"])
    blocks = [figure_block(p, "Model fractions (per layer) beside the macaque fraction (grey), with Wilson 95 % "
                           "intervals and n; model: the units each reference's inclusion rule keeps.", root=root)
              for p in drawn.macaque]
    if not fractions.empty:
        blocks.append(table_block(fractions, "Fractions beside macaque V1", source="comparison.csv (proportions)",
                                  table_id="table-macaque-fractions"))
        blocks.append(caveat_block(convention_note(fractions["convention"]), "Conventions of these fractions"))
    comp = t["comparison"]
    for path in drawn.distributions:
        layer_rows = comp[[path.stem == f"distributions_{safe_name(m, la)}" for m, la in
                           zip(comp["model"], comp["layer"])]] if len(comp) else comp
        blocks.append(figure_block(path, f"{path.stem.removeprefix('distributions_')}: model vs macaque V1.",
                                   root=root))
        if len(layer_rows):
            blocks.append(caveat_block(convention_note(layer_rows["convention"]), "Conventions"))
    blocks.append(table_block(comp, "Comparison table (n_included: units passing the reference's inclusion rule; "
                              "convention: how its definition was checked)", source="comparison.csv"))
    blocks += [caveat_block(n, "Caveat") for n in notes]
    blocks += [figure_block(p, "Similarity against the assumed pixels per degree (dotted: the run's).", root=root)
               for p in drawn.ppd]
    blocks.append(table_block(t["ppd_sensitivity"], "Pixels-per-degree sensitivity", source="ppd_sensitivity.csv"))
    return blocks
