"""A tested lesion set against null sets of the same size, and the verdict of the run's tests.

Monte-Carlo p-values with the +1 correction of Phipson & Smyth (2010), :func:`permutation_p`; the tested set's
rank among the null sets with a Wilson interval, :func:`compare_to_null`; one sentence per tested set,
:func:`verdict`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from v1lab.errors import AnalysisError
from v1lab.lesion.stats import PairedComparison

__all__ = ["permutation_p", "NullSummary", "compare_to_null", "null_prefix", "verdict"]


def permutation_p(observed: float, null: np.ndarray, *, alternative: str = "two-sided") -> float:
    r"""Permutation p-value of ``observed`` against null draws, with the +1 correction.

    :math:`p = (b + 1) / (m + 1)`, where :math:`m` is the number of null draws and :math:`b` the number at
    least as extreme as the observation (Phipson & Smyth 2010, *Stat. Appl. Genet. Mol. Biol.* 9:39,
    eq. 2): never 0, and exact for draws made with replacement. ``"less"`` counts draws
    :math:`\le` observed, ``"greater"`` draws :math:`\ge` observed, ``"two-sided"`` is
    :math:`\min(1, 2\min(p_{less}, p_{greater}))`.
    """
    null = np.asarray(null, dtype=float)
    if null.size == 0:
        raise AnalysisError("permutation_p: empty null distribution; expected at least one random draw")
    m = null.size
    p_less = (np.sum(null <= observed) + 1) / (m + 1)
    p_greater = (np.sum(null >= observed) + 1) / (m + 1)
    if alternative == "less":
        return float(p_less)
    if alternative == "greater":
        return float(p_greater)
    if alternative == "two-sided":
        return float(min(1.0, 2 * min(p_less, p_greater)))
    raise AnalysisError(f"permutation_p: alternative {alternative!r}; expected 'less', 'greater' or 'two-sided'")


@dataclass(frozen=True)
class NullSummary:
    """A tested set against one null (sets of the same size, lesioned on the same images).

    Attributes
    ----------
    null : {"matched", "random-active"}
    n : int
        Null sets :math:`m`.
    median_delta_top1, median_delta_logp : float
        Medians over the null sets (fraction; nats).
    p_top1, p_logp : float
        Two-sided Monte-Carlo p-values of the tested set's ``delta_top1`` / ``mean_delta_logp``
        (:func:`permutation_p`); never below :math:`2/(m + 1)`.
    rank_logp : float
        Fraction of null sets whose lesion costs *less* correct-class log-probability than the tested set's
        (ties count one half): 0.5 is a typical set, 1 costs more than every null set, 0 less.
    rank_logp_ci : (float, float)
        Wilson interval of ``rank_logp`` (its Monte-Carlo uncertainty from :math:`m` draws).
    """

    null: str
    n: int
    median_delta_top1: float
    median_delta_logp: float
    p_top1: float
    p_logp: float
    rank_logp: float
    rank_logp_ci: tuple[float, float]

    def as_row(self, prefix: str) -> dict:
        """Flat dict with keys ``<prefix>_<field>`` (interval as ``_low`` / ``_high``)."""
        row = {k: v for k, v in asdict(self).items() if k not in ("null", "rank_logp_ci")}
        row["rank_logp_low"], row["rank_logp_high"] = self.rank_logp_ci
        return {f"{prefix}_{k}": v for k, v in row.items()}


def compare_to_null(cmp: PairedComparison, null_top1: np.ndarray, null_logp: np.ndarray, *, null: str,
                    confidence: float = 0.95) -> NullSummary:
    r"""A tested set's effects against the effects of ``m`` null sets.

    ``null_top1`` and ``null_logp`` are the null sets' ``delta_top1`` and ``mean_delta_logp``. The rank is
    :math:`\hat q = (\#\{j: \Delta_j > \Delta\} + \tfrac12 \#\{j: \Delta_j = \Delta\}) / m` on the
    mean log-probability change, with the Wilson score interval of a binomial proportion
    (``statsmodels.stats.proportion.proportion_confint(method="wilson")``; Wilson 1927) for its Monte-Carlo
    error.
    """
    null_top1, null_logp = np.asarray(null_top1, dtype=float), np.asarray(null_logp, dtype=float)
    m = len(null_logp)
    above = float(np.sum(null_logp > cmp.mean_delta_logp) + 0.5 * np.sum(null_logp == cmp.mean_delta_logp))
    low, high = proportion_confint(above, m, alpha=1 - confidence, method="wilson")
    return NullSummary(null=null, n=m, median_delta_top1=float(np.median(null_top1)),
                       median_delta_logp=float(np.median(null_logp)),
                       p_top1=permutation_p(cmp.delta_top1, null_top1),
                       p_logp=permutation_p(cmp.mean_delta_logp, null_logp),
                       rank_logp=above / m, rank_logp_ci=(float(low), float(high)))


def null_prefix(null: str) -> str:
    """Column prefix of a null's results in ``lesion.csv``: ``matched`` or ``random_active``."""
    return null.replace("-", "_")


