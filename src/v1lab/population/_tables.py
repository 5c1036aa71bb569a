"""Population tables per model and layer: class counts with Wilson intervals, metric medians and IQRs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from v1lab.population._units import check_units
from v1lab.units import CATEGORY_COLUMNS, FLAG_COLUMNS, METRIC_COLUMNS, flag

__all__ = ["population_long", "population_table"]

_LONG_COLUMNS = ["model", "layer", "quantity", "level", "statistic", "value"]


def _proportion_rows(quantity: str, level: str, count: int, n: int, alpha: float) -> list[tuple]:
    if n > 0:
        lo, hi = proportion_confint(count, n, alpha=alpha, method="wilson")
        frac = count / n
    else:
        lo = hi = frac = np.nan
    return [(quantity, level, s, float(v)) for s, v in
            (("count", count), ("n", n), ("fraction", frac), ("ci_low", lo), ("ci_high", hi))]


def _metric_rows(quantity: str, values: np.ndarray) -> list[tuple]:
    values = values[np.isfinite(values)]
    if values.size:
        q1, med, q3 = np.percentile(values, [25, 50, 75])
    else:
        q1 = med = q3 = np.nan
    return [(quantity, "", s, float(v)) for s, v in
            (("n", values.size), ("median", med), ("q1", q1), ("q3", q3), ("iqr", q3 - q1))]


def population_long(units: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Tidy long-form population statistics, one row per (model, layer, quantity, level, statistic).

    Parameters
    ----------
    units : pandas.DataFrame
        The per-unit table (``units.csv``); needs ``model``, ``layer``, ``responsive``. Any of the class
        columns (:data:`FLAG_COLUMNS`, :data:`CATEGORY_COLUMNS`) and metric columns
        (:data:`METRIC_COLUMNS`) that are present are summarised.
    alpha : float
        1 - coverage of the Wilson score intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, layer, quantity, level, statistic, value``. Classes: statistics ``count``,
        ``n`` (denominator), ``fraction``, ``ci_low``, ``ci_high``; ``level`` is the class value
        ("True" for a flag). Metrics: ``n``, ``median``, ``q1``, ``q3``, ``iqr`` with ``level`` "".

    Notes
    -----
    Denominators: ``responsive`` over all units of the layer; every other class over the responsive
    units. Metrics over responsive units with a finite value (a metric that does not apply, such as
    the bandwidth of an untuned unit, is NaN in ``units.csv`` and so left out).

    The interval is Wilson's score interval (Wilson 1927, J. Am. Stat. Assoc. 22:209-212), computed by
    ``statsmodels.stats.proportion.proportion_confint(method="wilson")``:
    :math:`(\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}) / (1 + z^2/n)`.
    """
    check_units(units)
    rows = []
    for (model, layer), g in units.groupby(["model", "layer"], sort=False):
        resp = flag(g["responsive"].rename("responsive"))
        found = []
        found += _proportion_rows("responsive", "True", int(resp.sum()), len(g), alpha)
        g_resp = g[resp.to_numpy()]
        n_resp = len(g_resp)
        for col in FLAG_COLUMNS[1:]:
            if col in g:
                found += _proportion_rows(col, "True", int(flag(g_resp[col]).sum()), n_resp, alpha)
        for col in CATEGORY_COLUMNS:
            if col in g:
                levels = sorted(units[col].dropna().astype(str).unique())
                vals = g_resp[col].astype(str)
                for level in levels:
                    found += _proportion_rows(col, level, int((vals == level).sum()), n_resp, alpha)
        for col in METRIC_COLUMNS:
            if col in g:
                found += _metric_rows(col, pd.to_numeric(g_resp[col], errors="coerce").to_numpy(float))
        rows += [(model, layer, *r) for r in found]
    return pd.DataFrame(rows, columns=_LONG_COLUMNS)


def population_table(units: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """``population.csv``: one row per (model, layer), the long table of :func:`population_long` spread wide.

    Column names are ``<class>=<level>.<statistic>`` for classes (e.g. ``cell_class=simple.fraction``,
    ``simple=True.ci_low``) and ``<metric>.<statistic>`` for metrics (e.g. ``circular_variance.median``),
    after ``model``, ``layer``, ``n_units`` and ``n_responsive``.
    """
    long = population_long(units, alpha=alpha)
    name = np.where(long["level"] == "", long["quantity"], long["quantity"] + "=" + long["level"])
    long = long.assign(column=pd.Series(name, index=long.index) + "." + long["statistic"])
    wide = long.pivot_table(index=["model", "layer"], columns="column", values="value", sort=False,
                            dropna=False)
    wide.columns.name = None
    wide = wide.reset_index()
    counts = {"n_units": "responsive=True.n", "n_responsive": "responsive=True.count"}
    front = wide[["model", "layer"]].assign(**{k: wide[v].astype(int) for k, v in counts.items()})
    return pd.concat([front, wide.drop(columns=["model", "layer", *counts.values()])], axis=1)
