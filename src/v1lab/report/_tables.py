"""Tables of the report: CSV frames as escaped HTML, numbers rounded for reading."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

__all__ = ["format_value", "table_html"]

_SIGNIFICANT = 3


def format_value(value) -> str:
    """The text a table cell shows for ``value``.

    Missing values are empty; booleans and integers print as they are; a float with an integral value
    below 1e15 prints as an integer (counts read back from CSV); other floats keep 3 significant digits,
    in positional notation between 1e-3 and 1e5 (at least the integer digits above 1000) and in scientific
    notation outside (p-values such as ``2.41e-07``).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x == int(x) and abs(x) < 1e15:
            return str(int(x))
        if 1e-3 <= abs(x) < 1e5:
            digits = max(0, _SIGNIFICANT - 1 - math.floor(math.log10(abs(x))))
            return f"{x:.{digits}f}"
        return f"{x:.{_SIGNIFICANT - 1}e}"
    return str(value)


def table_html(frame: pd.DataFrame, *, max_rows: int | None = None, table_id: str | None = None) -> str:
    """``frame`` as an HTML table (cells formatted by :func:`format_value`, text escaped, no index).

    With ``max_rows``, only the first ``max_rows`` rows are shown.
    """
    shown = frame if max_rows is None else frame.head(max_rows)
    text = shown.astype(object).map(format_value) if len(shown.columns) else shown
    return text.to_html(index=False, escape=True, border=0, na_rep="", classes="data", table_id=table_id)
