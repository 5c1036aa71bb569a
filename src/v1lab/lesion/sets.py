"""The sets of units to lesion: inactive sets, cell-class groups, single units, and the null sets they are
compared with (random-active and property-matched)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp, rankdata

from v1lab.errors import AnalysisError, UnitsTableError

__all__ = ["LesionSet", "inactive_sets", "random_controls", "match_strata", "matched_controls", "match_quality",
           "single_unit_sets", "class_sets", "read_class_groups", "CLASS_FLAGS", "NULLS"]

#: Boolean columns of ``units.csv`` whose True units form a group (``not_responsive`` is added too).
CLASS_FLAGS = ("double_opponent", "single_opponent", "orientation_selective", "simple", "responsive")

#: The two null distributions a tested set is compared with (the ``null`` column of ``lesion.csv``).
NULLS = ("matched", "random-active")


@dataclass(frozen=True)
class LesionSet:
    """Channels silenced together.

    Attributes
    ----------
    kind : {"inactive", "class", "random", "single"}
        ``"random"`` is a null set (a random draw of either null).
    definition : str
        The inactivity definition, the class group, the tested set a null set belongs to, or ``"unit"``.
    channels : tuple of int
    draw : int or None
        Index of a null set.
    null : {"matched", "random-active"} or None
        The null a null set belongs to (:data:`NULLS`).
    """

    kind: str
    definition: str
    channels: tuple[int, ...]
    draw: int | None = None
    null: str | None = None

    @property
    def set_id(self) -> str:
        """A file-safe identifier, unique within an experiment."""
        if self.kind == "single":
            return f"single-{self.channels[0]:04d}"
        kind = "matched" if self.null == "matched" else self.kind
        base = f"{kind}-{''.join(c if c.isalnum() or c in '-_' else '_' for c in self.definition)}"
        return base if self.draw is None else f"{base}-{self.draw:04d}"


def inactive_sets(flags: dict[str, list[int]]) -> list[LesionSet]:
    """One set per inactivity definition that flags at least one unit."""
    return [LesionSet("inactive", name, tuple(ch)) for name, ch in flags.items() if ch]


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def random_controls(tested: LesionSet, n_channels: int, n_draws: int, seed: int) -> list[LesionSet]:
    """The random-active null: ``n_draws`` sets of ``len(tested.channels)`` units from the units *outside* ``tested``.

    For an inactive set the units outside it are the units active by its definition, so this null is not
    exchangeable with the tested set (it answers "do these units matter less than active ones?", which
    they do by construction); it is kept as a reference next to :func:`matched_controls`. Each draw is
    uniform without replacement; draws are independent (with replacement between draws, as the
    Monte-Carlo p-value of Phipson & Smyth 2010 assumes). The generator is seeded by ``seed`` and a CRC-32
    of ``tested.set_id``, so every tested set has its own reproducible stream. Returns no draws when fewer
    units lie outside than inside the set.
    """
    pool = np.setdiff1d(np.arange(n_channels), np.asarray(tested.channels, dtype=int))
    k = len(tested.channels)
    if k == 0 or len(pool) < k:
        return []
    rng = _rng(seed, tested.set_id)
    return [LesionSet("random", tested.set_id, tuple(int(c) for c in np.sort(rng.choice(pool, k, replace=False))),
                      draw=i, null="random-active") for i in range(n_draws)]


def match_strata(values: np.ndarray, tested: Sequence[int], n_strata: int) -> np.ndarray:
    r"""Strata of a layer's units for the null matched to ``tested`` on one property.

    1. Quantile bins: unit :math:`c` with property rank :math:`r_c` (0-based, ties share the lowest rank)
       goes to bin :math:`\lfloor n_{strata} r_c / n \rfloor`, so tied units share a bin.
    2. Widening: while a bin holds more tested units :math:`k_s` than untested ones :math:`n_s - k_s`, the
       bin with the largest deficit is merged with the neighbour (in property order) with more spare
       untested units (the upper one on a tie). Every final stratum that holds tested units then holds at
       least as many untested ones, so a null set can avoid the tested units entirely and a stratum offers
       at least :math:`\binom{2k_s}{k_s}` sets. A tested set in an extreme tail (inactive units are the
       low-norm tail) is thus matched to the nearest units above it, not to units of the same value: the
       achieved matching is measured by :func:`match_quality`.

    Parameters
    ----------
    values : ndarray of float, shape (n,)
        The property of every unit (finite).
    tested : sequence of int
        The tested set's units.
    n_strata : int
        Quantile bins before merging.

    Returns
    -------
    ndarray of int, shape (n,)
        Stratum of each unit, ``0..S-1`` in increasing order of the property.
    """
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all():
        raise AnalysisError("matched null: the matching property is not finite for every unit; expected a "
                            "measured property (is its measure unavailable for this layer?)")
    n = len(values)
    bins = (min(n_strata, n) * (rankdata(values, method="min") - 1)) // n
    is_tested = np.zeros(n, dtype=bool)
    is_tested[list(tested)] = True
    groups = [np.flatnonzero(bins == b) for b in np.unique(bins)]
    while len(groups) > 1:
        spare = [len(g) - 2 * int(is_tested[g].sum()) for g in groups]
        if min(spare) >= 0:
            break
        i = int(np.argmin(spare))
        j = max((j for j in (i - 1, i + 1) if 0 <= j < len(groups)), key=lambda j: (spare[j], j))
        lo, hi = min(i, j), max(i, j)
        groups[lo:hi + 1] = [np.concatenate(groups[lo:hi + 1])]
    strata = np.empty(n, dtype=int)
    for s, g in enumerate(groups):
        strata[g] = s
    return strata


def matched_controls(tested: LesionSet, values: np.ndarray, n_draws: int, seed: int, *,
                     n_strata: int) -> list[LesionSet]:
    r"""The matched null: ``n_draws`` sets with as many units in every stratum of the property as ``tested``.

    Strata are those of :func:`match_strata`. A draw takes, in every stratum :math:`s`, :math:`k_s` units
    (the tested set's count there) uniformly without replacement from *all* :math:`n_s` units of the
    stratum, the tested ones included; draws are independent. This is a stratified (restricted)
    permutation test: under :math:`H_0` "given the strata, which units carry the tested label does not
    matter" (a lesion's effect depends on the property only through its stratum), the tested set is itself
    a uniform draw from the sets this null samples, so its effect is exchangeable with theirs and
    :math:`p = (b + 1)/(m + 1)` is exact (Phipson & Smyth 2010; stratified randomisation tests: Rosenbaum
    2002, *Observational Studies*, 2nd ed., ch. 2). Drawing only from the untested units instead would
    make a null the tested set can never be a member of, and in an extreme stratum it would leave no
    matched units at all. The exactness is conditional on the strata, which depend on the tested set
    only through the widening rule.

    Seeded by ``seed`` and a CRC-32 of ``"matched:" + tested.set_id``. Returns no draws when the strata
    allow only the tested set itself.

    Parameters
    ----------
    tested : LesionSet
    values : ndarray of float, shape (n_channels,)
        The defining property of every unit.
    n_draws : int
    seed : int
    n_strata : int
        Quantile bins before merging (:func:`match_strata`).
    """
    chosen = np.asarray(tested.channels, dtype=int)
    if len(chosen) == 0:
        return []
    strata = match_strata(values, chosen, n_strata)
    pools = [(np.flatnonzero(strata == s), int(np.sum(strata[chosen] == s))) for s in np.unique(strata[chosen])]
    if all(len(pool) == k for pool, k in pools):
        return []
    rng = _rng(seed, f"matched:{tested.set_id}")
    return [LesionSet("random", tested.set_id,
                      tuple(sorted(int(c) for pool, k in pools for c in rng.choice(pool, k, replace=False))),
                      draw=i, null="matched") for i in range(n_draws)]


def match_quality(tested: Sequence[int], draws: Sequence[Sequence[int]], values: np.ndarray) -> dict:
    r"""How well null sets match a tested set on a property.

    Returns
    -------
    dict
        ``property_mean`` (mean over draws of the set's mean property), ``ks`` (two-sample
        Kolmogorov-Smirnov distance :math:`\sup_x |F_{tested}(x) - F_{null}(x)|` between the tested units'
        values and the pooled null units' values; ``scipy.stats.ks_2samp``), ``overlap`` (mean fraction of a
        null set's units that are tested units) and ``distinct`` (number of different null sets).
    """
    values = np.asarray(values, dtype=float)
    tested_set = set(tested)
    pooled = np.concatenate([np.asarray(d, dtype=int) for d in draws])
    return {"property_mean": float(np.mean([values[list(d)].mean() for d in draws])),
            "ks": float(ks_2samp(values[list(tested)], values[pooled]).statistic),
            "overlap": float(np.mean([len(tested_set & set(d)) / len(d) for d in draws])),
            "distinct": len({tuple(d) for d in draws})}


def single_unit_sets(n_channels: int) -> list[LesionSet]:
    """Every unit alone."""
    return [LesionSet("single", "unit", (c,)) for c in range(n_channels)]


def read_class_groups(path: str | Path, *, layer: str, n_channels: int) -> dict[str, list[int]]:
    """Groups of channels by cell class from a units table (a run folder, ``units.csv`` or ``units.parquet``).

    Rows are those of ``layer``; channels come from the ``channel`` column. Groups: each boolean column of
    :data:`CLASS_FLAGS` (units where True), ``not_responsive``, and ``cell_class=<value>`` for each value of
    ``cell_class``.
    """
    from v1lab.units import flag, read_units

    table = read_units(path, strict=False)
    needed = ["layer", "channel", *CLASS_FLAGS, "cell_class"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise UnitsTableError(f"{path}: missing column(s) {missing}; expected {needed}")
    table = table[table["layer"].astype(str) == layer]
    if table.empty:
        raise UnitsTableError(f"{path}: no row with layer == {layer!r}")
    channels = pd.to_numeric(table["channel"], errors="coerce")
    if channels.isna().any() or (channels < 0).any() or (channels >= n_channels).any():
        raise UnitsTableError(f"{path}: column `channel` holds values outside 0..{n_channels - 1}")
    channels = channels.astype(int).to_numpy()
    groups: dict[str, list[int]] = {}
    for column in CLASS_FLAGS:
        mask = flag(table[column]).to_numpy()
        groups[column] = sorted(set(channels[mask].tolist()))
        if column == "responsive":
            groups["not_responsive"] = sorted(set(channels[~mask].tolist()))
    for value in sorted(table["cell_class"].dropna().astype(str).unique()):
        groups[f"cell_class={value}"] = sorted(set(channels[(table["cell_class"].astype(str) == value).to_numpy()]
                                                   .tolist()))
    return groups


def class_sets(groups: dict[str, list[int]]) -> list[LesionSet]:
    """One set per non-empty group."""
    return [LesionSet("class", name, tuple(ch)) for name, ch in groups.items() if ch]
