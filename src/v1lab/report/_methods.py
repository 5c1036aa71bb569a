"""The report's methods section: the references a run was compared with, and the metric definitions.

Reference citations come from the shipped :class:`v1lab.references.Reference` records of the references that
appear in the run's ``comparison.csv``; the metric definitions summarise the docstrings of
:mod:`v1lab.metrics` (the full text, equations and conventions are in ``docs/metrics.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from v1lab.population import MODEL_QUANTITIES
from v1lab.references import Reference, list_references, load_reference

__all__ = ["MetricDefinition", "METRIC_DEFINITIONS", "STATISTICS", "ReferenceUse", "references_used"]


@dataclass(frozen=True)
class MetricDefinition:
    """One ``units.csv`` column: what it measures, in which unit, and after whom."""

    column: str
    unit: str
    definition: str
    source: str


METRIC_DEFINITIONS: tuple[MetricDefinition, ...] = (
    MetricDefinition("circular_variance", "1",
                     "CV = 1 - |sum_k r_k exp(2i theta_k)| / sum_k |r_k| over the orientation tuning curve (mean "
                     "response over phase, F0, at the preferred spatial frequency); 0 = one orientation, 1 = flat.",
                     "Ringach, Shapley & Hawken 2002"),
    MetricDefinition("preferred_orientation_deg", "deg",
                     "Orientation of the vector sum of the tuning curve, in [0, 180).", "Ringach et al. 2002"),
    MetricDefinition("orientation_bandwidth_deg", "deg",
                     "Half-width of the smoothed, spline-interpolated orientation tuning curve at 1/sqrt(2) of "
                     "its peak; NaN when it never falls that low.", "Ringach et al. 2002; Marques et al. 2021"),
    MetricDefinition("orthogonal_preferred_ratio", "1",
                     "Response at the preferred orientation + 90 deg over the response at the preferred "
                     "(sampled) orientation.", "Ringach et al. 2002"),
    MetricDefinition("modulation_ratio", "1",
                     "F1 / (F0 - blank) of the response over one cycle of spatial phase at the preferred "
                     "grating; simple when > 1, complex otherwise.", "Skottun et al. 1991"),
    MetricDefinition("peak_sf_cpd", "cycles/deg",
                     "Spatial frequency of the peak of the smoothed, spline-interpolated (log2 SF) tuning curve.",
                     "De Valois, Albrecht & Thorell 1982; Marques et al. 2021"),
    MetricDefinition("sf_bandwidth_oct", "octaves",
                     "log2(f_high / f_low), the frequencies either side of the peak where the curve falls to "
                     "1/sqrt(2) of the peak; NaN when low- or high-pass within the sweep.",
                     "De Valois et al. 1982; Schiller, Finlay & Volman 1976"),
    MetricDefinition("surround_suppression_index", "1",
                     "SI = (R_peak - R_largest) / R_peak over grating diameters (blank subtracted).",
                     "Cavanaugh, Bair & Movshon 2002"),
    MetricDefinition("chromatic_ratio", "1",
                     "Peak response to isoluminant (L-M) gratings over the peak response to luminance gratings "
                     "(responses above the blank); colour classes: luminance < 0.2 <= colour-luminance <= 6 < "
                     "colour-preferring (protocol-configurable).", "Johnson, Hawken & Shapley 2001"),
)

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
        rule = MODEL_QUANTITIES[ref.property].describe if ref is not None and ref.property in MODEL_QUANTITIES else ""
        uses.append(ReferenceUse(name=str(name), reference=ref, model_rule=rule))
    return uses
