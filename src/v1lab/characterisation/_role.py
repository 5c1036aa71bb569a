"""What an analyser returns: its declared columns, and the tuning curves it asks to be fitted."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["FitRequest", "RoleResult"]


@dataclass(frozen=True)
class FitRequest:
    """Curves (U, n) sampled at ``x`` (n,) for one fit prefix, or the reason they cannot be fitted."""

    curves: np.ndarray | None = None
    x: np.ndarray | None = None
    reason: str = ""


@dataclass(frozen=True)
class RoleResult:
    """One analyser's output: a frame of the columns it declares (one row per unit), its fit requests, and the
    tuning curves it measured without fitting them (for display, :func:`v1lab.characterisation.tuning_curves`)."""

    columns: pd.DataFrame
    fits: dict[str, FitRequest] = field(default_factory=dict)
    curves: dict[str, FitRequest] = field(default_factory=dict)
