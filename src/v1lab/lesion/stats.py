"""Per-image outcomes of a classifier and the paired statistics of a lesion.

Every lesion is compared with the unlesioned network *on the same images*, so the tests are paired:

* top-1 / top-5 accuracy: McNemar's test on the 2x2 table of (correct before, correct after), exact
  binomial form (McNemar 1947; ``statsmodels.stats.contingency_tables.mcnemar(exact=True)``);
* correct-class log-probability: Wilcoxon signed-rank test on the per-image changes (Wilcoxon 1945;
  ``scipy.stats.wilcoxon``, zeros discarded as in Wilcoxon's original procedure);
* confidence intervals of the mean changes: percentile bootstrap over images (Efron & Tibshirani 1993,
  ch. 13; ``scipy.stats.bootstrap``), seeded;
* a lesioned set against random sets of the same size: permutation p-value with the +1 correction of
  Phipson & Smyth (2010), :func:`permutation_p`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy.stats import bootstrap, wilcoxon
from statsmodels.stats.contingency_tables import mcnemar

from v1lab.errors import AnalysisError

__all__ = ["Outcomes", "PairedComparison", "compare_paired", "permutation_p", "verdict"]


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
    ``*_ci`` are ``(low, high)`` percentile-bootstrap intervals at ``confidence``.
    """

    n_images: int
    base_top1: float
    base_top5: float
    top1: float
    top5: float
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


def _mcnemar_p(before: np.ndarray, after: np.ndarray) -> float:
    """Exact McNemar p-value: binomial test on the discordant pairs b (right->wrong) and c (wrong->right)."""
    table = [[int(np.sum(before & after)), int(np.sum(before & ~after))],
             [int(np.sum(~before & after)), int(np.sum(~before & ~after))]]
    return float(mcnemar(table, exact=True).pvalue)


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
        Level of the bootstrap intervals.
    n_resamples : int
        Bootstrap resamples.
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
    d_top1 = lesion.top1.astype(float) - base.top1.astype(float)
    d_logp = lesion.logp - base.logp
    return PairedComparison(
        n_images=n,
        base_top1=float(base.top1.mean()), base_top5=float(base.top5.mean()),
        top1=float(lesion.top1.mean()), top5=float(lesion.top5.mean()),
        delta_top1=float(d_top1.mean()),
        delta_top1_ci=_mean_ci(d_top1, confidence, n_resamples, rng),
        delta_top5=float(lesion.top5.mean() - base.top5.mean()),
        mcnemar_p=_mcnemar_p(base.top1, lesion.top1),
        mcnemar_top5_p=_mcnemar_p(base.top5, lesion.top5),
        mean_delta_logp=float(d_logp.mean()),
        mean_delta_logp_ci=_mean_ci(d_logp, confidence, n_resamples, rng),
        wilcoxon_p=_wilcoxon_p(d_logp),
        confidence=confidence,
    )


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


def verdict(label: str, n_units: int, cmp: PairedComparison, *, alpha: float = 0.05,
            null_p: float | None = None, null_median: float | None = None, n_null: int = 0) -> str:
    """One plain-language sentence on a lesion's effect (accuracy in percentage points)."""
    pct = 100 * cmp.delta_top1
    lo, hi = (100 * v for v in cmp.delta_top1_ci)
    level = round(100 * cmp.confidence)
    significant = cmp.mcnemar_p < alpha or cmp.wilcoxon_p < alpha
    text = (f"Silencing {label} ({n_units} unit{'s' if n_units != 1 else ''}) changes top-1 accuracy by "
            f"{pct:+.1f} points ({level}% CI {lo:+.1f} to {hi:+.1f}; McNemar p={cmp.mcnemar_p:.3g}) and the "
            f"correct-class log-probability by {cmp.mean_delta_logp:+.3f} nats (Wilcoxon p={cmp.wilcoxon_p:.3g}): "
            + ("a significant effect" if significant else "no significant effect") + f" at alpha={alpha}")
    if null_p is not None:
        side = "a larger" if cmp.mean_delta_logp < (null_median or 0.0) else "a smaller"
        text += (f"; {side} log-probability drop than the median of {n_null} random sets of {n_units} other "
                 f"units (permutation p={null_p:.3g}: "
                 + ("differs from" if null_p < alpha else "no different from") + " random units)")
    return text + "."
