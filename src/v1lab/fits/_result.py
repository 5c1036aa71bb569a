"""The result object of every tuning-curve fit: parameters, confidence intervals, R^2, status and reason."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FitResult"]


@dataclass(frozen=True)
class FitResult:
    """Outcome of one least-squares fit, successful or not (statsmodels-style: named fields and ``summary()``).

    Attributes
    ----------
    model : str
        Model name, e.g. ``"von_mises"``.
    params : dict[str, float]
        Best-fit parameters by name (NaN when the fit failed).
    ci_low, ci_high : dict[str, float]
        Lower and upper ends of the ``ci_level`` confidence interval of each parameter (NaN when unavailable).
    ci_method : str
        How the intervals were computed.
    ci_level : float
        Coverage of the intervals, e.g. 0.95.
    r_squared : float
        :math:`1 - SS_{res}/SS_{tot}` on the fitted samples (NaN when the fit failed or the data are flat).
    n_obs : int
        Number of samples fitted.
    success : bool
        Whether best-fit parameters were found.
    reason : str
        Why the fit failed, or a caveat of a successful fit (empty when there is none).
    derived : dict[str, float]
        Quantities computed from the parameters (e.g. the bandwidth of the fitted curve).
    """

    model: str
    params: dict[str, float]
    ci_low: dict[str, float]
    ci_high: dict[str, float]
    ci_method: str
    ci_level: float
    r_squared: float
    n_obs: int
    success: bool
    reason: str = ""
    derived: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``"ok"`` or ``"failed"``."""
        return "ok" if self.success else "failed"

    def as_row(self, prefix: str) -> dict:
        """Flat ``{prefix_param: value, prefix_param_ci_low: ..., prefix_r2: ..., prefix_status: ...}``."""
        row = {}
        for name, value in self.params.items():
            row[f"{prefix}_{name}"] = value
            row[f"{prefix}_{name}_ci_low"] = self.ci_low[name]
            row[f"{prefix}_{name}_ci_high"] = self.ci_high[name]
        for name, value in self.derived.items():
            row[f"{prefix}_{name}"] = value
        row[f"{prefix}_r2"] = self.r_squared
        row[f"{prefix}_status"] = self.status
        row[f"{prefix}_reason"] = self.reason
        return row

    def summary(self) -> str:
        """A plain-text table of the fit, one parameter per line."""
        pct = f"{100 * self.ci_level:g}%"
        lines = [
            f"{self.model} fit: {self.status}" + (f" ({self.reason})" if self.reason else ""),
            f"n_obs = {self.n_obs}, R^2 = {self.r_squared:.4g}, CI: {pct} {self.ci_method}",
            f"{'parameter':<16}{'value':>12}{'ci_low':>12}{'ci_high':>12}",
        ]
        for name, value in self.params.items():
            lines.append(f"{name:<16}{value:>12.5g}{self.ci_low[name]:>12.5g}{self.ci_high[name]:>12.5g}")
        for name, value in self.derived.items():
            lines.append(f"{name:<16}{value:>12.5g}{'(derived)':>24}")
        return "\n".join(lines)
