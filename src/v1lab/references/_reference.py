"""The :class:`Reference` record: one published distribution (or proportion) of one V1 property.

A reference is a histogram: ``bin_edges`` (``k + 1`` increasing numbers, in the unit of the property),
``counts`` (``k`` cell counts) and ``n`` (their sum), with the citation, the species, the area, the
definition of the quantity and the rule that decided which cells were counted. Published figures are
histograms, so the histogram is what a comparison uses; where v1lab derived a reference from a
per-neuron database it also ships exact summary statistics (``summary``).

Values outside the outermost edges are counted in the first or last bin ("clipped"), which is what the
Brain-Score V1 property benchmarks do before binning (Marques, Schrimpf & DiCarlo 2021).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from v1lab.errors import ReferenceDataError

__all__ = ["CONVENTION_FIELDS", "Citation", "Reference", "load_reference", "list_references"]

_DATA_PACKAGE = "v1lab.references"
_KINDS = ("distribution", "proportion")
_EDGE_RTOL = 1e-9  # values this close to a bin edge (relative) count as on it
_SCALES = ("linear", "log2")
_REQUIRED = (
    "name", "property", "kind", "unit", "citation", "species", "area", "n", "definition", "inclusion",
    "bin_edges", "counts", "bin_scale", "provenance",
)
_CITATION_FIELDS = ("authors", "year", "title", "journal", "volume", "pages", "figure")
#: The keys of a reference's ``convention`` block (all required).
CONVENTION_FIELDS = ("model_column", "transform", "eligible", "model_inclusion", "source", "verified", "note")
_VERIFIED = ("paper", "implementation", "unverified")


@dataclass(frozen=True)
class Citation:
    """Where a reference comes from: the paper, and the figure or table (or database) within it."""

    authors: str
    year: int
    title: str
    journal: str
    volume: str
    pages: str
    figure: str
    doi: str | None = None

    def __str__(self) -> str:
        doi = f" doi:{self.doi}" if self.doi else ""
        return (f"{self.authors} ({self.year}) {self.title}. {self.journal} {self.volume}:{self.pages}."
                f"{doi} [{self.figure}]")


@dataclass(frozen=True)
class Reference:
    """A binned biological distribution of one V1 property, with its citation and provenance.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"ringach2002_circular_variance"``.
    property : str
        The property in v1lab's vocabulary (e.g. ``"circular_variance"``, ``"peak_sf_cpd"``).
    kind : {"distribution", "proportion"}
        A proportion is a two-bin histogram on edges ``[0, 0.5, 1]``: counts of cells without and with
        the attribute.
    unit : str
        Unit of the property ("1" for dimensionless, "deg", "cycles/deg", "%").
    citation : Citation
    species, area : str
    n : int
        Number of cells in the histogram (the sum of ``counts``).
    definition : str
        How the quantity was defined and measured in the source.
    inclusion : str
        Which cells the source counted (the rule a model unit must also pass).
    bin_edges : numpy.ndarray, shape (k + 1,)
    counts : numpy.ndarray of int, shape (k,)
    bin_scale : {"linear", "log2"}
        Scale on which values are spread uniformly within a bin by :meth:`sample`.
    summary : dict
        Exact summary statistics where the per-neuron data were available (else empty).
    provenance : dict
        How the shipped numbers were obtained (database and checksum, or digitised source).
    subgroups : dict
        Optional per-subgroup counts on the same edges (e.g. simple/complex, foveal/parafoveal).
    convention : dict
        How the model's value is computed by this reference's definition (:data:`CONVENTION_FIELDS`):
        ``model_column`` (a units-table column), ``transform`` and ``eligible`` (named rules of
        :mod:`v1lab.population`), ``model_inclusion`` (which units enter: a named rule), ``source`` (where the
        definition was checked), ``verified`` (``paper``, ``implementation`` or ``unverified``) and ``note``.
    """

    name: str
    property: str
    kind: str
    unit: str
    citation: Citation
    species: str
    area: str
    n: int
    definition: str
    inclusion: str
    bin_edges: np.ndarray
    counts: np.ndarray
    bin_scale: str
    provenance: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)
    subgroups: dict[str, list[int]] = field(default_factory=dict)
    convention: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> str:
        """``paper`` (the definition read in the source's text), ``implementation`` (checked against a published
        re-implementation, e.g. Brain-Score's, but not in the paper) or ``unverified``."""
        return str(self.convention.get("verified", "unverified"))

    @property
    def probabilities(self) -> np.ndarray:
        """Fraction of cells in each bin, ``counts / n``."""
        return self.counts / self.n

    @property
    def fraction(self) -> float:
        """For a proportion: the fraction of cells with the attribute (the upper bin)."""
        if self.kind != "proportion":
            raise ReferenceDataError(f"reference {self.name!r}: `fraction` needs kind 'proportion', "
                                     f"got kind {self.kind!r}")
        return float(self.counts[1] / self.n)

    def histogram(self, values) -> np.ndarray:
        """Counts of ``values`` on this reference's bins, values outside the edges clipped into the end bins.

        Non-finite values are dropped. Bins are half-open ``[e_i, e_{i+1})`` except the last, which is
        closed (``numpy.histogram``). A value within 1e-9 (relative) of an edge counts as on the edge: a
        stimulus grid point such as 11.2 cpd arrives as 11.199999999999998 from a spline peak and as 11.2
        from a CSV round trip, and both must fall in the same bin.
        """
        values = np.asarray(values, dtype=float).ravel()
        values = np.clip(values[np.isfinite(values)], self.bin_edges[0], self.bin_edges[-1])
        nearest = self.bin_edges[np.abs(values[:, None] - self.bin_edges[None, :]).argmin(axis=1)]
        values = np.where(np.isclose(values, nearest, rtol=_EDGE_RTOL, atol=0.0), nearest, values)
        return np.histogram(values, bins=self.bin_edges)[0]

    def cdf(self, x) -> np.ndarray:
        """Empirical CDF of the binned distribution at ``x``: exact at the bin edges, linear in between.

        Within a bin the mass is spread uniformly on the bin's scale (``bin_scale``), so the CDF is
        piecewise linear in ``x`` (linear bins) or in ``log2 x`` (log2 bins).
        """
        x = np.asarray(x, dtype=float)
        cum = np.concatenate([[0.0], np.cumsum(self.probabilities)])
        if self.bin_scale == "log2":
            return np.interp(np.log2(x), np.log2(self.bin_edges), cum, left=0.0, right=1.0)
        return np.interp(x, self.bin_edges, cum, left=0.0, right=1.0)

    def sample(self, size: int, *, rng: np.random.Generator) -> np.ndarray:
        """Draw ``size`` values: a bin by its probability, then a value uniform within it (on ``bin_scale``)."""
        bins = rng.choice(len(self.counts), size=size, p=self.probabilities)
        lo, hi = self.bin_edges[bins], self.bin_edges[bins + 1]
        u = rng.random(size)
        if self.bin_scale == "log2":
            return np.exp2(np.log2(lo) + u * (np.log2(hi) - np.log2(lo)))
        return lo + u * (hi - lo)


def _check(name: str, raw: dict) -> Reference:
    where = f"reference file {name}.json"
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ReferenceDataError(f"{where}: missing field(s) {missing}; expected all of {list(_REQUIRED)}")
    cit = raw["citation"]
    missing = [k for k in _CITATION_FIELDS if not cit.get(k)]
    if missing:
        raise ReferenceDataError(f"{where}: citation lacks {missing}; expected {list(_CITATION_FIELDS)}")
    if raw["kind"] not in _KINDS:
        raise ReferenceDataError(f"{where}: field `kind` is {raw['kind']!r}; expected one of {_KINDS}")
    if raw["bin_scale"] not in _SCALES:
        raise ReferenceDataError(f"{where}: field `bin_scale` is {raw['bin_scale']!r}; expected one of {_SCALES}")
    edges = np.asarray(raw["bin_edges"], dtype=float)
    counts = np.asarray(raw["counts"])
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
        raise ReferenceDataError(f"{where}: `bin_edges` {raw['bin_edges']} must be >= 2 increasing numbers")
    if counts.shape != (edges.size - 1,) or not np.all(counts >= 0) or not np.all(counts == np.round(counts)):
        raise ReferenceDataError(f"{where}: `counts` {raw['counts']} must be {edges.size - 1} non-negative integers")
    counts = counts.astype(int)
    if int(raw["n"]) != int(counts.sum()):
        raise ReferenceDataError(f"{where}: `n` is {raw['n']} but the counts sum to {int(counts.sum())}")
    if raw["kind"] == "proportion" and not np.allclose(edges, [0.0, 0.5, 1.0]):
        raise ReferenceDataError(f"{where}: a proportion needs `bin_edges` [0, 0.5, 1], got {raw['bin_edges']}")
    if raw["bin_scale"] == "log2" and edges[0] <= 0:
        raise ReferenceDataError(f"{where}: log2 bins need positive edges, got first edge {edges[0]}")
    for sub, sub_counts in raw.get("subgroups", {}).items():
        if len(sub_counts) != counts.size:
            raise ReferenceDataError(f"{where}: subgroup {sub!r} has {len(sub_counts)} counts, expected {counts.size}")
    convention = raw.get("convention", {})
    missing = [k for k in CONVENTION_FIELDS if k not in convention]
    if missing:
        raise ReferenceDataError(f"{where}: `convention` lacks {missing}; expected {list(CONVENTION_FIELDS)}")
    if convention["verified"] not in _VERIFIED:
        raise ReferenceDataError(f"{where}: `convention.verified` is {convention['verified']!r}; expected one of "
                                 f"{_VERIFIED}")
    if raw["name"] != name:
        raise ReferenceDataError(f"{where}: field `name` is {raw['name']!r}; expected the file stem {name!r}")
    return Reference(
        name=raw["name"], property=raw["property"], kind=raw["kind"], unit=raw["unit"],
        citation=Citation(**{k: cit[k] for k in (*_CITATION_FIELDS, "doi") if k in cit}),
        species=raw["species"], area=raw["area"], n=int(raw["n"]), definition=raw["definition"],
        inclusion=raw["inclusion"], bin_edges=edges, counts=counts, bin_scale=raw["bin_scale"],
        provenance=dict(raw["provenance"]), summary=dict(raw.get("summary", {})),
        subgroups={k: list(v) for k, v in raw.get("subgroups", {}).items()}, convention=dict(convention),
    )


def _data_dir():
    return resources.files(_DATA_PACKAGE).joinpath("data")


def list_references() -> list[str]:
    """Names of the references shipped with v1lab, sorted (one ``data/<name>.json`` file each)."""
    return sorted(p.name[:-5] for p in _data_dir().iterdir() if p.name.endswith(".json"))


def load_reference(name: str) -> Reference:
    """Load a shipped reference by name.

    Examples
    --------
    >>> ref = load_reference("ringach2002_circular_variance")
    >>> ref.n, round(ref.summary["median"], 3)
    (304, 0.599)
    >>> bool(abs(ref.probabilities.sum() - 1) < 1e-12)
    True
    """
    names = list_references()
    if name not in names:
        raise ReferenceDataError(f"reference {name!r} is not shipped; expected one of {names}")
    raw = json.loads(_data_dir().joinpath(f"{name}.json").read_text(encoding="utf-8"))
    return _check(name, raw)


def match_references(wanted) -> list[str]:
    """Shipped reference names selected by ``wanted``: exact names or dataset prefixes.

    ``"ringach2002"`` selects every ``ringach2002_*`` reference. An entry that selects nothing is a
    :class:`~v1lab.errors.ReferenceDataError` listing the shipped names.
    """
    names = list_references()
    chosen = []
    for entry in wanted:
        hits = [n for n in names if n == entry or n.startswith(f"{entry}_")]
        if not hits:
            raise ReferenceDataError(f"reference {entry!r} matches no shipped reference; expected a name or "
                                     f"dataset prefix of: {', '.join(names)}")
        chosen += [n for n in hits if n not in chosen]
    return chosen
