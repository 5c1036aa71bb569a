"""Tests between groups of units (runs, or a block's response modes) layer by layer, Holm-corrected as one family.

Groups are the values of one column of a units table (``model`` when runs are compared). For every layer:

* **class fractions** (``responsive`` over all units; every other class over responsive units, as in
  ``population.csv``): for two groups Fisher's exact test on the 2 x 2 table (count, n - count) and Newcombe's hybrid
  score interval of the difference (Newcombe 1998, method 10; ``statsmodels`` ``confint_proportions_2indep``); for
  three or more groups also Pearson's chi-squared test on the groups x 2 table (``scipy.stats.chi2_contingency``);
* **metric distributions** (responsive units with a finite value): the two-sided Mann-Whitney U test (location) and
  the two-sample Kolmogorov-Smirnov test (any difference in shape), with the difference of medians; Kruskal-Wallis for
  three or more groups.

A test without information (a group with no units, or a fraction that is 0 or 1 in every group, or fewer than two
values in a group) is reported with ``p_value`` NaN and left out of the family. :func:`holm` then adjusts every p-value
of all the tables together (Holm 1979), so "significant after Holm" holds across classes, metrics and layers.

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scand. J. Stat. 6, 65-70.
Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions: comparison of eleven
methods. Stat. Med. 17, 873-890.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, fisher_exact, kruskal, ks_2samp, mannwhitneyu
from statsmodels.stats.proportion import confint_proportions_2indep

from v1lab.multitest import adjust_p_values
from v1lab.population import population_long
from v1lab.units import METRIC_COLUMNS, flag

__all__ = ["TEST_COLUMNS", "fraction_tests", "metric_tests", "holm", "metric_values"]

#: Columns of every test table, in order.
TEST_COLUMNS = ["layer", "kind", "quantity", "level", "group_a", "group_b", "test", "n_a", "n_b", "value_a", "value_b",
                "difference", "ci_low", "ci_high", "statistic", "p_value"]


def _pairs(groups, pairs):
    return list(combinations(groups, 2)) if pairs is None else [tuple(p) for p in pairs]


def fraction_tests(units: pd.DataFrame, groups, *, by: str = "model", pairs=None, alpha: float = 0.05) -> pd.DataFrame:
    """Class fractions compared between ``groups`` (values of column ``by``) in every layer; see the module docstring.

    ``pairs`` limits the two-group tests to these (a, b) pairs (default: every pair, and the chi-squared test over all
    groups when there are three or more). ``value_a``/``value_b`` are the
    fractions, ``difference`` = b - a with its Newcombe interval at level 1 - ``alpha``.
    """
    long = population_long(units.assign(model=units[by].astype(str)), alpha=alpha)
    classes = long[(long["level"] != "") & long["statistic"].isin(["count", "n"])]  # metrics have no level
    counts = classes.pivot_table(
        index=["layer", "quantity", "level", "model"], columns="statistic", values="value", sort=False).reset_index()
    rows = []
    for (layer, quantity, level), g in counts.groupby(["layer", "quantity", "level"], sort=False):
        k = dict(zip(g["model"], g["count"].astype(int)))
        n = dict(zip(g["model"], g["n"].astype(int)))
        present = [x for x in map(str, groups) if x in k]
        for a, b in _pairs(present, pairs):
            if a in k and b in k:
                rows.append(_fisher(layer, quantity, level, a, b, k, n, alpha))
        if pairs is None and len(present) >= 3:
            rows.append(_chi2(layer, quantity, level, present, k, n))
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def _informative(ks, ns) -> bool:
    return min(ns) > 0 and 0 < sum(ks) < sum(ns)


def _fisher(layer, quantity, level, a, b, k, n, alpha) -> dict:
    fa = k[a] / n[a] if n[a] else np.nan
    fb = k[b] / n[b] if n[b] else np.nan
    row = dict(layer=layer, kind="fraction", quantity=quantity, level=level, group_a=a, group_b=b,
               test="fisher_exact", n_a=n[a], n_b=n[b], value_a=fa, value_b=fb, difference=fb - fa,
               ci_low=np.nan, ci_high=np.nan, statistic=np.nan, p_value=np.nan)
    if _informative([k[a], k[b]], [n[a], n[b]]):
        odds, p = fisher_exact([[k[a], n[a] - k[a]], [k[b], n[b] - k[b]]])
        low, high = confint_proportions_2indep(k[b], n[b], k[a], n[a], method="newcomb", compare="diff", alpha=alpha)
        row.update(statistic=float(odds), p_value=float(p), ci_low=float(low), ci_high=float(high))
    return row


def _chi2(layer, quantity, level, present, k, n) -> dict:
    row = dict(layer=layer, kind="fraction", quantity=quantity, level=level, group_a="all", group_b="all",
               test="chi2", n_a=sum(n[x] for x in present), n_b=np.nan, value_a=np.nan, value_b=np.nan,
               difference=np.nan, ci_low=np.nan, ci_high=np.nan, statistic=np.nan, p_value=np.nan)
    used = [x for x in present if n[x] > 0]
    if len(used) >= 2 and _informative([k[x] for x in used], [n[x] for x in used]):
        chi2, p, _, _ = chi2_contingency([[k[x], n[x] - k[x]] for x in used])
        row.update(statistic=float(chi2), p_value=float(p))
    return row


def metric_values(units: pd.DataFrame, column: str) -> np.ndarray:
    """Finite values of ``column`` over the responsive units of ``units`` (the population tables' convention)."""
    g = units[flag(units["responsive"]).to_numpy()]
    x = pd.to_numeric(g[column], errors="coerce").to_numpy(float)
    return x[np.isfinite(x)]


def metric_tests(units: pd.DataFrame, groups, *, by: str = "model", pairs=None, metrics=METRIC_COLUMNS
                 ) -> pd.DataFrame:
    """Metric distributions compared between ``groups`` in every layer (Mann-Whitney U, KS; Kruskal-Wallis for
    three or more). ``value_a``/``value_b`` are medians, ``difference`` = b - a."""
    rows = []
    groups = [str(x) for x in groups]
    for layer, g in units.groupby("layer", sort=False):
        parts = {x: gx for x, gx in g.groupby(g[by].astype(str), sort=False)}
        present = [x for x in groups if x in parts]
        for column in (m for m in metrics if m in g.columns):
            values = {x: metric_values(parts[x], column) for x in present}
            for a, b in _pairs(present, pairs):
                if a in values and b in values:
                    rows += _two_samples(layer, column, a, b, values[a], values[b])
            if pairs is None and len(present) >= 3:
                rows.append(_kruskal(layer, column, [values[x] for x in present]))
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def _two_samples(layer, column, a, b, xa, xb) -> list[dict]:
    base = dict(layer=layer, kind="metric", quantity=column, level="", group_a=a, group_b=b, n_a=xa.size,
                n_b=xb.size, value_a=np.median(xa) if xa.size else np.nan,
                value_b=np.median(xb) if xb.size else np.nan, ci_low=np.nan, ci_high=np.nan)
    base["difference"] = base["value_b"] - base["value_a"]
    ok = xa.size >= 2 and xb.size >= 2 and np.ptp(np.concatenate([xa, xb])) > 0
    out = []
    for test, fn in (("mann_whitney", lambda: mannwhitneyu(xa, xb, alternative="two-sided")),
                     ("ks", lambda: ks_2samp(xa, xb))):
        res = fn() if ok else None
        out.append({**base, "test": test, "statistic": float(res.statistic) if ok else np.nan,
                    "p_value": float(res.pvalue) if ok else np.nan})
    return out


def _kruskal(layer, column, samples) -> dict:
    used = [x for x in samples if x.size >= 2]
    ok = len(used) >= 2 and np.ptp(np.concatenate(used)) > 0
    res = kruskal(*used) if ok else None
    return dict(layer=layer, kind="metric", quantity=column, level="", group_a="all", group_b="all",
                test="kruskal", n_a=sum(x.size for x in samples), n_b=np.nan, value_a=np.nan, value_b=np.nan,
                difference=np.nan, ci_low=np.nan, ci_high=np.nan, statistic=float(res.statistic) if ok else np.nan,
                p_value=float(res.pvalue) if ok else np.nan)


def holm(*tables: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The tables concatenated, with ``p_holm`` (Holm-adjusted over every finite p-value of all of them together)
    and ``significant`` (``p_holm < alpha``)."""
    frames = [t for t in tables if len(t)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TEST_COLUMNS)
    out["p_holm"] = np.nan
    tested = out["p_value"].notna()
    if tested.any():
        out.loc[tested, "p_holm"] = adjust_p_values(out.loc[tested, "p_value"])[1]
    out["significant"] = out["p_holm"] < alpha
    return out
