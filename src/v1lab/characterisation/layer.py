"""Characterise one layer: every analyser on its role's set, the fits, the ratios and the classes, one row per unit.

The row of a unit is the units table's (:mod:`v1lab.units`): identity and the responses to every set (``all
sets``), each role's columns, the ratios between roles, the classes and each model fit. A role whose set is not
given, or not in the responses, leaves its columns NaN and its fits with status ``no data``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from v1lab import fits as F
from v1lab import metrics as M
from v1lab import units as U
from v1lab.characterisation._grid import select
from v1lab.characterisation._role import FitRequest, RoleResult
from v1lab.characterisation.chromatic import analyse_chromatic, analyse_matched_luminance, check_equated
from v1lab.characterisation.cones import analyse_cones
from v1lab.characterisation.closed_loop import unit_optima
from v1lab.characterisation.luminance import analyse_luminance
from v1lab.characterisation.roles import AnalysisRoles
from v1lab.characterisation.sweeps import analyse_contrast, analyse_size
from v1lab.characterisation.uniform import analyse_uniform
from v1lab.classify import ClassificationCriteria, classify_units, responsive_units
from v1lab.errors import AnalysisError

__all__ = ["ANALYSERS", "AT_OPTIMUM", "characterise_layer"]

#: Analysis role -> analyser, in the order their columns are combined (a later role's column replaces an
#: earlier one's: uniform fields give the preferred DKL direction over the chromatic gratings' axis).
ANALYSERS = {
    "luminance_gratings": analyse_luminance,
    "chromatic_gratings": analyse_chromatic,
    "matched_luminance_gratings": analyse_matched_luminance,
    "uniform_fields": analyse_uniform,
    "size_sweep": analyse_size,
    "contrast_sweep": analyse_contrast,
    "cone_isolating": analyse_cones,
}
#: Roles whose sets may be shown at each unit's optimum (closed loop): their analysers take the optima.
AT_OPTIMUM = ("size_sweep", "contrast_sweep")


def _identity(responses, blank: np.ndarray) -> pd.DataFrame:
    """``model``, ``layer``, ``channel``, ``blank`` and ``peak_response_above_blank`` of every unit."""
    n = responses.sizes["unit"]
    ident = {}
    for name in ("model", "layer"):
        if name in responses.coords and responses[name].dims == ("unit",):
            ident[name] = np.asarray(responses[name].values, dtype=object)
        elif name in responses.attrs:
            ident[name] = np.full(n, responses.attrs[name], dtype=object)
        else:
            raise AnalysisError(f"responses: no '{name}' attribute or unit coordinate; expected the {name} the "
                                "units belong to (v1lab.recording.layer_dataset writes both)")
    channel = np.asarray(responses["channel"].values) if "channel" in responses.coords else np.arange(n)
    values = np.asarray(responses["responses"].transpose("unit", "stimulus").values, dtype=float)
    peak = (values - blank[:, None]).max(axis=1) if values.shape[1] else np.full(n, np.nan)
    return pd.DataFrame({**ident, "channel": channel.astype(np.int64), "blank": blank,
                         "peak_response_above_blank": peak})


def _cone_optimum(results: dict, optima: pd.DataFrame | None) -> pd.DataFrame | None:
    """Where each unit's cone weights are measured: its closed-loop optimum (else its luminance optimum), and
    the uniform fields (SF NaN) for a unit low-pass for colour."""
    if optima is not None:
        optimum = optima.set_axis(["orientation_deg", "sf_cpd"], axis=1)
    elif "luminance_gratings" in results:
        lum = results["luminance_gratings"].columns
        optimum = pd.DataFrame({"orientation_deg": lum["optimum_orientation_deg"].to_numpy(float),
                                "sf_cpd": lum["optimum_sf_cpd"].to_numpy(float)})
    else:
        return None
    if "chromatic_gratings" in results:
        lowpass = (results["chromatic_gratings"].columns["chromatic_sf_shape"] == "low-pass").fillna(False)
        optimum.loc[lowpass.to_numpy(bool), "sf_cpd"] = np.nan
    return optimum


def _ratios(table: pd.DataFrame) -> pd.DataFrame:
    """Chromatic ratio (over the matched luminance sweep's amplitude when given) and uniform-field ratio."""
    lum = table["matched_luminance_peak_amplitude"].where(table["matched_luminance_peak_amplitude"].notna(),
                                                          table["luminance_peak_amplitude"]).to_numpy(float)
    chrom = table["chromatic_peak_amplitude"].to_numpy(float)
    uni = table["uniform_peak_response"].to_numpy(float)
    return pd.DataFrame({
        "chromatic_ratio": [M.chromatic_ratio(c, lp) if np.isfinite(c) and np.isfinite(lp) else np.nan
                            for c, lp in zip(chrom, lum)],
        "uniform_field_ratio": [M.uniform_field_ratio(up, c) if np.isfinite(up) and np.isfinite(c) else np.nan
                                for up, c in zip(uni, chrom)],
    }, index=table.index)


def _fit(prefix: str, request: FitRequest | None, live: np.ndarray, fits: bool) -> pd.DataFrame:
    """The fit columns of one prefix for every unit: fitted where the unit is responsive."""
    model = U.FIT_PREFIXES[prefix][0]
    n = live.size
    if not fits:
        return F.FitBatch.not_fitted(model, n, "skipped", "fits=False").to_frame(prefix)
    if request is None:
        return F.FitBatch.not_fitted(model, n, "no data", "its stimulus set is not given in the roles or not in "
                                     "the responses").to_frame(prefix)
    if request.curves is None:
        return F.FitBatch.not_fitted(model, n, "no data", request.reason).to_frame(prefix)
    seen = np.all(np.isfinite(request.curves), axis=1)
    rows = np.flatnonzero(live & seen)
    batch = F.fit_least_squares(model, request.curves[rows], request.x)
    out = batch.place(rows, n, status="skipped", reason="unresponsive unit: nothing to fit")
    out.status[live & ~seen] = "no data"
    out.reason[live & ~seen] = "no stimuli of the set at the unit's optimum"
    return out.to_frame(prefix)


def characterise_layer(responses, roles: AnalysisRoles, criteria: ClassificationCriteria | None = None, *,
                       fits: bool = True) -> pd.DataFrame:
    """Metrics, model fits and classes of every unit of one layer: the units table's rows (:mod:`v1lab.units`).

    Parameters
    ----------
    responses : xarray.Dataset
        One layer's responses (:func:`v1lab.recording.layer_dataset`): variable ``responses`` with dims
        ``("unit", "stimulus")`` and ``blank`` (dims ``("unit",)``, the response to the mean-grey screen);
        stimulus coordinates ``set`` and the stimulus parameters (NaN where one does not apply); unit coordinate
        ``channel``; the ``model`` and ``layer`` as attributes or unit coordinates; for closed-loop sets, each
        unit's optimum (:data:`~v1lab.characterisation.closed_loop.OPTIMUM_VARIABLES`). Repeated stimuli are
        averaged.
    roles : AnalysisRoles
        Which set plays which role; absent roles give NaN columns.
    criteria : ClassificationCriteria, optional
        Classifier thresholds (cited defaults when omitted).
    fits : bool
        Run the model fits; ``False`` leaves their columns NaN with status ``skipped``.

    Returns
    -------
    pandas.DataFrame
        Exactly the declared columns of :data:`v1lab.units.COLUMNS`, in their order and dtypes.
    """
    for var, dims in (("responses", {"unit", "stimulus"}), ("blank", {"unit"})):
        if var not in getattr(responses, "data_vars", ()) or set(responses[var].dims) != dims:
            raise AnalysisError(f"responses: expected a Dataset with variable '{var}' of dims {sorted(dims)}; "
                                f"has {list(getattr(responses, 'data_vars', []))}")
    if "set" not in responses.coords:
        raise AnalysisError("responses: missing the stimulus coordinate 'set' (stimulus-set name)")
    blank = np.asarray(responses["blank"].values, dtype=float).ravel()
    table = _identity(responses, blank)
    optima = unit_optima(responses)
    results: dict[str, RoleResult] = {}
    for role, name in roles.named().items():
        part = select(responses, name)
        if part is None or role not in ANALYSERS:
            continue
        if role == "matched_luminance_gratings":
            if roles.chromatic_gratings is None or select(responses, roles.chromatic_gratings) is None:
                continue   # matched only to a chromatic sweep
            check_equated(responses, name, roles.chromatic_gratings)
        if role == "cone_isolating":
            extra = {"optimum": _cone_optimum(results, optima),
                     "fields": select(responses, roles.cone_isolating_fields)}
        else:
            extra = {"optima": optima} if role in AT_OPTIMUM else {}
        results[role] = ANALYSERS[role](part, blank, **extra)
    missing = U.empty_table(len(table))
    for c in U.MEASURED_COLUMNS:
        if c.analysis not in ("identity", "all sets", "classification", "ratios"):
            table[c.name] = missing[c.name].to_numpy()
    for role in ANALYSERS:
        if role in results:
            for col, values in results[role].columns.items():
                table[col] = values.to_numpy()
    table = pd.concat([table, _ratios(table)], axis=1)
    classes = classify_units(table, criteria)
    table = pd.concat([table, classes], axis=1)
    live = np.asarray(responsive_units(table["peak_response_above_blank"].to_numpy(float), criteria))
    parts = [table]
    for prefix, (_, role) in U.FIT_PREFIXES.items():
        request = results[role].fits.get(prefix) if role in results else None
        parts.append(_fit(prefix, request, live, fits).set_index(table.index))
    return U.conform(pd.concat(parts, axis=1))
