"""The statistics of a lesion experiment: from per-set paired comparisons to the run's tables and verdicts.

The design (docs/lesion.md, "Statistics"):

* **One primary test per lesioned set**: McNemar's exact test on top-1 against the unlesioned network
  (:func:`v1lab.lesion.stats.compare_paired`). Its effect size is the change of top-1 accuracy with
  Newcombe's paired interval.
* **Secondary tests**: McNemar on top-5, Wilcoxon on the correct-class log-probability (effect: the mean
  change with a bootstrap interval), and, for each tested set (inactive or class group) and each null, two
  Monte-Carlo p-values (top-1 and log-probability changes against the null sets; effect: the tested set's
  rank among them with a Wilson interval, :func:`v1lab.lesion.null.compare_to_null`).
* **Nulls**: ``matched``, sets matched to the tested set on the property that defines it
  (:func:`v1lab.lesion.sets.matched_controls`: the filter norm for the ``filter_norm`` set, ... and
  ``class_property`` for a class group), and ``random-active``, uniform sets of the units outside it
  (:func:`v1lab.lesion.sets.random_controls`), a reference only: for an inactive set those are the active
  units, so it is not exchangeable with the tested set.
* **Multiplicity**: Holm's (1979) step-down adjustment over every test of the run in one family
  (:func:`v1lab.multitest.adjust_p_values`): all lesioned sets (tested sets and single
  units) times all their tests, primary and secondary. A verdict calls an effect significant only when the
  primary test's Holm-adjusted p-value is below ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from v1lab.errors import AnalysisError
from v1lab.lesion.config import LesionConfig
from v1lab.lesion.sets import NULLS, LesionSet, match_quality, match_strata
from v1lab.lesion.null import NullSummary, compare_to_null, null_prefix, verdict
from v1lab.lesion.stats import PairedComparison
from v1lab.multitest import adjust_p_values

__all__ = ["LesionAnalysis", "PAIRED_TESTS", "matching_property", "analyse_lesions", "training_overlap_note"]

#: Tests of every lesioned set (``lesion.csv`` column, role).
PAIRED_TESTS = (("mcnemar_p", "primary"), ("mcnemar_top5_p", "secondary"), ("wilcoxon_p", "secondary"))

_TESTED = ("inactive", "class")


@dataclass(frozen=True)
class LesionAnalysis:
    """The tables of an experiment.

    Attributes
    ----------
    lesions : DataFrame
        ``lesion.csv``: one row per lesioned set; Holm-adjusted ``*_holm`` columns on tested and single-unit
        rows; per null (prefix ``matched_`` / ``random_active_``) the :class:`~v1lab.lesion.null.NullSummary`
        fields on tested rows; ``null`` names the null of each null set.
    matching : DataFrame
        ``matching.csv``: per tested set and null, the property matched on and how well the null matches it
        (:func:`v1lab.lesion.sets.match_quality`; ``pool``: units the null draws from; ``strata``: strata
        holding tested units).
    tests : DataFrame
        ``tests.csv``: the Holm family, one row per test (``set_id``, ``test``, ``role``, ``p``, ``p_holm``).
    verdicts : list of str
        One line per tested set.
    notes : list of str
        How to read the run: the primary test and family size, the Monte-Carlo p-value floor, and whether
        the images overlap the training set.
    """

    lesions: pd.DataFrame
    matching: pd.DataFrame
    tests: pd.DataFrame
    verdicts: list[str]
    notes: list[str]


def matching_property(s: LesionSet, config: LesionConfig) -> str:
    """The ``inactive.csv`` column a tested set's matched null is matched on: the inactivity measure that
    defines an inactive set, ``config.class_property`` for a class group."""
    return s.definition if s.kind == "inactive" else config.class_property


def _label(s: LesionSet) -> str:
    return f"the {s.definition} {'inactive units' if s.kind == 'inactive' else 'group'}"


def _nulls(lesions: pd.DataFrame, sets: list[LesionSet], tested: list[LesionSet], comparisons: dict,
           table: pd.DataFrame, config: LesionConfig) -> tuple[pd.DataFrame, dict[str, list[NullSummary]]]:
    """Add each tested set's null summaries to ``lesions``; return the matching table and the summaries."""
    draws: dict[tuple[str, str], list[tuple[int, ...]]] = {}
    for s in sets:
        if s.kind == "random":
            draws.setdefault((s.definition, s.null), []).append(s.channels)
    rows, summaries = [], {}
    for s in tested:
        prop = matching_property(s, config)
        values = table[prop].to_numpy(dtype=float)
        idx = lesions.index[lesions["set_id"] == s.set_id][0]
        summaries[s.set_id] = []
        for null in NULLS:
            chosen = draws.get((s.set_id, null), [])
            if not chosen:
                continue
            null_rows = lesions[(lesions["kind"] == "random") & (lesions["definition"] == s.set_id)
                                & (lesions["null"] == null)]
            summary = compare_to_null(comparisons[s.set_id], null_rows["delta_top1"].to_numpy(),
                                      null_rows["mean_delta_logp"].to_numpy(), null=null,
                                      confidence=config.confidence)
            summaries[s.set_id].append(summary)
            for key, value in summary.as_row(null_prefix(null)).items():
                lesions.loc[idx, key] = value
            if null == "matched":
                strata = match_strata(values, s.channels, config.strata)
                held = np.unique(strata[list(s.channels)])
                pool, n_strata = int(np.isin(strata, held).sum()), len(held)
            else:
                pool, n_strata = len(values) - len(s.channels), np.nan
            rows.append({"set_id": s.set_id, "null": null, "property": prop, "n": len(s.channels),
                         "tested_property_mean": float(values[list(s.channels)].mean()),
                         **{("null_" + k if k == "property_mean" else k): v
                            for k, v in match_quality(s.channels, chosen, values).items()},
                         "pool": pool, "strata": n_strata})
    return pd.DataFrame(rows), summaries


