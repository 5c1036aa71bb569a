"""Model-vs-biology comparison: each layer's distribution of each property against each shipped reference."""

from __future__ import annotations

import zlib

from dataclasses import asdict
from typing import Callable

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportions_ztest

from v1lab.errors import ReferenceDataError
from v1lab.multitest import adjust_p_values
from v1lab.population._similarity import bootstrap_similarity, reference_ceiling
from v1lab.population._units import check_units
from v1lab.units import column as units_column
from v1lab.units import flag
from v1lab.references import Reference, list_references, load_reference, match_references

__all__ = ["TRANSFORMS", "INCLUSIONS", "PPD_GRID", "included", "model_values", "describe_convention",
           "applicable_references", "compare_with_references", "ppd_sensitivity", "most_v1_like"]

_SELECTIVE_BW_DEG = 90.0  # Ringach database convention: a bandwidth above 90 deg means "not selective"


def _selective_bw(x):
    return (np.isfinite(x) & (x <= _SELECTIVE_BW_DEG)).astype(float)


#: Named maps from a units-table column to a reference's unit (a proportion gives 0/1), used by the references'
#: ``convention.transform``.
TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": np.asarray,
    "flag": np.asarray,
    "orientation_wrap": lambda x: np.mod(x + 22.5, 180.0) - 22.5,
    "percent_ratio_from_octaves": lambda x: 100.0 * np.exp2(-x),
    "selective_bandwidth": _selective_bw,
    "finite": lambda x: np.isfinite(x).astype(float),
    "at_least_0.1": lambda x: np.where(np.isfinite(x), (x >= 0.1).astype(float), np.nan),
}


#: Named rules for which units enter a comparison (``convention.model_inclusion``), all among responsive units:
#: rule -> (description, the column that must exceed the layer's ``response_threshold``, or None).
INCLUSIONS: dict[str, tuple[str, str | None]] = {
    "responsive": ("responsive units", None),
    "luminance_f0": ("F0 - blank at the preferred luminance grating above the layer's threshold",
                     "f0_above_blank_at_preferred"),
    "luminance_amplitude": ("max(F0 - blank, F1) over the luminance sweep above the layer's threshold",
                            "luminance_peak_amplitude"),
    "size_amplitude": ("max(F0 - blank, F1) of the size curve at the optimal grating above the layer's threshold",
                       "size_peak_amplitude"),
}


def _eligible(rule: str | None, g: pd.DataFrame) -> np.ndarray:
    """A reference's ``convention.eligible``: None (every included unit), ``selective_bandwidth`` or
    ``finite:<column>``."""
    if rule is None:
        return np.ones(len(g), dtype=bool)
    if rule == "selective_bandwidth":
        return _selective_bw(pd.to_numeric(g["orientation_bandwidth_deg"], errors="coerce").to_numpy(float)) > 0
    kind, _, column = rule.partition(":")
    if kind == "finite" and column:
        return np.isfinite(pd.to_numeric(g[column], errors="coerce").to_numpy(float))
    raise ReferenceDataError(f"reference convention `eligible` {rule!r}; expected None, 'selective_bandwidth' or "
                             "'finite:<column>'")


def _as_reference(reference) -> Reference:
    return reference if isinstance(reference, Reference) else load_reference(reference)


def included(layer_units: pd.DataFrame, reference) -> np.ndarray:
    """Which units of one layer enter the comparison with ``reference``: responsive units that pass its
    inclusion rule (:data:`INCLUSIONS`)."""
    ref = _as_reference(reference)
    rule = ref.convention.get("model_inclusion", "responsive")
    if rule not in INCLUSIONS:
        raise ReferenceDataError(f"reference {ref.name!r}: model_inclusion {rule!r}; expected one of "
                                 f"{list(INCLUSIONS)}")
    keep = flag(layer_units["responsive"]).to_numpy().copy()
    column = INCLUSIONS[rule][1]
    if column is not None:
        value = pd.to_numeric(layer_units[column], errors="coerce").to_numpy(float)
        keep = keep & (value > pd.to_numeric(layer_units["response_threshold"], errors="coerce").to_numpy(float))
    return keep


def model_values(layer_units: pd.DataFrame, reference, *, ppd_scale: float = 1.0) -> np.ndarray:
    """Values of one layer's units in ``reference``'s unit, computed by its declared convention.

    Units enter if responsive and included by the reference's rule, then pass its ``eligible`` rule; the column
    is mapped by its ``transform`` and non-finite values are dropped. ``ppd_scale`` multiplies values in
    cycles/deg, as another assumed number of pixels per degree would (P / ppd of the run).
    """
    ref = _as_reference(reference)
    c = ref.convention
    g = layer_units[included(layer_units, ref)]
    g = g[_eligible(c.get("eligible"), g)]
    column = g[c["model_column"]]
    raw = (flag(column).to_numpy(float) if units_column(c["model_column"]).dtype == "boolean"
           else pd.to_numeric(column, errors="coerce").to_numpy(float))
    if units_column(c["model_column"]).unit == "cycles/deg":
        raw = raw * ppd_scale
    x = TRANSFORMS[c["transform"]](raw)
    return x[np.isfinite(x)]


