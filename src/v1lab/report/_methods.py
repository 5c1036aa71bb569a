"""The report's methods section: the references a run was compared with, and the metric definitions.

Reference citations come from the shipped :class:`v1lab.references.Reference` records of the references that
appear in the run's ``comparison.csv``; the metric definitions are the units contract's (:mod:`v1lab.units`;
the full text, equations and conventions are in ``docs/metrics.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from v1lab.population import describe_convention
from v1lab.references import Reference, list_references, load_reference
from v1lab.units import COLUMNS, Column

__all__ = ["metric_definitions", "STATISTICS", "ReferenceUse", "references_used"]


def metric_definitions() -> tuple[Column, ...]:
    """The units-table columns the report defines: every metric and class column of the contract
    (:mod:`v1lab.units`), with unit, definition and source."""
    return tuple(c for c in COLUMNS if c.kind in ("metric", "flag", "category"))


#: The population statistics, one sentence each, with their sources.
STATISTICS: tuple[tuple[str, str], ...] = (
    ("Class fractions",
     "fractions of responsive units (responsive: of all units) with Wilson score 95 % intervals "
     "(Wilson 1927, J. Am. Stat. Assoc. 22:209-212)."),
    ("Similarity to biology",
     "both samples binned on the reference's bin edges; similarity S = 1 - KS/KS_max, the mean over 1000 "
     "bootstrap resamples of n_bio model units, with a percentile interval; normalised score = S / ceiling, the "
     "ceiling being the reference's bootstrapped self-similarity (Marques, Schrimpf & DiCarlo 2021, bioRxiv "
     "10.1101/2021.03.01.433495, Brain-Score V1 property benchmarks). Proportions are also compared with a "
     "two-sided two-proportion z test, Holm-corrected (Holm 1979, Scand. J. Stat. 6:65-70)."),
    ("Most V1-like layer",
     "the unweighted mean normalised score over references (a reference without eligible units counts 0), "
     "ranked within each model."),
    ("Changes with depth",
     "per class: linear-by-linear association trend test over layer depth (Agresti 2002, Categorical Data "
     "Analysis, sec. 3.4) with the odds ratio per layer from a logistic regression; per categorical column: "
     "chi-square test of independence with Cramer's V; per metric: Kruskal-Wallis H test with epsilon squared "
     "(Tomczak & Tomczak 2014); p-values Holm-corrected within each model."),
)


@dataclass(frozen=True)
class ReferenceUse:
    """A reference that ``comparison.csv`` uses, with the rule v1lab applied to the model side."""

    name: str
    reference: Reference | None
    model_rule: str

    @property
    def citation(self) -> str:
        return str(self.reference.citation) if self.reference is not None else ""

    @property
    def doi(self) -> str | None:
        return self.reference.citation.doi if self.reference is not None else None


def references_used(comparison: pd.DataFrame) -> list[ReferenceUse]:
    """The references of ``comparison.csv`` in table order; ``reference`` is ``None`` if not shipped."""
    if comparison.empty or "reference" not in comparison:
        return []
    shipped = set(list_references())
    uses = []
    for name in pd.unique(comparison["reference"]):
        ref = load_reference(name) if name in shipped else None
        rule = describe_convention(ref) if ref is not None else ""
        uses.append(ReferenceUse(name=str(name), reference=ref, model_rule=rule))
    return uses
