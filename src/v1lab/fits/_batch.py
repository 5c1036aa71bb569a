"""The result of fitting one model to a batch of curves, in the manner of statsmodels' results objects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from v1lab.fits._result import FitResult

__all__ = ["FitBatch"]


@dataclass(frozen=True)
class FitBatch:
    """Fits of one :class:`~v1lab.fits.CurveModel` to ``U`` curves sampled at the same ``x``.

    Attributes
    ----------
    model : CurveModel
    x : ndarray, shape (n,)
        Stimulus values the curves were sampled at.
    params, ci_low, ci_high : ndarray, shape (U, p)
        Best-fit parameters (in their reported form, e.g. angles wrapped) and the ends of their
        ``ci_level`` Wald intervals; NaN where a curve was not fitted.
    cov : ndarray, shape (U, p, p)
        Least-squares covariance :math:`s^2 (J^T J)^{-1}` at the optimum (NaN where not identifiable).
    r_squared : ndarray, shape (U,)
    derived : ndarray, shape (U, d)
        The model's derived quantities (``model.derived_names``).
    status, reason : ndarray of str, shape (U,)
        ``ok``, ``failed``, ``skipped`` or ``no data``, and why (or a caveat of a successful fit).
    n_obs : int
    ci_level : float
    ci_method : str
    """

    model: object
    x: np.ndarray
    params: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    cov: np.ndarray
    r_squared: np.ndarray
    derived: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    n_obs: int
    ci_level: float
    ci_method: str

    @classmethod
    def not_fitted(cls, model, n_curves: int, status: str, reason: str, *, x=(), n_obs: int | None = None,
                   ci_level: float = 0.95, ci_method: str = "") -> FitBatch:
        """``n_curves`` rows that were not fitted: every number NaN, the given status and reason; ``n_obs``
        defaults to the number of samples ``x``."""
        p, d = len(model.names), len(model.derived_names)
        nan = np.full((n_curves, p), np.nan)
        return cls(model, np.asarray(x, float), nan, nan.copy(), nan.copy(), np.full((n_curves, p, p), np.nan),
                   np.full(n_curves, np.nan), np.full((n_curves, d), np.nan), np.full(n_curves, status, object),
                   np.full(n_curves, reason, object), len(x) if n_obs is None else n_obs, ci_level, ci_method)

    def __len__(self) -> int:
        return len(self.status)

    def __getitem__(self, i: int) -> FitResult:
        names = self.model.names
        return FitResult(model=self.model.name, params=dict(zip(names, map(float, self.params[i]))),
                         ci_low=dict(zip(names, map(float, self.ci_low[i]))),
                         ci_high=dict(zip(names, map(float, self.ci_high[i]))), ci_method=self.ci_method,
                         ci_level=self.ci_level, r_squared=float(self.r_squared[i]), n_obs=self.n_obs,
                         success=self.status[i] == "ok", reason=str(self.reason[i]),
                         derived=dict(zip(self.model.derived_names, map(float, self.derived[i]))))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    @property
    def success(self) -> np.ndarray:
        """Which curves were fitted."""
        return self.status == "ok"

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        r"""Wald intervals (U, p, 2) at level :math:`1 - \alpha`:
        :math:`\hat p \pm t_{1-\alpha/2,\, n-p} \sqrt{C_{jj}}`."""
        se = np.sqrt(np.diagonal(self.cov, axis1=1, axis2=2))
        half = stats.t.ppf(1 - alpha / 2, max(self.n_obs - len(self.model.names), 1)) * se
        return np.stack([self.params - half, self.params + half], axis=-1)

    def predict(self, x=None) -> np.ndarray:
        """The fitted curves (U, len(x)) at ``x`` (default: the fitted samples); NaN where not fitted."""
        x = self.x if x is None else np.asarray(x, dtype=float).ravel()
        with np.errstate(all="ignore"):
            return np.asarray(self.model.func(x[None, :], *self.params.T[:, :, None]), dtype=float)

    def place(self, rows, n_curves: int, *, status: str, reason: str) -> FitBatch:
        """A batch of ``n_curves`` rows holding these fits at positions ``rows``; the other rows not fitted."""
        out = FitBatch.not_fitted(self.model, n_curves, status, reason, x=self.x, n_obs=self.n_obs,
                                  ci_level=self.ci_level, ci_method=self.ci_method)
        rows = np.asarray(rows, dtype=int)
        for name in ("params", "ci_low", "ci_high", "cov", "r_squared", "derived", "status", "reason"):
            getattr(out, name)[rows] = getattr(self, name)
        return out

    def to_frame(self, prefix: str) -> pd.DataFrame:
        """One row per curve: ``<prefix>_<param>`` with ``_ci_low`` / ``_ci_high``, the derived quantities,
        ``<prefix>_r2``, ``<prefix>_status``, ``<prefix>_reason`` (the units-table fit columns)."""
        data = {}
        for j, name in enumerate(self.model.names):
            data[f"{prefix}_{name}"] = self.params[:, j]
            data[f"{prefix}_{name}_ci_low"] = self.ci_low[:, j]
            data[f"{prefix}_{name}_ci_high"] = self.ci_high[:, j]
        for j, name in enumerate(self.model.derived_names):
            data[f"{prefix}_{name}"] = self.derived[:, j]
        data[f"{prefix}_r2"] = self.r_squared
        data[f"{prefix}_status"] = self.status.astype(str)
        data[f"{prefix}_reason"] = self.reason.astype(str)
        return pd.DataFrame(data)

    def summary(self) -> str:
        """Counts by status and the median of each parameter over the fitted curves."""
        ok = self.success
        lines = [f"{self.model.name}: {len(self)} curves, {int(ok.sum())} fitted, n_obs = {self.n_obs}"]
        for status in sorted(set(self.status) - {"ok"}):
            lines.append(f"  {status}: {int(np.sum(self.status == status))}")
        if ok.any():
            lines.append(f"  median R^2 = {np.nanmedian(self.r_squared[ok]):.4g}")
            for j, name in enumerate(self.model.names):
                lines.append(f"  {name:<14} median {np.nanmedian(self.params[ok, j]):.5g}")
        return "\n".join(lines)
