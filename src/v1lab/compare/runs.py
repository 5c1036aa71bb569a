"""Runs of one protocol on different models, checkpoints or seeds, matched layer by layer and compared.

:func:`compare_models` opens each run (:func:`v1lab.runs.load_run`), relabels its units' ``model`` column with the
run's label, keeps the layers every run has (matched by label, the protocol's ``label`` or module name), tests class
fractions and metric distributions between the runs (:mod:`v1lab.compare.stats`, Holm across every test), and ranks
the runs by how V1-like their layers are: each run's ``comparison.csv`` rows on the references that every run was
compared with, summarised per layer by :func:`v1lab.population.most_v1_like` (mean normalised score); a run's score
is that of its best layer (as Brain-Score scores a model by its most V1-like layer), and the ranking orders them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from v1lab.compare.stats import fraction_tests, holm, metric_tests
from v1lab.errors import RunFolderError
from v1lab.population import most_v1_like
from v1lab.runs import Run, load_run

__all__ = ["Comparison", "compare_models", "run_label"]

#: Protocol fields that must agree for runs to be compared as "the same protocol" (others may differ: the model,
#: layers, seed, device, output options and names).
SAME_FIELDS = ("ppd", "units", "stimuli", "analyses", "references")


@dataclass(frozen=True)
class Comparison:
    """Runs compared layer by layer.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per run: ``label``, ``model`` (spec), ``path``, ``status``, ``n_units``, ``protocol_sha256``.
    layers : list of str
        The layers every run has, in the first run's order.
    units : pandas.DataFrame
        Every run's units in the matched layers, ``model`` holding the run's label.
    tests : pandas.DataFrame
        Class-fraction and metric tests (:data:`v1lab.compare.stats.TEST_COLUMNS`) with ``p_holm``, ``significant``.
    scores : pandas.DataFrame
        Per run and layer: mean normalised score over the common references (:func:`~v1lab.population.most_v1_like`).
    ranking : pandas.DataFrame
        Per run: ``best_layer``, ``best_score``, ``mean_score`` (over its matched layers), ``rank`` (1 = most V1-like).
    comparison : pandas.DataFrame
        The runs' ``comparison.csv`` rows used for the scores (``model`` = label).
    notes : list of str
        What the comparison had to leave aside: layers missing from some run, protocol fields that differ.
    """

    runs: pd.DataFrame
    layers: list[str]
    units: pd.DataFrame
    tests: pd.DataFrame
    scores: pd.DataFrame
    ranking: pd.DataFrame
    comparison: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    alpha: float = 0.05

    @property
    def labels(self) -> list[str]:
        return list(self.runs["label"])

    def summary(self) -> str:
        """A few lines: runs, matched layers, significant tests, the ranking."""
        t = self.tests
        lines = [f"runs: {', '.join(self.labels)}; layers matched: {', '.join(self.layers) or 'none'}",
                 f"tests: {int(t['p_value'].notna().sum())} with a p-value, {int(t['significant'].sum())} significant "
                 f"after Holm at alpha={self.alpha}"]
        for _, r in self.ranking.iterrows():
            lines.append(f"rank {r['rank']}: {r['label']} (best layer {r['best_layer']}, mean normalised score "
                         f"{r['best_score']:.3f})")
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def run_label(run: Run, taken=()) -> str:
    """A run's default label: its model spec (``file.py:factory`` of a ``python:`` spec, the file name of a
    ``checkpoint:`` spec), made unique against ``taken`` with the run folder's name."""
    spec = str(run.manifest.get("model") or run.protocol.get("model") or run.path.name)
    kind, sep, rest = spec.partition(":")
    label = spec
    if sep and kind in ("python", "checkpoint"):
        rest = rest.split("?")[0]
        path, _, factory = rest.rpartition(":") if kind == "python" else (rest, "", "")
        label = Path(path).name + (f":{factory}" if factory else "")
    return label if label not in taken else f"{label}@{run.path.name}"


