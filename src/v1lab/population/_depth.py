"""Tests across layers: does the class mix or a metric change with depth in the network?"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import Table

from v1lab.multitest import adjust_p_values
from v1lab.population._units import check_units, layer_depths
from v1lab.units import CATEGORY_COLUMNS, FLAG_COLUMNS, METRIC_COLUMNS, flag

__all__ = ["depth_tests"]

_COLUMNS = ["model", "quantity", "level", "test", "n", "n_layers", "statistic", "dof", "effect", "effect_name",
            "p_value", "p_adjusted", "significant"]


def _logit_slope(y: np.ndarray, depth: np.ndarray) -> float:
    """Odds ratio per layer step from a logistic regression of ``y`` on depth; NaN if not estimable."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.Logit(y.astype(float), sm.add_constant(depth.astype(float))).fit(disp=0)
        except (np.linalg.LinAlgError, ValueError):  # PerfectSeparationError is a ValueError
            return float("nan")
    if caught or not fit.mle_retvals.get("converged", False):
        return float("nan")  # separation or non-convergence: the slope is not finite
    return float(np.exp(fit.params[1]))


def _binary_tests(model, quantity, level, y: np.ndarray, depth: np.ndarray) -> list[dict]:
    layers = np.unique(depth)
    if y.all() or not y.any() or layers.size < 2:
        return []  # a constant class, or one layer: nothing to test
    table = np.array([[np.sum(~y & (depth == d)) for d in layers], [np.sum(y & (depth == d)) for d in layers]])
    table = table[:, table.sum(axis=0) > 0]
    trend = Table(table).test_ordinal_association(col_scores=layers[table.sum(axis=0) > 0].astype(float))
    return [dict(model=model, quantity=quantity, level=level, test="linear-by-linear trend", n=int(y.size),
                 n_layers=int(table.shape[1]), statistic=float(trend.zscore), dof=1,
                 effect=_logit_slope(y, depth), effect_name="odds ratio per layer (logistic regression)",
                 p_value=float(trend.pvalue))]


def _category_test(model, quantity, values: pd.Series, depth: np.ndarray) -> list[dict]:
    table = pd.crosstab(values.to_numpy(), depth).to_numpy()
    if table.shape[0] < 2 or table.shape[1] < 2:
        return []
    chi2, p, dof, _ = stats.chi2_contingency(table)
    n = table.sum()
    cramer_v = np.sqrt(chi2 / (n * (min(table.shape) - 1)))
    return [dict(model=model, quantity=quantity, level="", test="chi-square independence", n=int(n),
                 n_layers=int(table.shape[1]), statistic=float(chi2), dof=int(dof), effect=float(cramer_v),
                 effect_name="Cramer's V", p_value=float(p))]


def _metric_test(model, quantity, values: np.ndarray, depth: np.ndarray) -> list[dict]:
    ok = np.isfinite(values)
    groups = [values[ok & (depth == d)] for d in np.unique(depth[ok])]
    groups = [g for g in groups if g.size]
    pooled = np.concatenate(groups) if groups else np.array([])
    if len(groups) < 2 or np.all(pooled == pooled[0]):
        return []
    h, p = stats.kruskal(*groups)
    n, k = pooled.size, len(groups)
    epsilon2 = (h - k + 1) / (n - k) if n > k else float("nan")  # Tomczak & Tomczak 2014
    return [dict(model=model, quantity=quantity, level="", test="Kruskal-Wallis", n=int(n), n_layers=k,
                 statistic=float(h), dof=k - 1, effect=float(epsilon2), effect_name="epsilon squared",
                 p_value=float(p))]


def depth_tests(units: pd.DataFrame, *, layer_order=None, method: str = "holm", alpha: float = 0.05) -> pd.DataFrame:
    """Test whether cell classes and metrics change across the layers of each model.

    Parameters
    ----------
    units : pandas.DataFrame
        The per-unit table (``units.csv``).
    layer_order : sequence or dict, optional
        Layer order (shallow to deep); see :func:`~v1lab.population._units.layer_depths`.
    method : str
        Multiple-comparison correction (:func:`v1lab.multitest.adjust_p_values`) applied to all
        tests of one model (default Holm 1979, family-wise error).
    alpha : float
        Level for ``significant``.

    Returns
    -------
    pandas.DataFrame
        One row per test: ``model, quantity, level, test, n, n_layers, statistic, dof, effect,
        effect_name, p_value, p_adjusted, significant``.

    Notes
    -----
    * Each class (each flag, and each level of ``cell_class``/``color_class``) among responsive units,
      and ``responsive`` among all units: the linear-by-linear association (Mantel) trend test of the
      2 x L table with layer depth 0, 1, ... as scores (Agresti 2002, *Categorical Data Analysis*,
      sec. 3.4; ``statsmodels`` ``Table.test_ordinal_association``), ``statistic`` its z; ``effect``
      the odds ratio per layer step of a logistic regression of class on depth (NaN under separation).
    * Each categorical column: Pearson chi-square test of independence of class and layer
      (``scipy.stats.chi2_contingency``), effect Cramer's V.
    * Each metric among responsive units: Kruskal-Wallis H test across layers (``scipy.stats.kruskal``),
      effect :math:`\\epsilon^2 = (H - k + 1)/(n - k)`.
    Classes that are constant, and models with one layer, are not tested.
    """
    check_units(units)
    depth_all = layer_depths(units, layer_order)
    results = []
    for model, g in units.groupby("model", sort=False):
        depth = depth_all[g.index].to_numpy()
        resp = flag(g["responsive"]).to_numpy()
        rows = _binary_tests(model, "responsive", "True", resp, depth)
        gr, dr = g[resp], depth[resp]
        for col in FLAG_COLUMNS[1:]:
            if col in g:
                rows += _binary_tests(model, col, "True", flag(gr[col]).to_numpy(), dr)
        for col in CATEGORY_COLUMNS:
            if col in g:
                known = gr[col].notna().to_numpy()  # <NA>: class not measured for that unit
                vals, dk = gr[col][known].astype(str), dr[known]
                for level in sorted(vals.unique()):
                    rows += _binary_tests(model, col, level, (vals == level).to_numpy(), dk)
                rows += _category_test(model, col, vals, dk)
        for col in METRIC_COLUMNS:
            if col in g:
                rows += _metric_test(model, col, pd.to_numeric(gr[col], errors="coerce").to_numpy(float), dr)
        if rows:
            reject, p_adj = adjust_p_values([r["p_value"] for r in rows], method=method, alpha=alpha)
            for r, a, s in zip(rows, p_adj, reject):
                r.update(p_adjusted=float(a), significant=bool(s))
        results += rows
    return pd.DataFrame(results, columns=_COLUMNS)
