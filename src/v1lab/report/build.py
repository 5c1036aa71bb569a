"""The self-contained HTML report of a run folder (``RUN/report.html``).

The page is one file: figures are embedded as base64 ``data:`` URIs, styles are inline, and there is no
script, so it opens from the run folder without a server and still works when copied alone (only the links
to each figure's PDF, ``figures/*.pdf`` beside the report, need the folder).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import jinja2

from v1lab import __version__
from v1lab.errors import RunFolderError
from v1lab.report._blocks import Block, Section, figure_block, table_block
from v1lab.report._draw import draw_figures
from v1lab.report._methods import STATISTICS, metric_definitions, references_used
from v1lab.report._run import RunData, read_run_data
from v1lab.report._sections import EXTRA_FOLDERS, sections
from v1lab.runs.atomic import write_text

__all__ = ["Block", "Section", "build_report", "figure_block", "table_block", "EXTRA_FOLDERS", "STATUS_NOTES"]

#: What the banner at the top of the report says about a run that is not complete.
STATUS_NOTES = {
    "running": "The run was still running when this report was built: tables and figures may be incomplete.",
    "interrupted": "The run was interrupted: some layers or steps are missing; resume it with "
                   "`v1lab run PROTOCOL --resume RUN_DIR` and rebuild the report.",
    "failed": "The run failed: the tables and figures below are what it wrote before failing.",
}


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


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("v1lab.report", "templates"),
                              autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


def build_report(run_dir, *, n_boot: int = 1000, seed: int | None = None, max_unit_rows: int = 200,
                 progress: bool | None = None) -> Path:
    """(Re)build the figures (``RUN/figures/*.png`` and ``*.pdf``) and ``RUN/report.html`` of a run folder.

    Parameters
    ----------
    run_dir : path-like
        A run folder with ``manifest.json`` and its units table (``protocol.yaml`` is read when present;
        ``responses/<layer>.nc`` for the example tuning curves and stimuli, ``preferred/`` and ``lesion/``
        when present). Population and comparison tables that are missing are computed from the units table
        and written (:func:`v1lab.report.read_run_data`).
    n_boot, seed : int
        Bootstrap settings used only when ``comparison.csv`` has to be recomputed (seed default: the run's).
    max_unit_rows : int
        Per layer, at most this many rows of ``units.csv`` (and of each extra CSV) are shown.
    progress : bool, optional
        A progress bar over the drawing steps; default: only when standard error is a terminal.

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
    drawn = draw_figures(run, run.path / "figures", progress=progress)
    p = run.run.protocol
    versions = run.run.manifest.get("versions") or {}
    status = run.run.status
    html = _environment().get_template("report.html").render(
        title=f"v1lab report: {p.get('name') or run.path.name}",
        generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        v1lab_version=__version__, run_path=str(run.path), description=str(p.get("description", "")).strip(),
        status=status, status_note=STATUS_NOTES.get(status, "" if status == "complete" else
                                                    f"Unexpected run status {status!r}: check manifest.json."),
        finished=str(run.run.manifest.get("finished", "")),
        run_info=_run_info(run),
        versions=[(k, str(v)) for k, v in versions.items()] if isinstance(versions, dict)
        else [("versions", json.dumps(versions))],
        protocol_text=run.run.protocol_text, sections=sections(run, drawn, max_unit_rows),
        metrics=metric_definitions(), statistics=STATISTICS,
        references=references_used(run.tables["comparison"]),
    )
    return write_text(run.path / "report.html", html)
