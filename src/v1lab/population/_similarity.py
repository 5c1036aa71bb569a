"""Distribution similarity of Brain-Score's V1 property benchmarks: 1 - normalised KS distance, bootstrapped.

Definition (Marques, Schrimpf & DiCarlo 2021; ``brainscore_vision/metrics/distribution_similarity``),
re-implemented from the description, not copied:

* both samples are binned on the *reference's* bin edges (values outside clipped into the end bins) and
  turned into probabilities :math:`p` (model) and :math:`q` (biology);
* :math:`KS(p, q) = \\max_j |P_j - Q_j|` with :math:`P, Q` the cumulative sums over bins;
* the distance is normalised by the largest distance any distribution on these bins can have from
  :math:`q`, reached by putting all mass in the first or in the last bin:
  :math:`KS_{max}(q) = \\max(KS(\\delta_1, q), KS(\\delta_k, q))`;
* similarity :math:`S(p, q) = 1 - KS(p, q) / KS_{max}(q)` (1 = same histogram, 0 = as far as possible);
* the model score is the mean of :math:`S` over ``n_boot`` resamples of ``n_bio`` model units drawn
  with replacement; the ceiling is the same statistic for resamples of the biological sample against
  itself; the normalised score is score / ceiling (``ceil_score`` in Brain-Score).

A resample of ``n`` values with replacement, binned, is a multinomial draw of ``n`` over the sample's
bin probabilities, so both bootstraps are drawn as multinomials (exactly equivalent, and vectorised).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from v1lab.references import Reference

__all__ = ["ks_similarity", "SimilarityResult", "bootstrap_similarity", "reference_ceiling"]


def ks_similarity(p, q) -> np.ndarray:
    """Brain-Score's normalised KS similarity between binned distributions ``p`` (model) and ``q`` (biology).

    Parameters
    ----------
    p : array_like, shape (..., k)
        Model bin probabilities (each row sums to 1); leading axes are broadcast (e.g. bootstrap draws).
    q : array_like, shape (k,)
        Biological bin probabilities.

    Returns
    -------
    numpy.ndarray
        :math:`1 - \\max_j|P_j - Q_j| / \\max(\\max_j|1 - Q_j|, \\max_j|[j = k] - Q_j|)`, shape ``p.shape[:-1]``.

    References
    ----------
    Marques T., Schrimpf M., DiCarlo J.J. (2021) Multi-scale hierarchical neural network models that
    bridge from single neurons in the primate primary visual cortex to object recognition behavior.
    bioRxiv 10.1101/2021.03.01.433495 (metric ``ks_similarity`` of the Brain-Score V1 benchmarks).

    Examples
    --------
    >>> q = np.array([0.25, 0.5, 0.25])
    >>> float(ks_similarity(q, q))
    1.0
    >>> float(ks_similarity(np.array([1.0, 0, 0]), q))  # the farthest histogram from q on these bins
    0.0
    """
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    cq = np.cumsum(q)
    ks = np.max(np.abs(np.cumsum(p, axis=-1) - cq), axis=-1)
    first = np.max(np.abs(1.0 - cq))  # all mass in the first bin: cumulative sum is 1 everywhere
    last = np.max(np.abs(np.r_[np.zeros(q.size - 1), 1.0] - cq))  # all mass in the last bin
    return 1.0 - ks / max(first, last)


@dataclass(frozen=True)
class SimilarityResult:
    """Bootstrap similarity of one model sample to one reference (all fields dimensionless).

    ``similarity`` is the bootstrap mean, ``similarity_sd`` its standard deviation (Brain-Score's
    "error"), ``ci_low``/``ci_high`` the percentile interval; ``ks_distance`` is the raw KS distance of
    the full model histogram from the reference and ``ks_max`` its normaliser; ``ceiling`` is the
    reference's self-similarity; ``normalised_*`` divide by ``ceiling``.
    """

    n_model: int
    n_bio: int
    ks_distance: float
    ks_max: float
    similarity: float
    similarity_sd: float
    ci_low: float
    ci_high: float
    ceiling: float
    ceiling_sd: float
    normalised_score: float
    normalised_ci_low: float
    normalised_ci_high: float


def _draws(probs: np.ndarray, n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    return rng.multinomial(n, probs, size=n_boot) / n


def reference_ceiling(reference: Reference, *, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Similarities of ``n_boot`` resamples (size ``n``, with replacement) of the reference against itself."""
    q = reference.probabilities
    return ks_similarity(_draws(q, reference.n, n_boot, rng), q)


def bootstrap_similarity(values, reference: Reference, *, n_boot: int = 1000,
                         rng: np.random.Generator, ceiling_draws: np.ndarray | None = None,
                         ci: float = 0.95) -> SimilarityResult:
    """Similarity of model ``values`` to ``reference`` with bootstrap CI, ceiling and normalised score.

    Parameters
    ----------
    values : array_like
        One value per eligible model unit (non-finite values dropped), in the reference's unit.
    reference : Reference
    n_boot : int
        Bootstrap resamples (Brain-Score uses 1000).
    rng : numpy.random.Generator
    ceiling_draws : array, optional
        Precomputed :func:`reference_ceiling` draws (to share one ceiling across layers).
    ci : float
        Coverage of the percentile interval.
    """
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if ceiling_draws is None:
        ceiling_draws = reference_ceiling(reference, n_boot=n_boot, rng=rng)
    ceiling = float(np.mean(ceiling_draws))
    q = reference.probabilities
    cq = np.cumsum(q)
    ks_max = float(max(np.max(np.abs(1.0 - cq)), np.max(np.abs(np.r_[np.zeros(q.size - 1), 1.0] - cq))))
    nan = float("nan")
    if values.size == 0:
        return SimilarityResult(0, reference.n, nan, ks_max, nan, nan, nan, nan, ceiling,
                                float(np.std(ceiling_draws)), nan, nan, nan)
    counts = reference.histogram(values)
    p = counts / counts.sum()
    sims = ks_similarity(_draws(p, reference.n, n_boot, rng), q)
    lo, hi = np.percentile(sims, [50 * (1 - ci), 50 * (1 + ci)])
    return SimilarityResult(
        n_model=int(values.size), n_bio=reference.n,
        ks_distance=float(np.max(np.abs(np.cumsum(p) - cq))), ks_max=ks_max,
        similarity=float(np.mean(sims)), similarity_sd=float(np.std(sims)),
        ci_low=float(lo), ci_high=float(hi), ceiling=ceiling, ceiling_sd=float(np.std(ceiling_draws)),
        normalised_score=float(np.mean(sims)) / ceiling,
        normalised_ci_low=float(lo) / ceiling, normalised_ci_high=float(hi) / ceiling,
    )
