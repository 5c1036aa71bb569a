"""The sets of units to lesion: inactive sets, random controls, single units, cell-class groups."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from v1lab.errors import UnitsTableError

__all__ = ["LesionSet", "inactive_sets", "random_controls", "single_unit_sets", "class_sets", "read_class_groups",
           "CLASS_FLAGS"]

#: Boolean columns of ``units.csv`` whose True units form a group (``not_responsive`` is added too).
CLASS_FLAGS = ("double_opponent", "single_opponent", "orientation_selective", "simple", "responsive")


@dataclass(frozen=True)
class LesionSet:
    """Channels silenced together.

    Attributes
    ----------
    kind : {"inactive", "class", "random", "single"}
    definition : str
        The inactivity definition, the class group, the tested set a random control belongs to, or
        ``"unit"``.
    channels : tuple of int
    draw : int or None
        Index of a random control.
    """

    kind: str
    definition: str
    channels: tuple[int, ...]
    draw: int | None = None

    @property
    def set_id(self) -> str:
        """A file-safe identifier, unique within an experiment."""
        if self.kind == "single":
            return f"single-{self.channels[0]:04d}"
        base = f"{self.kind}-{''.join(c if c.isalnum() or c in '-_' else '_' for c in self.definition)}"
        return base if self.draw is None else f"{base}-{self.draw:04d}"


def inactive_sets(flags: dict[str, list[int]]) -> list[LesionSet]:
    """One set per inactivity definition that flags at least one unit."""
    return [LesionSet("inactive", name, tuple(ch)) for name, ch in flags.items() if ch]


def random_controls(tested: LesionSet, n_channels: int, n_draws: int, seed: int) -> list[LesionSet]:
    """``n_draws`` random sets of ``len(tested.channels)`` units drawn from the units *outside* ``tested``.

    Each draw is uniform without replacement; draws are independent (with replacement between draws, as
    the permutation p-value of Phipson & Smyth 2010 assumes). The generator is seeded by ``seed`` and a
    CRC-32 of ``tested.set_id``, so every tested set has its own reproducible stream. Returns no draws
    when fewer units lie outside than inside the set.
    """
    pool = np.setdiff1d(np.arange(n_channels), np.asarray(tested.channels, dtype=int))
    k = len(tested.channels)
    if k == 0 or len(pool) < k:
        return []
    rng = np.random.default_rng([seed, zlib.crc32(tested.set_id.encode())])
    return [LesionSet("random", tested.set_id, tuple(int(c) for c in np.sort(rng.choice(pool, k, replace=False))),
                      draw=i) for i in range(n_draws)]


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
