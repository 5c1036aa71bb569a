"""Adjusted p-values for a family of tests.

Holm's (1979) step-down procedure: with the family's m p-values in ascending order,
:math:`p_{(1)} \\le \\dots \\le p_{(m)}`, the adjusted p-value of the i-th is

.. math:: \\tilde p_{(i)} = \\min\\bigl(1, \\max_{j \\le i} (m - j + 1)\\, p_{(j)}\\bigr),

and :math:`H_{(i)}` is rejected at family-wise level :math:`\\alpha` iff :math:`\\tilde p_{(i)} \\le \\alpha`
(the step-down rule: reject while :math:`p_{(j)} \\le \\alpha / (m - j + 1)`, stop at the first that is not).

Holm is computed here because statsmodels' (``multipletests(method="holm")``, statsmodels 0.15) runs a full
``gc.collect()`` on every call, a tenth of a second or more in a process that holds torch (``python -m benchmarks
fixed_costs``), and a run adjusts several families.
Every other method is statsmodels'. Missing p-values (NaN) are not part of the family: they stay NaN and are
not rejected, and m counts the others (as R's ``p.adjust`` does).

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian Journal of Statistics*,
6(2), 65-70.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adjust_p_values"]


def adjust_p_values(p_values, method: str = "holm", alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """``(reject, adjusted)`` for ``p_values`` (any 1-d array-like) by ``method``: ``"holm"`` (above) or any
    method of :func:`statsmodels.stats.multitest.multipletests`; both arrays in the input's order."""
    p = np.asarray(p_values, dtype=float).ravel()
    reject, adjusted = np.zeros(p.shape, bool), np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if not tested.any():
        return reject, adjusted
    if method == "holm":
        reject[tested], adjusted[tested] = _holm(p[tested], alpha)
    else:
        from statsmodels.stats.multitest import multipletests

        reject[tested], adjusted[tested] = multipletests(p[tested], alpha=alpha, method=method)[:2]
    return reject, adjusted


def _holm(p: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(p, kind="stable")
    m = len(p)
    steps = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = steps
    return adjusted <= alpha, adjusted
