"""Model-vs-biology comparison: each layer's distribution of each property against each shipped reference."""

from __future__ import annotations

import zlib

from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from v1lab.errors import ReferenceDataError
from v1lab.population._similarity import bootstrap_similarity, reference_ceiling
from v1lab.population._units import check_units
from v1lab.units import column as units_column
from v1lab.units import flag
from v1lab.references import Reference, list_references, load_reference, match_references

__all__ = ["ModelQuantity", "MODEL_QUANTITIES", "model_values", "applicable_references", "compare_with_references",
           "most_v1_like"]

_SELECTIVE_BW_DEG = 90.0  # Ringach database convention: a bandwidth above 90 deg means "not selective"


@dataclass(frozen=True)
class ModelQuantity:
    """How v1lab computes, from ``units.csv``, the quantity a reference property describes.

    ``column`` is read among responsive units; ``eligible`` narrows the units further (the reference's
    inclusion rule); ``transform`` maps the column to the reference's unit (a proportion gives 0/1).
    """

    column: str
    describe: str
    transform: Callable[[np.ndarray], np.ndarray] = np.asarray
    eligible: Callable[[pd.DataFrame], np.ndarray] | None = None


def _finite(col):
    return lambda g: np.isfinite(pd.to_numeric(g[col], errors="coerce").to_numpy(float))


def _selective_bw(g):
    bw = pd.to_numeric(g["orientation_bandwidth_deg"], errors="coerce").to_numpy(float)
    return np.isfinite(bw) & (bw <= _SELECTIVE_BW_DEG)


#: property (as named in the reference files) -> how the model-side value is obtained.
MODEL_QUANTITIES: dict[str, ModelQuantity] = {
    "circular_variance": ModelQuantity("circular_variance", "circular variance, responsive units"),
    "orientation_bandwidth_deg": ModelQuantity(
        "orientation_bandwidth_deg", "orientation bandwidth of responsive units with bandwidth <= 90 deg",
        eligible=_selective_bw),
    "orthogonal_preferred_ratio": ModelQuantity("orthogonal_preferred_ratio", "orthogonal/preferred ratio"),
    "modulation_ratio": ModelQuantity("modulation_ratio", "F1/F0 at the preferred grating"),
    "simple_fraction": ModelQuantity(
        "simple", "1 if the unit is simple (the run's criterion on the modulation ratio; default F1/F0 > 1, "
        "Skottun et al. 1991), among units with a finite F1/F0", eligible=_finite("modulation_ratio")),
    "orientation_selective_fraction": ModelQuantity(
        "orientation_bandwidth_deg", "1 if the orientation bandwidth is finite and <= 90 deg",
        transform=lambda x: (np.isfinite(x) & (x <= _SELECTIVE_BW_DEG)).astype(float),
        eligible=lambda g: np.ones(len(g), dtype=bool)),
    "preferred_orientation_deg": ModelQuantity(
        "preferred_orientation_deg", "preferred orientation wrapped into [-22.5, 157.5) deg",
        transform=lambda x: np.mod(x + 22.5, 180.0) - 22.5),
    "peak_sf_cpd": ModelQuantity("peak_sf_cpd", "peak spatial frequency, cycles/deg"),
    "sf_bandwidth_ratio_pct": ModelQuantity(
        "sf_bandwidth_oct", "100 * 2**(-sf_bandwidth_oct) = 100 f_low / f_high",
        transform=lambda x: 100.0 * np.exp2(-x)),
    "sf_selective_fraction": ModelQuantity(
        "sf_bandwidth_oct", "1 if the spatial-frequency bandwidth is finite (band-pass)",
        transform=lambda x: np.isfinite(x).astype(float), eligible=lambda g: np.ones(len(g), dtype=bool)),
    "surround_suppression_index": ModelQuantity("surround_suppression_index", "surround suppression index"),
    "strongly_suppressed_fraction": ModelQuantity(
        "surround_suppression_index", "1 if the suppression index >= 0.1",
        transform=lambda x: (x >= 0.1).astype(float), eligible=_finite("surround_suppression_index")),
}


def model_values(layer_units: pd.DataFrame, prop: str) -> np.ndarray:
    """Values of property ``prop`` for the eligible units of one layer, in the reference's unit.

    Units enter if responsive and, where the property has one, pass its inclusion rule
    (:data:`MODEL_QUANTITIES`); for distributions, non-finite values are then dropped.
    """
    if prop not in MODEL_QUANTITIES:
        raise ReferenceDataError(f"reference property {prop!r} has no model quantity; "
                                 f"expected one of {sorted(MODEL_QUANTITIES)}")
    spec = MODEL_QUANTITIES[prop]
    g = layer_units[flag(layer_units["responsive"]).to_numpy()]
    if spec.eligible is not None:
        g = g[spec.eligible(g)]
    column = g[spec.column]
    raw = (flag(column).to_numpy(float) if units_column(spec.column).dtype == "boolean"
           else pd.to_numeric(column, errors="coerce").to_numpy(float))
    x = spec.transform(raw)
    return x[np.isfinite(x)]


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
    return [n for n in match_references(wanted)
            if (q := MODEL_QUANTITIES.get(load_reference(n).property)) is not None and q.column in units]


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
        ``multipletests`` method for the two-proportion tests (over all proportion rows).

    Returns
    -------
    pandas.DataFrame
        One row per (model, layer, reference): ``model, layer, property, reference, kind, n_model,
        n_bio, ks_distance, ks_max, similarity, similarity_sd, ci_low, ci_high, ceiling, ceiling_sd,
        normalised_score, normalised_ci_low, normalised_ci_high, fraction_model, fraction_bio, z,
        p_value, p_adjusted, citation``.

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
        refs = [load_reference(n) for n in list_references()]
        refs = [r for r in refs if r.property in MODEL_QUANTITIES and MODEL_QUANTITIES[r.property].column in units]
    else:
        refs = [r if isinstance(r, Reference) else load_reference(r) for r in references]
        for r in refs:
            col = MODEL_QUANTITIES.get(r.property, ModelQuantity(r.property, "")).column
            check_units(units, [col])
    ceilings = {r.name: reference_ceiling(r, n_boot=n_boot, rng=_rng(seed, "ceiling", r.name)) for r in refs}
    rows = []
    for (model, layer), g in units.groupby(["model", "layer"], sort=False):
        for ref in refs:
            x = model_values(g, ref.property)
            res = bootstrap_similarity(x, ref, n_boot=n_boot, rng=_rng(seed, model, layer, ref.name),
                                       ceiling_draws=ceilings[ref.name], ci=ci)
            row = dict(model=model, layer=layer, property=ref.property, reference=ref.name, kind=ref.kind,
                       **asdict(res))
            if ref.kind == "proportion":
                k = int(np.sum(x > 0.5))
                row["fraction_model"] = k / x.size if x.size else float("nan")
                row["fraction_bio"] = ref.fraction
                row["z"], row["p_value"] = _two_proportions(k, x.size, int(ref.counts[1]), ref.n)
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
        out.loc[tested, "p_adjusted"] = multipletests(out.loc[tested, "p_value"], method=p_adjust)[1]
    first = ["model", "layer", "property", "reference", "kind", "n_model", "n_bio"]
    return out[first + [c for c in out.columns if c not in first and c != "citation"] + ["citation"]]


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