def _null_text(s: NullSummary, holm: dict[str, float], matched_on: str, level: int) -> str:
    lo, hi = (100 * v for v in s.rank_logp_ci)
    if s.null == "matched":
        what = f"{s.n} sets matched on {matched_on}"
    else:
        what = (f"reference: {s.n} random sets of units outside it (median top-1 change "
                f"{100 * s.median_delta_top1:+.1f} points)")
    return (f"; against {what}, it costs more log-probability than {100 * s.rank_logp:.0f}% of them "
            f"({level}% CI {lo:.0f} to {hi:.0f}%; Monte-Carlo p={s.p_logp:.3g}, smallest possible "
            f"{2 / (s.n + 1):.3g}; Holm p={holm[f'{null_prefix(s.null)}_p_logp']:.3g})")


def verdict(label: str, n_units: int, cmp: PairedComparison, *, holm: dict[str, float], family: int,
            alpha: float = 0.05, nulls: Sequence[NullSummary] = (), matched_on: str = "") -> str:
    """One plain-language sentence on a lesion's effect (accuracy in percentage points).

    "Significant" is decided by the primary test alone: McNemar's exact test on top-1, Holm-adjusted over
    the ``family`` tests of the run (``holm["mcnemar_p"]``); the log-probability (Wilcoxon) and the nulls are
    reported as secondary results with their own Holm-adjusted p-values.

    Parameters
    ----------
    label : str
        What was silenced ("the filter_norm inactive units").
    n_units : int
    cmp : PairedComparison
    holm : dict
        Holm-adjusted p-values by ``lesion.csv`` column: ``mcnemar_p``, ``wilcoxon_p`` and, per null,
        ``<prefix>_p_logp`` (:func:`null_prefix`).
    family : int
        Number of tests in the Holm family.
    alpha : float
    nulls : sequence of NullSummary
    matched_on : str
        How the matched null was matched (property and achieved KS distance), for the text.
    """
    pct = 100 * cmp.delta_top1
    lo, hi = (100 * v for v in cmp.delta_top1_ci)
    llo, lhi = cmp.mean_delta_logp_ci
    level = round(100 * cmp.confidence)
    significant = holm["mcnemar_p"] < alpha
    text = (f"Silencing {label} ({n_units} unit{'s' if n_units != 1 else ''}) changes top-1 accuracy by "
            f"{pct:+.1f} points ({level}% CI {lo:+.1f} to {hi:+.1f}; {cmp.top1_lost} images lost, "
            f"{cmp.top1_gained} gained): primary test McNemar p={cmp.mcnemar_p:.3g}, Holm p={holm['mcnemar_p']:.3g} "
            f"over the run's {family} tests, " + ("a significant effect" if significant else "no significant effect")
            + f" at alpha={alpha}. Secondary: correct-class log-probability {cmp.mean_delta_logp:+.4f} nats "
            f"({level}% CI {llo:+.4f} to {lhi:+.4f}; Wilcoxon p={cmp.wilcoxon_p:.3g}, Holm p={holm['wilcoxon_p']:.3g})")
    for summary in nulls:
        text += _null_text(summary, holm, matched_on, level)
    return text + "."