def _holm(lesions: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The Holm family (every test of every tested set and single unit); adds ``*_holm`` to ``lesions``."""
    columns = [(c, role) for c, role in PAIRED_TESTS]
    columns += [(f"{null_prefix(n)}_{t}", "secondary") for n in NULLS for t in ("p_top1", "p_logp")]
    rows = []
    for idx, row in lesions[lesions["kind"].isin([*_TESTED, "single"])].iterrows():
        for column, role in columns:
            if column in lesions.columns and np.isfinite(row[column]):
                rows.append({"row": idx, "set_id": row["set_id"], "kind": row["kind"],
                             "definition": row["definition"], "test": column, "role": role, "p": float(row[column])})
    tests = pd.DataFrame(rows, columns=["row", "set_id", "kind", "definition", "test", "role", "p"])
    tests["p_holm"] = adjust_p_values(tests["p"].to_numpy(), alpha=alpha)[1] if len(tests) else []
    for column, _ in columns:
        if column in lesions.columns:
            lesions[f"{column}_holm"] = np.nan
    for row, test, adjusted in zip(tests["row"], tests["test"], tests["p_holm"]):
        lesions.loc[row, f"{test}_holm"] = adjusted
    return tests.drop(columns="row")


def training_overlap_note(base_top1: float, n_images: int, published_top1: float | None, *,
                          alpha: float = 0.05) -> str:
    """What the unlesioned accuracy on these images says about their overlap with the training set.

    With a published validation top-1 :math:`a_0`, an exact one-sided binomial test (``scipy.stats.binomtest``)
    asks whether :math:`k = \\mathrm{round}(a N)` hits in :math:`N` images are more than held-out images of
    the validation set's difficulty would give (:math:`H_0: a \\le a_0`); below ``alpha`` the note says
    the images likely overlap the training set. For resnet50-caffe on the 1000-photo imagenet-sample:
    0.905 against 0.749.
    """
    if published_top1 is None:
        return (f"Unlesioned top-1 on these {n_images} images: {base_top1:.3f}; no published validation accuracy "
                "for this model, so whether the images overlap its training set is unknown.")
    k = int(round(base_top1 * n_images))
    p = binomtest(k, n_images, published_top1, alternative="greater").pvalue
    text = (f"Unlesioned top-1 on these {n_images} images: {base_top1:.3f}, against {published_top1:.3f} published "
            f"on the ImageNet validation set (one-sided exact binomial p={p:.2g}). ")
    if p < alpha:
        return text + ("The images likely overlap ImageNet's training set (or are easier than the validation "
                       "set): the network may have memorised them, its margins on them are likely larger than on "
                       "new images, so a lesion likely flips fewer decisions here than on validation images; "
                       "effects, and absences of effect, hold for these images and are no benchmark.")
    return text + "The accuracy is consistent with held-out images."


def _notes(tests: pd.DataFrame, config: LesionConfig, base: PairedComparison, published_top1: float | None
           ) -> list[str]:
    notes = [f"Primary test: McNemar's exact test on top-1 against the unlesioned network, one per lesioned set; "
             f"all other p-values are secondary. Holm adjustment over all {len(tests)} tests of the run in one "
             f"family (tests.csv); a verdict's 'significant' uses only the primary test's Holm-adjusted p-value "
             f"(alpha={config.alpha})."]
    if config.n_random:
        m, family = config.n_random, len(tests)
        floor = 2 / (m + 1)
        notes.append(f"Monte-Carlo p-values: p = (b + 1)/(m + 1) per tail, doubled (Phipson & Smyth 2010); with "
                     f"m={m} null sets per null the smallest possible p is 2/{m + 1} = {floor:.3g}"
                     + (f", above alpha={config.alpha}: these tests cannot reach significance" if floor >= config.alpha
                        else "") + f"; to pass Holm's first step over {family} tests it would need "
                     f"m >= 2*{family}/alpha - 1 = {int(np.ceil(2 * family / config.alpha - 1))}. The tested set's "
                     "rank among the null sets, with its interval, is the result to read.")
    notes.append(training_overlap_note(base.base_top1, base.n_images, published_top1, alpha=config.alpha))
    return notes


def analyse_lesions(lesions: pd.DataFrame, sets: list[LesionSet], tested: list[LesionSet], comparisons: dict,
                    table: pd.DataFrame, config: LesionConfig, *, published_top1: float | None = None
                    ) -> LesionAnalysis:
    """Nulls, the Holm family, verdicts and notes of an experiment.

    Parameters
    ----------
    lesions : DataFrame
        One row per lesioned set with its :class:`~v1lab.lesion.stats.PairedComparison` fields and
        ``set_id``, ``kind``, ``definition``, ``null``; a copy is returned with the added columns.
    sets : list of LesionSet
        Every lesioned set (null sets included).
    tested : list of LesionSet
        The inactive and class sets.
    comparisons : dict
        ``set_id`` -> PairedComparison.
    table : DataFrame
        ``inactive.csv`` (the properties matched on).
    config : LesionConfig
    published_top1 : float, optional
        The model's published validation top-1, for the training-overlap note.
    """
    if lesions.empty:
        raise AnalysisError("lesion analysis: no lesioned set; expected at least one")
    lesions = lesions.copy()
    matching, summaries = _nulls(lesions, sets, tested, comparisons, table, config)
    tests = _holm(lesions, config.alpha)
    family = len(tests)
    verdicts = []
    for s in tested:
        row = lesions.loc[lesions["set_id"] == s.set_id].iloc[0]
        holm = {c[:-5]: row[c] for c in lesions.columns if c.endswith("_holm")}
        match = matching[(matching["set_id"] == s.set_id) & (matching["null"] == "matched")] if len(matching) else []
        matched_on = ("" if not len(match) else
                      f"{match['property'].iloc[0]} (mean {match['null_property_mean'].iloc[0]:.3g} against "
                      f"{match['tested_property_mean'].iloc[0]:.3g} in the set; KS distance {match['ks'].iloc[0]:.2f})")
        verdicts.append(verdict(_label(s), len(s.channels), comparisons[s.set_id], holm=holm, family=family,
                                alpha=config.alpha, nulls=summaries[s.set_id], matched_on=matched_on))
    notes = _notes(tests, config, next(iter(comparisons.values())), published_top1)
    return LesionAnalysis(lesions, matching, tests, verdicts, notes)
