"""Block dissection: each residual block's shortcut, residual branch, sum and output characterised at the same units.

:func:`dissection_protocol` turns a protocol into one whose layers are, for each chosen block, the four response modes
``shortcut``, ``residual``, ``sum`` and ``post_relu`` (:mod:`v1lab.recording.blocks`), labelled ``<block>-<mode>``;
the run characterises them like any layer. :func:`dissection_table` then tabulates, per block and mode, the fraction
of orientation-selective units, the colour-class fractions and the median peak SF, and tests what the branch changes
relative to the shortcut (residual vs shortcut, sum vs shortcut) with :mod:`v1lab.compare.stats` (Fisher's exact test
on fractions, Mann-Whitney U and KS on peak SF and circular variance), Holm-corrected over the whole table.

The modes of one block are the same channels at the same position, so their populations are not independent samples;
the tests compare the populations of units (as two runs would be compared) and the paired column ``os_changed``
counts the channels responsive in both modes whose orientation selectivity differs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab.compare.stats import fraction_tests, holm, metric_tests
from v1lab.population import population_long
from v1lab.protocol.portable import portable_protocol
from v1lab.runs import atomic_path
from v1lab.units import flag

__all__ = ["MODES", "dissection_protocol", "dissection_table", "run_dissection"]

#: The recorded parts of each block, in table order.
MODES = ("shortcut", "residual", "sum", "post_relu")
#: What the tests compare: the branch and the sum, each against the shortcut.
PAIRS = (("shortcut", "residual"), ("shortcut", "sum"))
_CLASSES = ("orientation_selective", "color_class")
_METRICS = ("peak_sf_cpd", "circular_variance")


def dissection_protocol(protocol, blocks, *, modes=MODES) -> dict:
    """``protocol`` (a path or a mapping) with its layers replaced by every block's ``modes`` (labels
    ``<block>-<mode>``), named ``<name>-dissection``; stimulus files as absolute paths
    (:func:`v1lab.protocol.portable.portable_protocol`)."""
    data = portable_protocol(protocol)
    data["name"] = f"{data.get('name', 'protocol')}-dissection"
    data["layers"] = [{"name": b, "response": m, "label": f"{b}-{m}"} for b in blocks for m in modes]
    return data


def run_dissection(protocol, blocks=None, *, model=None, out=None, device=None, progress: bool = True, argv=None):
    """Run the dissection of ``blocks`` (default: every residual block of the model) and write ``dissection.csv`` and
    ``dissection_tests.csv`` into the run folder; returns the :class:`~v1lab.runs.Run`.

    ``protocol`` is a path or a mapping; ``model`` a spec or a module replacing the protocol's.
    """
    from v1lab.models import load_model
    from v1lab.protocol import run_protocol
    from v1lab.recording.blocks import residual_blocks

    data = portable_protocol(protocol)
    if blocks is None:
        loaded = load_model(model if model is not None else data["model"])
        blocks = [b.name for b in residual_blocks(loaded.module)]
    run = run_protocol(dissection_protocol(data, blocks), model=model, out=out, device=device, progress=progress,
                       argv=argv)
    summary, tests = dissection_table(run.units)
    for name, frame in (("dissection", summary), ("dissection_tests", tests)):
        with atomic_path(run.path / f"{name}.csv") as tmp:
            frame.to_csv(tmp, index=False)
    return run


def _split(units: pd.DataFrame) -> pd.DataFrame:
    """Units with ``layer`` the block and ``model`` the mode, from labels ``<block>-<mode>``."""
    parts = units["layer"].astype(str).str.rsplit("-", n=1, expand=True)
    keep = parts[1].isin(MODES) if parts.shape[1] == 2 else pd.Series(False, index=units.index)
    out = units[keep.to_numpy()].copy()
    out["layer"], out["model"] = parts.loc[keep, 0].to_numpy(), parts.loc[keep, 1].to_numpy()
    return out


def dissection_table(units: pd.DataFrame, *, alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The dissection's summary (one row per block and mode) and its tests (Holm over the whole table).

    Summary columns: ``block, mode, n_units, n_responsive``, ``orientation_selective`` (fraction of responsive units)
    with its Wilson interval, ``color_class=<level>`` fractions, ``peak_sf_cpd`` median with ``q1``/``q3``,
    ``circular_variance`` median, and ``os_changed`` (channels responsive in this mode and in the shortcut whose
    orientation selectivity differs from the shortcut's, as a fraction of them).
    """
    split = _split(units)
    if split.empty:
        return pd.DataFrame(), pd.DataFrame()
    long = population_long(split, alpha=alpha)
    rows = []
    for (block, mode), g in long.groupby(["layer", "model"], sort=False):
        row = {"block": block, "mode": mode}
        stat = {(q, lv, s): v for q, lv, s, v in g[["quantity", "level", "statistic", "value"]].itertuples(index=False)}
        row["n_units"], row["n_responsive"] = stat[("responsive", "True", "n")], stat[("responsive", "True", "count")]
        for s in ("fraction", "ci_low", "ci_high"):
            key = "orientation_selective" + ("" if s == "fraction" else f"_{s}")
            row[key] = stat.get(("orientation_selective", "True", s), np.nan)
        for (q, level, s), v in stat.items():
            if q == "color_class" and s == "fraction":
                row[f"color_class={level}"] = v
        for s in ("median", "q1", "q3"):
            row[f"peak_sf_cpd_{s}"] = stat.get(("peak_sf_cpd", "", s), np.nan)
        row["circular_variance_median"] = stat.get(("circular_variance", "", "median"), np.nan)
        row["os_changed"] = _changed(split, block, mode)
        rows.append(row)
    summary = pd.DataFrame(rows)
    fractions = fraction_tests(split, MODES, pairs=PAIRS, alpha=alpha)
    fractions = fractions[fractions["quantity"].isin(_CLASSES)]
    metrics = metric_tests(split, MODES, pairs=PAIRS, metrics=_METRICS)
    return summary, holm(fractions, metrics, alpha=alpha).rename(columns={"layer": "block"})


def _changed(split: pd.DataFrame, block: str, mode: str) -> float:
    g = split[split["layer"] == block]
    a = g[g["model"] == "shortcut"].set_index("channel")
    b = g[g["model"] == mode].set_index("channel")
    both = a.index.intersection(b.index)
    both = both[flag(a.loc[both, "responsive"]).to_numpy() & flag(b.loc[both, "responsive"]).to_numpy()]
    if not len(both):
        return np.nan
    return float(np.mean(flag(a.loc[both, "orientation_selective"]).to_numpy()
                         != flag(b.loc[both, "orientation_selective"]).to_numpy()))