def describe_convention(reference) -> str:
    """One line: the model column and rules a reference's comparison uses."""
    ref = _as_reference(reference)
    c = ref.convention
    eligible = f", {c['eligible']}" if c.get("eligible") else ""
    return (f"{c['model_column']} ({c['transform']}{eligible}); units: {INCLUSIONS[c['model_inclusion']][0]}; "
            f"definition {_VERIFICATION[c['verified']]}")


def _two_proportions(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    pooled = (k1 + k2) / (n1 + n2)
    if n1 == 0 or pooled in (0.0, 1.0):
        return float("nan"), float("nan")  # no model units, or no variance: no test
    z, p = proportions_ztest([k1, k2], [n1, n2])
    return float(z), float(p)


def applicable_references(wanted, units: pd.DataFrame) -> list[str] | None:
    """The shipped references that ``wanted`` names (names or dataset prefixes, see
    :func:`v1lab.references.match_references`) and whose model-side column ``units`` has; ``None`` (every
    applicable reference) when ``wanted`` is empty."""
    if not wanted:
        return None
    return [n for n in match_references(wanted) if _needs(load_reference(n)) <= set(units.columns)]


def _needs(ref: Reference) -> set[str]:
    """The units-table columns a reference's comparison reads."""
    c = ref.convention
    return {c["model_column"], "responsive", "response_threshold", INCLUSIONS[c["model_inclusion"]][1]} - {None}


def _rng(seed: int, *names) -> np.random.Generator:
    """A generator for one row (or one ceiling): ``seed`` and the CRC-32 of each name seed it."""
    return np.random.default_rng([int(seed), *(zlib.crc32(str(n).encode()) for n in names)])


def compare_with_references(units: pd.DataFrame, references=None, *, n_boot: int = 1000, seed: int = 0,
                            ci: float = 0.95, p_adjust: str = "holm") -> pd.DataFrame:
    """``comparison.csv``: similarity of every model layer to every reference property.

    Parameters
    ----------
    units : pandas.DataFrame
        The per-unit table (``units.csv``).
    references : iterable of str or Reference, optional
        Default: every shipped reference whose model-side column is present in ``units``.
    n_boot : int
        Bootstrap resamples for the similarity and for the ceiling (Brain-Score uses 1000).
    seed : int
        Seed of the ``numpy.random.Generator`` used for all resampling.
    ci : float
        Coverage of the bootstrap percentile intervals.
    p_adjust : str
        Multiple-comparison method (:func:`v1lab.multitest.adjust_p_values`) for the two-proportion tests (over
        all proportion rows).

    Returns
    -------
    pandas.DataFrame
        One row per (model, layer, reference): ``model, layer, property, reference, kind, n_included`` (units
        passing the reference's inclusion rule), ``n_model`` (of those, with a value by its definition),
        ``n_bio, ks_distance, ks_max, similarity, similarity_sd, ci_low, ci_high, ceiling, ceiling_sd,
        normalised_score, normalised_ci_low, normalised_ci_high, fraction_model, fraction_bio, z, p_value,
        p_adjusted, convention`` (how the definition was checked: verified in the paper, unverified in the
        paper but as Brain-Score's code, or unverified), ``citation``.

    Notes
    -----
    ``similarity`` is Brain-Score's bootstrapped :math:`1 - KS/KS_{max}` on the reference's bins,
    ``ceiling`` the reference's bootstrapped self-similarity and ``normalised_score`` their ratio
    (Marques, Schrimpf & DiCarlo 2021); see :mod:`v1lab.population._similarity`. For proportions the
    same similarity is computed on the two-bin histogram, and the fractions are also compared with
    the two-sided two-proportion z test (pooled variance; ``statsmodels`` ``proportions_ztest``),
    p-values corrected across all proportion rows. The ceiling of a reference is drawn once and
    shared by all layers. Every row draws its resamples from a generator of its own, seeded by ``seed`` and
    the names of its model, layer and reference (the ceiling by ``seed`` and the reference), so a row's
    numbers do not change when layers or references are added to or removed from the comparison.
    """
    check_units(units)
    if references is None:
        refs = [r for r in map(load_reference, list_references()) if _needs(r) <= set(units.columns)]
    else:
        refs = [_as_reference(r) for r in references]
        for r in refs:
            check_units(units, sorted(_needs(r)))
    ceilings = {r.name: reference_ceiling(r, n_boot=n_boot, rng=_rng(seed, "ceiling", r.name)) for r in refs}
    rows = []
    for (model, layer), g in units.groupby(["model", "layer"], sort=False):
        for ref in refs:
            x = model_values(g, ref)
            res = bootstrap_similarity(x, ref, n_boot=n_boot, rng=_rng(seed, model, layer, ref.name),
                                       ceiling_draws=ceilings[ref.name], ci=ci)
            row = dict(model=model, layer=layer, property=ref.property, reference=ref.name, kind=ref.kind,
                       n_included=int(included(g, ref).sum()), **asdict(res))
            if ref.kind == "proportion":
                k = int(np.sum(x > 0.5))
                row["fraction_model"] = k / x.size if x.size else float("nan")
                row["fraction_bio"] = ref.fraction
                row["z"], row["p_value"] = _two_proportions(k, x.size, int(ref.counts[1]), ref.n)
            row["convention"] = _VERIFICATION[ref.verified]
            row["citation"] = f"{ref.citation.authors} {ref.citation.year}"
            rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    for col in ("fraction_model", "fraction_bio", "z", "p_value"):
        if col not in out:
            out[col] = np.nan
    out["p_adjusted"] = np.nan
    tested = out["p_value"].notna()
    if tested.any():
        out.loc[tested, "p_adjusted"] = adjust_p_values(out.loc[tested, "p_value"], method=p_adjust)[1]
    first = ["model", "layer", "property", "reference", "kind", "n_included", "n_model", "n_bio"]
    last = ["convention", "citation"]
    return out[first + [c for c in out.columns if c not in first + last] + last]


_VERIFICATION = {"paper": "verified in the paper", "implementation": "unverified in the paper (as Brain-Score's code)",
                 "unverified": "unverified"}

#: Assumed pixels per degree of :func:`ppd_sensitivity` (half to twice Brain-Score's 28).
PPD_GRID = (14.0, 20.0, 28.0, 40.0, 56.0)


def ppd_sensitivity(units: pd.DataFrame, references=None, *, ppd: float, ppds=PPD_GRID, n_boot: int = 1000,
                    seed: int = 0) -> pd.DataFrame:
    """How each layer's similarity to the references in cycles/deg depends on the assumed pixels per degree.

    A network sees pixels: its SF tuning is fixed in cycles per pixel, and the cycles per degree the
    comparison uses are ``cycles/pixel x ppd``. So at an assumed ``P`` the model's values are those of the run
    (made at ``ppd``) times ``P / ppd``; the sweep's range scales with them. One row per (model, layer,
    reference, P): ``similarity``, ``ci_low``, ``ci_high``, ``normalised_score`` and ``in_use`` (P equals the
    run's ``ppd``).
    """
    check_units(units)
    refs = [_as_reference(r) for r in (references if references is not None else list_references())]
    refs = [r for r in refs if units_column(r.convention["model_column"]).unit == "cycles/deg"
            and _needs(r) <= set(units.columns)]
    grid = sorted({float(p) for p in ppds} | {float(ppd)})
    rows = []
    for ref in refs:
        ceiling = reference_ceiling(ref, n_boot=n_boot, rng=_rng(seed, "ceiling", ref.name))
        for (model, layer), g in units.groupby(["model", "layer"], sort=False):
            for assumed in grid:
                res = bootstrap_similarity(model_values(g, ref, ppd_scale=assumed / ppd), ref, n_boot=n_boot,
                                           rng=_rng(seed, model, layer, ref.name, assumed), ceiling_draws=ceiling)
                rows.append({"model": model, "layer": layer, "reference": ref.name, "ppd": assumed,
                             "in_use": assumed == float(ppd), "n_model": res.n_model, "similarity": res.similarity,
                             "ci_low": res.ci_low, "ci_high": res.ci_high,
                             "normalised_score": res.normalised_score})
    return pd.DataFrame(rows, columns=["model", "layer", "reference", "ppd", "in_use", "n_model", "similarity",
                                       "ci_low", "ci_high", "normalised_score"])


def most_v1_like(comparison: pd.DataFrame) -> pd.DataFrame:
    """Per-layer summary of a comparison: mean normalised score over references, ranked within each model.

    A reference a layer cannot be scored on (no eligible units) counts 0, as a missing property counts
    in the Brain-Score V1 benchmarks. Columns: ``model, layer, n_references, n_scored, mean_score,
    min_score, max_score, rank, most_v1_like`` (rank 1 = highest mean normalised score in its model).
    This is the unweighted mean over the references; Brain-Score's V1 score first averages within its
    property groups (orientation, spatial frequency, ...), so the two rankings can differ.
    """
    need = {"model", "layer", "reference", "normalised_score"}
    if not need <= set(comparison.columns):
        raise ReferenceDataError(f"comparison table: missing column(s) {sorted(need - set(comparison.columns))}")
    c = comparison.assign(score=comparison["normalised_score"].fillna(0.0))
    summary = c.groupby(["model", "layer"], sort=False).agg(
        n_references=("reference", "size"), n_scored=("normalised_score", "count"),
        mean_score=("score", "mean"), min_score=("score", "min"), max_score=("score", "max")).reset_index()
    summary["rank"] = summary.groupby("model")["mean_score"].rank(ascending=False, method="min").astype(int)
    summary["most_v1_like"] = summary["rank"] == 1
    return summary