def _differences(runs: list[Run]) -> list[str]:
    first = runs[0].protocol
    notes = []
    for run in runs[1:]:
        diff = [k for k in SAME_FIELDS if run.protocol.get(k) != first.get(k)]
        if diff:
            notes.append(f"{run.path.name}: protocol field(s) {', '.join(diff)} differ from {runs[0].path.name}'s; "
                         "differences between the runs may come from the protocols")
    return notes


def compare_models(runs, *, labels=None, alpha: float = 0.05) -> Comparison:
    """Compare finished runs of one protocol (paths or :class:`~v1lab.runs.Run`); see the module docstring.

    Raises
    ------
    RunFolderError
        Fewer than two runs, duplicate labels, a run that is not complete, or no layer common to all runs.
    """
    runs = [r if isinstance(r, Run) else load_run(r) for r in runs]
    if len(runs) < 2:
        raise RunFolderError(f"compare: {len(runs)} run(s); expected at least two run folders")
    if labels is None:
        labels = []
        for run in runs:
            labels.append(run_label(run, labels))
    labels = [str(x) for x in labels]
    if len(labels) != len(runs) or len(set(labels)) != len(labels):
        raise RunFolderError(f"compare: labels {labels}; expected one distinct label per run ({len(runs)})")
    for run in runs:
        if run.status != "complete":
            raise RunFolderError(f"{run.path}: status {run.status!r}; expected a complete run (finish it with "
                                 "--resume)")
    layers = [x for x in runs[0].layers if all(x in r.layers for r in runs[1:])]
    if not layers:
        raise RunFolderError(f"compare: no layer label common to all runs ({[r.layers for r in runs]}); label the "
                             "layers alike (protocol layers: {name: MODULE, label: NAME})")
    notes = _differences(runs)
    for label, run in zip(labels, runs):
        extra = [x for x in run.layers if x not in layers]
        if extra:
            notes.append(f"{label}: layer(s) {', '.join(extra)} not in every run, left out")
    units = pd.concat([r.units[r.units["layer"].isin(layers)].assign(model=label) for label, r in zip(labels, runs)],
                      ignore_index=True)
    tests = holm(fraction_tests(units, labels, alpha=alpha), metric_tests(units, labels), alpha=alpha)
    comparison, scores, ranking = _ranking(runs, labels, layers, notes)
    table = pd.DataFrame({"label": labels, "model": [r.manifest.get("model", "") for r in runs],
                          "path": [str(r.path) for r in runs], "status": [r.status for r in runs],
                          "n_units": [int((units["model"] == x).sum()) for x in labels],
                          "protocol_sha256": [r.manifest.get("protocol_sha256", "") for r in runs]})
    return Comparison(table, layers, units, tests, scores, ranking, comparison, notes, alpha)


def _ranking(runs, labels, layers, notes):
    frames = []
    for label, run in zip(labels, runs):
        try:
            c = run.comparison
        except RunFolderError:
            notes.append(f"{label}: no comparison.csv; not ranked")
            continue
        if not c.empty:
            frames.append(c[c["layer"].isin(layers)].assign(model=label))
    empty = pd.DataFrame(columns=["label", "best_layer", "best_score", "mean_score", "rank"])
    if not frames:
        return pd.DataFrame(), pd.DataFrame(), empty
    common = set.intersection(*(set(f["reference"]) for f in frames)) if len(frames) == len(runs) else set()
    if not common:
        notes.append("no reference common to every run's comparison.csv; no ranking")
        return pd.concat(frames, ignore_index=True), pd.DataFrame(), empty
    comparison = pd.concat([f[f["reference"].isin(common)] for f in frames], ignore_index=True)
    scores = most_v1_like(comparison)
    rows = []
    for label, g in scores.groupby("model", sort=False):
        best = g.loc[g["mean_score"].idxmax()]
        rows.append({"label": label, "best_layer": best["layer"], "best_score": float(best["mean_score"]),
                     "mean_score": float(g["mean_score"].mean()), "n_references": int(best["n_references"])})
    ranking = pd.DataFrame(rows).sort_values("best_score", ascending=False, ignore_index=True)
    ranking["rank"] = ranking["best_score"].rank(ascending=False, method="min").astype(int)
    return comparison, scores, ranking
