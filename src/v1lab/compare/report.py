"""A comparison's tables and its self-contained HTML report (``v1lab compare ... --out DIR``).

The page is one file: figures are embedded as base64 PNG ``data:`` URIs and link to their PDF beside it
(``figures/*.pdf``); styles are inline; there is no script.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from v1lab import __version__
from v1lab.compare.figures import metrics_to_plot, plot_fractions, plot_metric, plot_scores, reference_for
from v1lab.population import population_table
from v1lab.report import table_html
from v1lab.runs import atomic_path, write_text

__all__ = ["write_comparison", "TABLES"]

#: The CSV tables a comparison folder holds: file stem -> what it is.
TABLES = {"runs": "the runs compared", "tests": "every test, Holm-adjusted together (p_holm, significant)",
          "population": "class fractions and metric medians per run and layer", "scores": "mean normalised score "
          "per run and layer over the common references", "ranking": "most V1-like run (best layer's score)"}

_STYLE = """body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table.data{border-collapse:collapse;font-size:12px;margin:0.5em 0}table.data td,table.data th{border:1px solid #ccc;
padding:2px 6px;text-align:right}figure{margin:1em 0}img{max-width:100%}figcaption{font-size:12px;color:#555}
.note{background:#fff6e0;padding:0.5em;border-left:4px solid #e0a000}"""

_METHODS = ("Layers are matched by label. Class fractions: responsive over all units, every other class over "
            "responsive units; Wilson 95 % intervals per run; between two runs Fisher's exact test with Newcombe's "
            "interval of the difference (group_b - group_a), over three or more runs also Pearson's chi-squared test. "
            "Metric distributions (responsive units with a finite value): two-sided Mann-Whitney U and two-sample "
            "Kolmogorov-Smirnov tests between two runs, Kruskal-Wallis over three or more. Every p-value of the "
            "tests table is Holm-adjusted as one family. Ranking: each run's comparison.csv on the references every "
            "run has, mean normalised score per layer (Brain-Score's ceiling-normalised 1 - KS/KS_max), a run scored "
            "by its best layer.")


def _figure(path: Path | None, caption: str) -> str:
    if path is None:
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    pdf = f"figures/{Path(path).stem}.pdf"
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}"><figcaption>'
            f'{html.escape(caption)} (<a href="{pdf}">PDF</a>)</figcaption></figure>')


def _table(frame: pd.DataFrame, caption: str, source: str, max_rows: int | None = None) -> str:
    if frame is None or frame.empty:
        return f"<p>{html.escape(caption)}: no rows.</p>"
    cut = f" First {max_rows} of {len(frame)} rows;" if max_rows and len(frame) > max_rows else ""
    return (f"<h3>{html.escape(caption)}</h3><p>{cut} all rows in {html.escape(source)}.</p>"
            + table_html(frame, max_rows=max_rows))


def _metric_caption(metric: str) -> str:
    ref = reference_for(metric)
    if ref is None:
        return f"{metric}: runs overlaid (no macaque reference describes it)"
    return f"{metric}: runs overlaid on macaque V1 (grey: {ref.name}, n = {ref.n}, on its bins and convention)"


def write_comparison(comparison, out, *, figures: bool = True, max_rows: int = 200) -> Path:
    """Write the comparison's tables (:data:`TABLES`, CSV), its figures (unless ``figures`` is false) and
    ``report.html`` into ``out``; returns the report's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"runs": comparison.runs, "tests": comparison.tests, "population": population_table(comparison.units),
              "scores": comparison.scores, "ranking": comparison.ranking}
    for name, frame in tables.items():
        with atomic_path(out / f"{name}.csv") as tmp:
            (frame if frame is not None else pd.DataFrame()).to_csv(tmp, index=False)
    folder = out / "figures"

    def figure(plot, *args, caption):
        return _figure(plot(comparison, *args, folder), caption) if figures else ""

    tests = comparison.tests
    significant = tests[tests["significant"]].sort_values("p_holm")
    parts = [f"<h1>v1lab comparison: {html.escape(', '.join(comparison.labels))}</h1>",
             f"<p>Generated {datetime.now(timezone.utc).isoformat(timespec='seconds')} by v1lab {__version__}. "
             f"Layers matched: {html.escape(', '.join(comparison.layers))}.</p>"]
    notes = comparison.notes + ([] if figures else ["Figures not drawn (the protocol's output.report is false)."])
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    parts += ["<h2>Runs</h2>", table_html(comparison.runs),
              "<h2>Most V1-like</h2>", _table(comparison.ranking, "Ranking", "ranking.csv"),
              figure(plot_scores, caption="Mean normalised score per layer (scores.csv)"),
              "<h2>Class fractions</h2>", figure(plot_fractions, caption="Class fractions per layer"),
              _table(tests[tests["kind"] == "fraction"], "Class-fraction tests", "tests.csv", max_rows),
              "<h2>Metric distributions</h2>"]
    parts += [figure(plot_metric, m, caption=_metric_caption(m)) for m in metrics_to_plot(comparison.units)]
    parts += [_table(tests[tests["kind"] == "metric"], "Metric tests", "tests.csv", max_rows),
              "<h2>Significant after Holm</h2>",
              _table(significant, f"{len(significant)} of {int(tests['p_value'].notna().sum())} tests", "tests.csv",
                     max_rows),
              "<h2>Methods</h2>", f"<p>{html.escape(_METHODS)}</p>"]
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>v1lab comparison</title><style>{_STYLE}"
            f"</style></head><body>{''.join(parts)}</body></html>\n")
    return write_text(out / "report.html", page)
