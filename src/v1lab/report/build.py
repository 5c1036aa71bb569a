"""The self-contained HTML report of a run folder (``RUN/report.html``).

The page is one file: figures are embedded as base64 ``data:`` URIs, styles are inline, and there is no
script, so it opens from the run folder without a server and still works when copied alone.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pandas as pd

from v1lab import __version__
from v1lab.runs.atomic import write_text
from v1lab.errors import RunFolderError
from v1lab.report._methods import STATISTICS, metric_definitions, references_used
from v1lab.report._run import RunData, read_run_data
from v1lab.report._tables import table_html
from v1lab.report.figures import (plot_class_fractions, plot_ppd_sensitivity, plot_reference_distributions,
                                  plot_score_heatmap, safe_name)

__all__ = ["Block", "Section", "build_report", "figure_block", "table_block", "EXTRA_FOLDERS"]

#: Optional sub-folders written by other stages, embedded when present: folder -> section title.
EXTRA_FOLDERS = {"preferred": "Preferred stimuli", "lesion": "Lesion experiments"}


@dataclass(frozen=True)
class Block:
    """One item of a section: a figure (``data_uri``), a table (``html``) or a note."""

    kind: str
    caption: str = ""
    note: str = ""
    html: str = ""
    data_uri: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str = ""
    blocks: list[Block] = field(default_factory=list)


def figure_block(path: Path, caption: str) -> Block:
    """A figure block holding the PNG at ``path`` as a base64 data URI."""
    data = Path(path).read_bytes()
    return Block("figure", caption=caption, data_uri="data:image/png;base64," + base64.b64encode(data).decode("ascii"))


def table_block(frame: pd.DataFrame, caption: str, *, source: str, max_rows: int | None = None,
                table_id: str | None = None) -> Block:
    """A table block from ``frame`` (the CSV at ``source``), the first ``max_rows`` rows with a note if cut.

    The HTML table gets the id ``table_id`` (default ``table-<source>`` with unsafe characters as ``_``).
    """
    if frame.empty:
        return Block("note", note=f"{caption}: no rows ({source}).")
    note = f"From {source}."
    if max_rows is not None and len(frame) > max_rows:
        note = f"First {max_rows} of {len(frame)} rows; all rows in {source}."
    html = table_html(frame, max_rows=max_rows, table_id=table_id or f"table-{safe_name(source)}")
    return Block("table", caption=caption, note=note, html=html)


def _units_blocks(units: pd.DataFrame, max_rows: int) -> list[Block]:
    blocks = []
    for (model, layer), group in units.groupby(["model", "layer"], sort=False):
        blocks.append(table_block(group, f"{model} - {layer} ({len(group)} units)", source="units.csv",
                                  max_rows=max_rows, table_id=f"table-units-{safe_name(model, layer)}"))
    return blocks


def _extra_section(run_dir: Path, folder: str, title: str, max_rows: int) -> Section | None:
    """Every PNG and CSV under ``run_dir/folder`` (sorted by path), or ``None`` if the folder is absent."""
    root = run_dir / folder
    if not root.is_dir():
        return None
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    blocks = []
    for path in files:
        rel = path.relative_to(run_dir).as_posix()
        if path.suffix.lower() == ".png":
            blocks.append(figure_block(path, rel))
        elif path.suffix.lower() == ".csv":
            blocks.append(table_block(_read_table(path), rel, source=rel, max_rows=max_rows))
    if not blocks:
        blocks.append(Block("note", note=f"{folder}/ holds no figures or tables."))
    return Section(id=folder, title=title, intro=f"Results found in {folder}/ of the run folder.", blocks=blocks)


def _read_table(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path}: unreadable CSV ({str(exc).splitlines()[0]})") from None


def _run_info(run: RunData) -> list[tuple[str, str]]:
    m, p = run.run.manifest, run.run.protocol
    layers = []
    for spec in p.get("layers") or []:
        if isinstance(spec, dict):
            title = spec.get("label") or spec.get("name")
            module = f" (module {spec['name']})" if spec.get("label") else ""
            layers.append(f"{title}{module}, {spec.get('response', 'post_relu')}")
        else:
            layers.append(str(spec))
    stimuli = [s.get("file", "inline") if isinstance(s, dict) else str(s) for s in p.get("stimuli") or []]
    n_units = run.units.groupby("layer", sort=False).size()
    items = [
        ("protocol", p.get("name", "")),
        ("model", m.get("model") or p.get("model", "")),
        ("weights sha256", m.get("weights_sha256") or "none (no weights file)"),
        ("device", m.get("device", "")),
        ("seed", m.get("seed", p.get("seed", ""))),
        ("pixels per degree", p.get("ppd", "")),
        ("layers", "; ".join(layers)),
        ("units per layer", ", ".join(f"{k}: {v}" for k, v in n_units.items())),
        ("stimulus sets", ", ".join(stimuli)),
        ("references", ", ".join(p.get("references") or []) or "all applicable"),
        ("status", m.get("status", "")),
        ("started", m.get("started", "")),
        ("finished", m.get("finished", "")),
        ("resumed", ", ".join(m.get("resumed") or [])),
        ("protocol sha256", m.get("protocol_sha256", "")),
        ("command", " ".join(m["command"]) if isinstance(m.get("command"), list) else m.get("command", "")),
        ("platform", m.get("platform", "")),
    ]
    return [(k, str(v)) for k, v in items if v not in ("", None)]


def _sections(run: RunData, figures_dir: Path, max_unit_rows: int) -> list[Section]:
    t = run.tables
    scores = plot_score_heatmap(t["comparison"], figures_dir)
    fractions = plot_class_fractions(t["population"], figures_dir)
    dists = plot_reference_distributions(run.units, t["comparison"], figures_dir)
    ppd = plot_ppd_sensitivity(t["ppd_sensitivity"], figures_dir)
    recomputed = (f" Computed from units.csv by this report (they were missing): "
                  f"{', '.join(f'{n}.csv' for n in run.recomputed)}." if run.recomputed else "")
    sections = [
        Section("summary", "Summary: which layer is most V1-like",
                "Mean normalised similarity to the macaque V1 references, per layer (1 = as similar as the "
                "biological sample is to itself)." + recomputed,
                [table_block(t["most_v1_like"], "Most V1-like layer", source="most_v1_like.csv")]
                + [figure_block(p, "Normalised score per layer and reference (scores_*.png); blank: no "
                   "eligible units.") for p in scores]),
        Section("population", "Population: cell classes and tuning metrics",
                "Class fractions with Wilson 95 % intervals and metric medians and quartiles, per layer.",
                [figure_block(p, "Class fractions per layer (class_fractions_*.png).") for p in fractions]
                + [table_block(t["population"], "Population table", source="population.csv")]),
        Section("comparison", "Comparison with macaque V1",
                "Each layer's distribution of each property (coloured outline) over the biological one (grey), "
                "binned on the reference's own bins; S is the bootstrap similarity with its 95 % interval.",
                [figure_block(p, f"{p.stem} (model vs macaque V1).") for p in dists]
                + [table_block(t["comparison"], "Comparison table (n_included: units passing the reference's "
                               "inclusion rule; convention: how its definition was checked)",
                               source="comparison.csv")]
                + [figure_block(p, "Similarity against the assumed pixels per degree (dotted: the run's); SF "
                                "comparisons measure this convention as much as the units.") for p in ppd]
                + [table_block(t["ppd_sensitivity"], "Pixels-per-degree sensitivity", source="ppd_sensitivity.csv")]),
        Section("depth", "Changes across layers",
                "Tests of whether classes and metrics change with depth, Holm-corrected within each model.",
                [table_block(t["depth_tests"], "Depth tests", source="depth_tests.csv")]),
        Section("units", "Units", f"One row per unit; layers with more than {max_unit_rows} units show the "
                f"first {max_unit_rows}.", _units_blocks(run.units, max_unit_rows)),
    ]
    for folder, title in EXTRA_FOLDERS.items():
        extra = _extra_section(run.path, folder, title, max_unit_rows)
        if extra is not None:
            sections.append(extra)
    return sections


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("v1lab.report", "templates"),
                              autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


def build_report(run_dir, *, n_boot: int = 1000, seed: int | None = None, max_unit_rows: int = 200) -> Path:
    """(Re)build the figures (``RUN/figures/*.png``) and ``RUN/report.html`` of a run folder.

    Parameters
    ----------
    run_dir : path-like
        A run folder with ``manifest.json`` and ``units.csv`` (``protocol.yaml`` is read when present).
        Population and comparison tables that are missing are computed from ``units.csv`` and written
        (:func:`v1lab.report.read_run_data`).
    n_boot, seed : int
        Bootstrap settings used only when ``comparison.csv`` has to be recomputed (seed default: the run's).
    max_unit_rows : int
        Per layer, at most this many rows of ``units.csv`` (and of each extra CSV) are shown.

    Returns
    -------
    pathlib.Path
        The path of ``report.html`` (written atomically).

    Raises
    ------
    RunFolderError
        When the folder is missing, is not a run folder, or lacks ``units.csv``.
    """
    if max_unit_rows < 1:
        raise RunFolderError(f"max_unit_rows: got {max_unit_rows}; expected a positive number of rows")
    run = read_run_data(run_dir, n_boot=n_boot, seed=seed)
    sections = _sections(run, run.path / "figures", max_unit_rows)
    p = run.run.protocol
    versions = run.run.manifest.get("versions") or {}
    html = _environment().get_template("report.html").render(
        title=f"v1lab report: {p.get('name') or run.path.name}",
        generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        v1lab_version=__version__, run_path=str(run.path), description=str(p.get("description", "")).strip(),
        run_info=_run_info(run),
        versions=[(k, str(v)) for k, v in versions.items()] if isinstance(versions, dict)
        else [("versions", json.dumps(versions))],
        protocol_text=run.run.protocol_text, sections=sections, metrics=metric_definitions(),
        statistics=STATISTICS,
        references=references_used(run.tables["comparison"]),
    )
    return write_text(run.path / "report.html", html)
