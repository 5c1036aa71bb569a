"""Per-image outcomes of a classifier and the paired statistics of a lesion.

Every lesion is compared with the unlesioned network *on the same images*, so the tests are paired:

* top-1 / top-5 accuracy: McNemar's test on the 2x2 table of (correct before, correct after), exact
  binomial form (McNemar 1947; ``statsmodels.stats.contingency_tables.mcnemar(exact=True)``); the test on
  top-1 is the experiment's primary test;
* the change of top-1 accuracy (a paired risk difference): Newcombe's (1998) hybrid-score interval,
  :func:`paired_difference_ci`;
* correct-class log-probability: Wilcoxon signed-rank test on the per-image changes (Wilcoxon 1945;
  ``scipy.stats.wilcoxon``, zeros discarded as in Wilcoxon's original procedure), and a percentile-bootstrap
  interval of the mean change over images (Efron & Tibshirani 1993, ch. 13; ``scipy.stats.bootstrap``),
  seeded;
* a tested set against null sets of the same size: :mod:`v1lab.lesion.null`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy.stats import bootstrap, wilcoxon
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from v1lab.errors import AnalysisError

__all__ = ["Outcomes", "PairedComparison", "compare_paired", "paired_difference_ci"]


@dataclass(frozen=True)
class Outcomes:
    """What the network did on each image.

    Attributes
    ----------
    logp : ndarray of float64, shape (N,)
        Log-probability of the correct class, :math:`\\log \\mathrm{softmax}(z)_y` (natural log, nats).
    top1, top5 : ndarray of bool, shape (N,)
        Whether the correct class is the first / among the first five classes.
    """

    logp: np.ndarray
    top1: np.ndarray
    top5: np.ndarray

    @classmethod
    def from_logits(cls, logits: torch.Tensor, labels: torch.Tensor) -> "Outcomes":
        """Outcomes of a batch of logits (N, K) with class indices ``labels`` (N,)."""
        logits = logits.detach().to(torch.float64)
        labels = labels.to(logits.device, torch.long)
        logp = torch.log_softmax(logits, dim=1).gather(1, labels[:, None])[:, 0]
        k = min(5, logits.shape[1])
        top = logits.topk(k, dim=1).indices
        hit = top == labels[:, None]
        return cls(logp.cpu().numpy(), hit[:, 0].cpu().numpy(), hit.any(dim=1).cpu().numpy())

    @classmethod
    def concat(cls, parts: list["Outcomes"]) -> "Outcomes":
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("logp", "top1", "top5")))

    def __len__(self) -> int:
        return len(self.logp)


@dataclass(frozen=True)
class PairedComparison:
    """A lesioned network against the unlesioned one on the same ``n_images`` images.

    Accuracies are fractions in [0, 1]; ``delta_*`` are lesioned minus unlesioned; log-probabilities in nats.
    ``top1_lost`` / ``top1_gained`` count the images right before and wrong after / wrong before and right
    after (McNemar's discordant pairs). ``delta_top1_ci`` is Newcombe's interval of the paired difference
    (:func:`paired_difference_ci`), ``mean_delta_logp_ci`` a percentile-bootstrap interval, both at
    ``confidence``.
    """

    n_images: int
    base_top1: float
    base_top5: float
    top1: float
    top5: float
    top1_lost: int
    top1_gained: int
    delta_top1: float
    delta_top1_ci: tuple[float, float]
    delta_top5: float
    mcnemar_p: float
    mcnemar_top5_p: float
    mean_delta_logp: float
    mean_delta_logp_ci: tuple[float, float]
    wilcoxon_p: float
    confidence: float

    def as_row(self) -> dict:
        """Flat dict for a CSV row (intervals as ``*_low`` / ``*_high``)."""
        row = asdict(self)
        for key in ("delta_top1_ci", "mean_delta_logp_ci"):
            low, high = row.pop(key)
            row[f"{key}_low"], row[f"{key}_high"] = low, high
        return row


def _table(before: np.ndarray, after: np.ndarray) -> list[list[int]]:
    """Paired 2x2 table [[right-right, right-wrong], [wrong-right, wrong-wrong]] (before, after)."""
    return [[int(np.sum(before & after)), int(np.sum(before & ~after))],
            [int(np.sum(~before & after)), int(np.sum(~before & ~after))]]


def _mcnemar_p(before: np.ndarray, after: np.ndarray) -> float:
    """Exact McNemar p-value: binomial test on the discordant pairs b (right->wrong) and c (wrong->right)."""
    return float(mcnemar(_table(before, after), exact=True).pvalue)


def paired_difference_ci(table, confidence: float = 0.95) -> tuple[float, float]:
    r"""Newcombe's hybrid-score interval for the difference of two paired proportions, after minus before.

    For the paired table :math:`[[a, b], [c, d]]` (rows: success before yes/no; columns: success after
    yes/no; :math:`n = a + b + c + d`), :math:`p_1 = (a + b)/n`, :math:`p_2 = (a + c)/n` and
    :math:`\hat\Delta = p_2 - p_1 = (c - b)/n`. With Wilson score intervals :math:`(l_i, u_i)` of
    :math:`p_i` (``statsmodels.stats.proportion.proportion_confint(method="wilson")``) and the
    continuity-corrected correlation :math:`\hat\phi = \max(ad - bc - n/2, 0)/\sqrt{(a+b)(c+d)(a+c)(b+d)}`
    (:math:`ad - bc` itself when negative, 0 when a margin is 0),

    .. math::

        L = \hat\Delta - \sqrt{(p_2 - l_2)^2 - 2\hat\phi (p_2 - l_2)(u_1 - p_1) + (u_1 - p_1)^2}, \quad
        U = \hat\Delta + \sqrt{(u_2 - p_2)^2 - 2\hat\phi (u_2 - p_2)(p_1 - l_1) + (p_1 - l_1)^2}.

    Newcombe (1998), *Stat. Med.* 17, 2635-2650, method 10; recommended by Fagerland, Lydersen & Laake
    (2014), *Stat. Med.* 33, 2850-2875. Hand-written because statsmodels has it for independent samples
    only (``confint_proportions_2indep``). Unlike a bootstrap interval it does not collapse to a point
    when no image changes.
    """
    (a, b), (c, d) = np.asarray(table, dtype=float)
    n = a + b + c + d
    alpha = 1 - confidence
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = proportion_confint(a + b, n, alpha=alpha, method="wilson")
    l2, u2 = proportion_confint(a + c, n, alpha=alpha, method="wilson")
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    num = cross - n / 2 if cross > n / 2 else min(cross, 0.0)
    phi = num / np.sqrt(margins) if margins > 0 else 0.0
    delta = p2 - p1
    low = delta - np.sqrt(max((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2, 0.0))
    high = delta + np.sqrt(max((u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2, 0.0))
    return float(low), float(high)


def _wilcoxon_p(d: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p of per-image changes ``d``; 1.0 when every change is zero."""
    if not np.any(d != 0):
        return 1.0
    return float(wilcoxon(d, zero_method="wilcox").pvalue)


def _mean_ci(d: np.ndarray, confidence: float, n_resamples: int, rng: np.random.Generator) -> tuple[float, float]:
    if np.all(d == d[0]):
        return float(d[0]), float(d[0])
    res = bootstrap((d,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                    method="percentile", rng=rng, vectorized=True)
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def compare_paired(base: Outcomes, lesion: Outcomes, *, confidence: float = 0.95, n_resamples: int = 2000,
                   seed: int = 0) -> PairedComparison:
    """Paired tests of ``lesion`` against ``base`` (same images, same order).

    Parameters
    ----------
    base, lesion : Outcomes
        Unlesioned and lesioned outcomes on the same images.
    confidence : float
        Level of the intervals.
    n_resamples : int
        Bootstrap resamples (interval of the mean log-probability change).
    seed : int
        Seeds the bootstrap (the same seed gives the same intervals).

    Returns
    -------
    PairedComparison
        With ``delta_top1`` :math:`= \\frac{1}{N}\\sum_i (h_i^{les} - h_i^{base})` (``h`` = top-1 hit) and
        ``mean_delta_logp`` :math:`= \\frac{1}{N}\\sum_i (\\log p_i^{les} - \\log p_i^{base})` (nats).
    """
    if len(base) != len(lesion) or len(base) == 0:
        raise AnalysisError(f"lesion outcomes: {len(lesion)} images against {len(base)} unlesioned; "
                            "expected the same non-zero number of images")
    n = len(base)
    rng = np.random.default_rng(seed)
    table = _table(base.top1, lesion.top1)
    d_logp = lesion.logp - base.logp
    return PairedComparison(
        n_images=n,
        base_top1=float(base.top1.mean()), base_top5=float(base.top5.mean()),
        top1=float(lesion.top1.mean()), top5=float(lesion.top5.mean()),
        top1_lost=table[0][1], top1_gained=table[1][0],
        delta_top1=float(lesion.top1.mean() - base.top1.mean()),
        delta_top1_ci=paired_difference_ci(table, confidence),
        delta_top5=float(lesion.top5.mean() - base.top5.mean()),
        mcnemar_p=_mcnemar_p(base.top1, lesion.top1),
        mcnemar_top5_p=_mcnemar_p(base.top5, lesion.top5),
        mean_delta_logp=float(d_logp.mean()),
        mean_delta_logp_ci=_mean_ci(d_logp, confidence, n_resamples, rng),
        wilcoxon_p=_wilcoxon_p(d_logp),
        confidence=confidence,
    )
