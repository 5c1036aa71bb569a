"""Characterise one layer: metrics, fits and classes of every recorded unit, one row per unit (``units.csv``).

Which stimulus set feeds which analysis (``docs/metrics.md``):

* ``luminance_gratings`` (orientation x SF x phase): responses are averaged over repeats, reduced over phase to
  F0 (mean) and F1 (first harmonic). Orientation metrics use the F0 orientation curve at the (SF, orientation)
  of the largest F0 (Ringach et al. 2002 as in Brain-Score's ``ringach2002_benchmark.py``, Marques et al.
  2021); the modulation ratio is F1/(F0 - blank) there. SF metrics use the SF curve at the preferred
  orientation of whichever component, F0 - blank or F1, is largest anywhere in the sweep (Brain-Score's
  ``devalois1982b_benchmark.py`` / ``schiller1976_benchmark.py``).
* ``chromatic_gratings`` (isoluminant, same grid, optionally several DKL directions): peak amplitude for the
  chromatic ratio, chromatic SF shape (low-pass / band-pass), chromatic orientation bandwidth.
* ``uniform_fields``: peak response above the blank for the uniform-field ratio; preferred DKL azimuth.
* ``size_sweep``: area-summation curve at the preferred SF, orientation and component (Brain-Score's
  ``cavanaugh2002a_benchmark.py``): SI, GSF and a ratio-of-Gaussians fit.
* ``contrast_sweep``: contrast-response curve at the preferred SF, orientation and component: Naka-Rushton fit.

A role whose set is not given, or not in the responses, leaves its columns NaN (fit status ``no data``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from v1lab import fits as F
from v1lab import metrics as M
from v1lab.classify import ClassificationCriteria, classify_units, responsive_units
from v1lab.errors import AnalysisError

__all__ = ["AnalysisRoles", "characterise_layer", "STIMULUS_PARAMETERS"]

#: Stimulus coordinates treated as parameters: a set may vary only those its role analyses.
STIMULUS_PARAMETERS = ("orientation_deg", "sf_cpd", "phase_deg", "contrast", "size_deg", "dkl_azimuth_deg",
                       "dkl_elevation_deg", "color_direction", "annulus")
_GRATING = ("sf_cpd", "orientation_deg", "phase_deg")
_CONES = ("l_cone_contrast", "m_cone_contrast", "s_cone_contrast")
_FITS = {"ori_vm": F.VON_MISES, "sf_lg": F.LOG_GAUSSIAN, "size_rog": F.RATIO_OF_GAUSSIANS,  # column prefix -> model
         "contrast_nr": F.NAKA_RUSHTON}


class AnalysisRoles(BaseModel):
    """Which stimulus set (by name, the ``set`` coordinate of the responses) plays which analysis role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    luminance_gratings: str | None = Field(None, description="orientation x SF x phase sweep of luminance gratings")
    chromatic_gratings: str | None = Field(None, description="the same sweep of isoluminant (e.g. L-M) gratings")
    matched_luminance_gratings: str | None = Field(
        None, description="luminance gratings at the chromatic sweep's RMS cone contrast: when given, the "
        "chromatic ratio compares these with the chromatic gratings, equated for cone contrast as in Johnson "
        "et al. (2001); when absent, it compares the luminance_gratings and chromatic_gratings sweeps as they "
        "are (each at its own contrast, e.g. the largest in the sRGB gamut; see docs/metrics.md)")
    uniform_fields: str | None = Field(None, description="uniform colour fields filling the receptive field")
    size_sweep: str | None = Field(None, description="grating diameter sweep (area summation)")
    contrast_sweep: str | None = Field(None, description="grating contrast sweep")


class _Grid:
    """Responses of one set averaged onto a full grid: ``values`` (unit, *dims) and the sorted ``levels``."""

    def __init__(self, values: np.ndarray, params: pd.DataFrame, dims: tuple[str, ...], set_name: str):
        for col in STIMULUS_PARAMETERS:
            if col not in dims and col in params and params[col].nunique(dropna=False) > 1:
                raise AnalysisError(
                    f"stimulus set '{set_name}': parameter '{col}' varies ({params[col].nunique(dropna=False)} "
                    f"values) but this role analyses only {list(dims)}; expected it constant")
        codes, self.levels = [], {}
        for d in dims:
            col = params[d] if d in params else pd.Series(np.nan, index=params.index)
            code, uniq = pd.factorize(col, sort=True, use_na_sentinel=False)
            codes.append(code)
            self.levels[d] = np.asarray(uniq)
        shape = tuple(len(self.levels[d]) for d in dims)
        flat = np.ravel_multi_index(codes, shape)
        sums = np.zeros((values.shape[0], int(np.prod(shape))))
        counts = np.bincount(flat, minlength=sums.shape[1])
        np.add.at(sums.T, flat, values.T)
        if np.any(counts == 0):
            raise AnalysisError(
                f"stimulus set '{set_name}': the {' x '.join(dims)} grid {shape} misses "
                f"{int(np.sum(counts == 0))} of {counts.size} combinations; expected a full grid")
        self.values = (sums / counts).reshape((values.shape[0],) + shape)

    def harmonics(self):
        """(F0, F1) over the last (phase) axis; F1 is NaN without a phase sweep of at least 3 phases."""
        phases = self.levels["phase_deg"].astype(float)
        if phases.size < 3:
            f0 = self.values.mean(axis=-1)
            return f0, np.full_like(f0, np.nan)
        return M.phase_harmonics(self.values, phases)


def _select(responses, name: str | None):
    """(values (unit, n), params DataFrame) of one set, or None where the set is absent."""
    if name is None:
        return None
    mask = np.asarray(responses["set"].values == name)
    if not mask.any():
        return None
    sub = responses.isel(stimulus=np.flatnonzero(mask))
    cols = {c: np.asarray(sub[c].values) for c in STIMULUS_PARAMETERS if c in sub.coords and sub[c].dims == ("stimulus",)}
    return np.asarray(sub.transpose("unit", "stimulus").values, dtype=float), pd.DataFrame(cols)


def _components(f0, f1, blank):
    """Stack (F0 - blank, F1) on a new last axis: Brain-Score's two response components."""
    b = blank.reshape((-1,) + (1,) * (f0.ndim - 1))
    return np.stack([f0 - b, f1], axis=-1)


def _argmax(a: np.ndarray) -> tuple:
    """Index tuple of the largest (non-NaN) value of ``a``."""
    return np.unravel_index(int(np.nanargmax(np.where(np.isnan(a), -np.inf, a))), a.shape)


def _run_fits(jobs) -> None:
    """Run the queued fits ``(row, prefix, curve, x)`` and write their columns into the rows.

    Curves of one model sampled at the same x are fitted together by the batched Levenberg-Marquardt of
    :func:`v1lab.fits.fit_least_squares` (one call per model and grid, not one per unit).
    """
    groups: dict[tuple, list[int]] = {}
    for i, (_, prefix, curve, x) in enumerate(jobs):
        groups.setdefault((prefix, np.asarray(x, dtype=float).tobytes()), []).append(i)
    for (prefix, _), members in groups.items():
        curves = np.stack([np.asarray(jobs[i][2], dtype=float) for i in members])
        for i, result in zip(members, F.fit_least_squares(_FITS[prefix], curves, jobs[members[0]][3])):
            jobs[i][0].update(_fit_row(prefix, result))


def _fit_row(prefix: str, result: F.FitResult | None, status: str = "", reason: str = "") -> dict:
    if result is not None:
        return result.as_row(prefix)
    model = _FITS[prefix]
    empty = F.FitResult.failed(model.name, model.names, reason, n_obs=0, ci_method=F.CI_METHOD, ci_level=0.95,
                               derived_names=model.derived_names).as_row(prefix)
    empty[f"{prefix}_status"] = status
    return empty


def _luminance(grid: _Grid, blank, rows, jobs):
    f0, f1 = grid.harmonics()                                     # (U, S, O)
    amp = _components(f0, f1, blank)                              # (U, S, O, 2)
    sfs = grid.levels["sf_cpd"].astype(float)
    oris = grid.levels["orientation_deg"].astype(float)
    phases = grid.levels["phase_deg"].astype(float)
    n_ori = oris.size if np.all(np.isfinite(oris)) else 0
    units = np.arange(len(rows))
    peak_f0 = np.array([_argmax(f0[u]) for u in units]).reshape(-1, 2)          # (s, o) of the largest F0
    peak_amp = np.array([_argmax(amp[u]) for u in units]).reshape(-1, 3)        # (s, o, component)
    ori_curves = f0[units, peak_f0[:, 0]]                                       # (U, O)
    sf_curves = amp[units, :, peak_amp[:, 1], peak_amp[:, 2]]                   # (U, S)
    with_sf = sfs.size >= 3 and np.all(sfs > 0)
    if n_ori >= 3:   # the spline metrics run on all curves at once
        bandwidths = M.orientation_bandwidth(ori_curves, oris)
    if with_sf:
        peak_sfs = M.peak_spatial_frequency(sf_curves, sfs)
        sf_bandwidths = M.spatial_frequency_bandwidth(sf_curves, sfs)
    for u, row in enumerate(rows):
        s, o = peak_f0[u]
        curve = ori_curves[u]
        row["n_orientations"] = n_ori
        row["luminance_peak_amplitude"] = float(np.nanmax(amp[u]))
        if n_ori >= 3:
            row["circular_variance"] = float(M.circular_variance(curve, oris))
            row["preferred_orientation_deg"] = float(M.preferred_orientation(curve, oris))
            row["orientation_bandwidth_deg"] = float(bandwidths[u])
            if n_ori % 2 == 0:
                row["orthogonal_preferred_ratio"] = M.orthogonal_preferred_ratio(curve, oris)
        if phases.size >= 3:
            row["modulation_ratio"] = float(M.modulation_ratio(grid.values[u, s, o], phases, baseline=blank[u]))
        sf_curve = sf_curves[u]
        if with_sf:
            row["peak_sf_cpd"] = float(peak_sfs[u])
            row["sf_bandwidth_oct"] = float(sf_bandwidths[u])
        if jobs is not None:
            if n_ori >= 3:
                jobs.append((row, "ori_vm", curve, oris))
            else:
                row.update(_fit_row("ori_vm", None, "no data", "fewer than 3 orientations in the luminance sweep"))
            if sfs.size >= 3:
                jobs.append((row, "sf_lg", sf_curve, sfs))
            else:
                row.update(_fit_row("sf_lg", None, "no data", "fewer than 3 spatial frequencies in the luminance sweep"))


def _colour_key(params: pd.DataFrame) -> pd.DataFrame:
    parts = [params[c].astype(str) if c in params else pd.Series("nan", index=params.index)
             for c in ("color_direction", "dkl_azimuth_deg", "dkl_elevation_deg")]
    return params.assign(colour_key=parts[0] + "|" + parts[1] + "|" + parts[2])


def _chromatic(grid: _Grid, blank, rows, azimuth_of_level):
    f0, f1 = grid.harmonics()                                     # (U, C, S, O)
    amp = _components(f0, f1, blank)
    oris = grid.levels["orientation_deg"].astype(float)
    n_sf = grid.levels["sf_cpd"].size
    azimuths = np.array([azimuth_of_level[k] for k in grid.levels["colour_key"]], dtype=float)
    units = np.arange(len(rows))
    with_ori = oris.size >= 3 and np.all(np.isfinite(oris))
    if with_ori:     # orientation curve at the (colour, SF) of the largest F0, all units at once
        peak_f0 = np.array([_argmax(f0[u]) for u in units]).reshape(-1, 3)
        bandwidths = M.orientation_bandwidth(f0[units, peak_f0[:, 0], peak_f0[:, 1]], oris)
    for u, row in enumerate(rows):
        row["chromatic_peak_amplitude"] = float(np.nanmax(amp[u]))
        c, _, o, comp = _argmax(amp[u])
        sf_curve = amp[u, c, :, o, comp]
        if n_sf >= 2 and sf_curve.max() > 0:
            row["chromatic_sf_low_ratio"] = float(sf_curve[0] / sf_curve.max())
        if with_ori:
            row["chromatic_orientation_bandwidth_deg"] = float(bandwidths[u])
        if np.unique(azimuths[np.isfinite(azimuths)]).size >= 3:
            per_level = np.nanmax(amp[u].reshape(azimuths.size, -1), axis=1)
            ok = np.isfinite(azimuths)
            row["preferred_dkl_azimuth_deg"] = M.preferred_dkl_azimuth(per_level[ok], azimuths[ok], axial=True)


def _uniform(values, params, blank, rows):
    above = values - blank[:, None]
    az = params["dkl_azimuth_deg"].to_numpy(float) if "dkl_azimuth_deg" in params else np.full(values.shape[1], np.nan)
    levels = np.unique(az[np.isfinite(az)])
    for u, row in enumerate(rows):
        row["uniform_peak_response"] = float(above[u].max())
        if levels.size >= 3:   # uniform fields are directional: azimuth and azimuth + 180 differ
            per = np.array([above[u, az == a].max() for a in levels])
            row["preferred_dkl_azimuth_deg"] = M.preferred_dkl_azimuth(per, levels, axial=False)


def _sweep(grid: _Grid, blank, rows, dim: str, jobs):
    f0, f1 = grid.harmonics()                                     # (U, X, S, O)
    amp = _components(f0, f1, blank)
    x = grid.levels[dim].astype(float)
    for u, row in enumerate(rows):
        _, s, o, comp = _argmax(amp[u])
        curve = amp[u, :, s, o, comp]
        if dim == "size_deg":
            if x.size >= 2:
                row["surround_suppression_index"] = M.surround_suppression_index(curve, x)
                row["gsf_deg"] = M.grating_summation_field(curve, x)
            if jobs is not None:
                jobs.append((row, "size_rog", curve, x))
        elif jobs is not None:
            jobs.append((row, "contrast_nr", curve, x))


def _rms_cone_contrast(responses, name: str) -> float:
    """Largest RMS cone contrast sqrt((c_L^2 + c_M^2 + c_S^2) / 3) over the stimuli of one set."""
    mask = np.asarray(responses["set"].values == name)
    if not all(c in responses.coords for c in _CONES):
        return float("nan")
    cones = np.stack([np.asarray(responses[c].values, dtype=float)[mask] for c in _CONES])
    return float(np.nanmax(np.sqrt(np.nanmean(cones ** 2, axis=0))))


def _check_equated(responses, luminance_set: str, chromatic_set: str, rtol: float = 0.05) -> None:
    """Johnson et al. (2001) compare luminance and isoluminant gratings equated for cone contrast."""
    lum, chrom = _rms_cone_contrast(responses, luminance_set), _rms_cone_contrast(responses, chromatic_set)
    if np.isnan(lum) or np.isnan(chrom):
        return  # cone contrasts not recorded (hand-built responses): the caller vouches for the equating
    if not np.isclose(lum, chrom, rtol=rtol):
        raise AnalysisError(
            f"stimulus sets '{luminance_set}' and '{chromatic_set}': RMS cone contrast {lum:.4g} vs {chrom:.4g}; "
            f"the chromatic ratio needs them equated (Johnson et al. 2001): give a luminance sweep at contrast "
            f"{chrom / lum:.4g} of this one as analyses.roles.matched_luminance_gratings")


def _unit_table(responses, blank: np.ndarray) -> list[dict]:
    n = responses.sizes["unit"]
    if "model" in responses.coords:
        model = np.broadcast_to(np.asarray(responses["model"].values), (n,))
    else:
        model = np.full(n, responses.attrs.get("model", np.nan), dtype=object)
    layer = (np.asarray(responses["layer"].values) if "layer" in responses.coords else
             np.full(n, responses.attrs.get("layer", np.nan), dtype=object))
    channel = np.asarray(responses["channel"].values) if "channel" in responses.coords else np.arange(n)
    values = np.asarray(responses.transpose("unit", "stimulus").values, dtype=float)
    peak = (values - blank[:, None]).max(axis=1) if values.shape[1] else np.full(n, np.nan)
    return [{"model": model[u], "layer": np.broadcast_to(layer, (n,))[u], "channel": int(channel[u]),
             "blank": float(blank[u]), "peak_response_above_blank": float(peak[u])} for u in range(n)]


_COLUMNS = ("model", "layer", "channel", "responsive", "orientation_selective", "preferred_orientation_deg",
            "circular_variance", "orientation_bandwidth_deg", "orthogonal_preferred_ratio", "modulation_ratio",
            "simple", "peak_sf_cpd", "sf_bandwidth_oct", "surround_suppression_index", "gsf_deg",
            "chromatic_ratio", "uniform_field_ratio", "preferred_dkl_azimuth_deg", "color_class",
            "single_opponent", "double_opponent", "cell_class", "blank", "peak_response_above_blank",
            "n_orientations", "luminance_peak_amplitude", "matched_luminance_peak_amplitude",
            "chromatic_peak_amplitude", "uniform_peak_response",
            "chromatic_sf_low_ratio", "chromatic_orientation_bandwidth_deg")


def characterise_layer(responses, blank, roles: AnalysisRoles, criteria: ClassificationCriteria | None = None,
                       *, fits: bool = True) -> pd.DataFrame:
    """Metrics, model fits and classes of every unit of one layer.

    Parameters
    ----------
    responses : xarray.DataArray
        Dims ``("unit", "stimulus")``; unit coordinates ``layer``, ``channel`` (and ``model``, or a ``model``
        attribute); stimulus coordinate ``set`` and the stimulus parameters (:data:`STIMULUS_PARAMETERS`, NaN
        where a parameter does not apply). Repeated stimuli are averaged.
    blank : xarray.DataArray or array_like
        Response of each unit to the uniform mean-grey screen, dims ``("unit",)``.
    roles : AnalysisRoles
        Which set plays which role; absent roles give NaN columns.
    criteria : ClassificationCriteria, optional
        Classifier thresholds (cited defaults when omitted).
    fits : bool
        Run the model fits; ``False`` leaves their columns NaN with status ``skipped``.

    Returns
    -------
    pandas.DataFrame
        One row per unit: the columns listed in ``docs/metrics.md`` (identity, classes, metrics, then the fit
        columns ``<prefix>_<param>``, ``..._ci_low``, ``..._ci_high``, ``<prefix>_r2``, ``_status``, ``_reason``
        for the prefixes ``ori_vm``, ``sf_lg``, ``size_rog``, ``contrast_nr``).
    """
    if tuple(responses.dims) not in (("unit", "stimulus"), ("stimulus", "unit")):
        raise AnalysisError(f"responses: expected dims ('unit', 'stimulus'), got {tuple(responses.dims)}")
    if "set" not in responses.coords:
        raise AnalysisError("responses: missing the stimulus coordinate 'set' (stimulus-set name)")
    n = responses.sizes["unit"]
    blank = np.asarray(getattr(blank, "values", blank), dtype=float).ravel()
    if blank.shape != (n,):
        raise AnalysisError(f"blank: expected one value per unit ({n}), got shape {blank.shape}")
    rows = _unit_table(responses, blank)
    ran, jobs = [], ([] if fits else None)

    lum = _select(responses, roles.luminance_gratings)
    if lum is not None:
        _luminance(_Grid(*lum, _GRATING, roles.luminance_gratings), blank, rows, jobs)
        ran += ["ori_vm", "sf_lg"]
    chrom = _select(responses, roles.chromatic_gratings)
    if chrom is not None:
        params = _colour_key(chrom[1])
        az = params.groupby("colour_key")["dkl_azimuth_deg"].first() if "dkl_azimuth_deg" in params else None
        azimuth_of_level = {k: (az[k] if az is not None else np.nan) for k in params["colour_key"].unique()}
        grid = _Grid(chrom[0], params, ("colour_key",) + _GRATING, roles.chromatic_gratings)
        _chromatic(grid, blank, rows, azimuth_of_level)
    uni = _select(responses, roles.uniform_fields)
    if uni is not None:
        _uniform(*uni, blank, rows)
    for role, dim, prefix in (("size_sweep", "size_deg", "size_rog"), ("contrast_sweep", "contrast", "contrast_nr")):
        part = _select(responses, getattr(roles, role))
        if part is not None:
            _sweep(_Grid(*part, (dim,) + _GRATING, getattr(roles, role)), blank, rows, dim, jobs)
            ran.append(prefix)

    if jobs:
        live = responsive_units([row["peak_response_above_blank"] for row in rows], criteria)
        alive = {id(row) for row, ok in zip(rows, live) if ok}
        for row, prefix, _, _ in jobs:
            if id(row) not in alive:
                row.update(_fit_row(prefix, None, "skipped", "unresponsive unit: nothing to fit"))
        _run_fits([job for job in jobs if id(job[0]) in alive])
    for prefix in _FITS:
        if not fits or prefix not in ran:
            status, reason = (("skipped", "fits=False") if not fits else
                              ("no data", "its stimulus set is not given in the roles or not in the responses"))
            for row in rows:
                row.update(_fit_row(prefix, None, status, reason))

    matched = _select(responses, roles.matched_luminance_gratings)
    if chrom is not None and matched is not None:
        _check_equated(responses, roles.matched_luminance_gratings, roles.chromatic_gratings)
        grid = _Grid(*matched, _GRATING, roles.matched_luminance_gratings)
        peaks = np.nanmax(_components(*grid.harmonics(), blank).reshape(len(rows), -1), axis=1)
        for row, peak in zip(rows, peaks):
            row["matched_luminance_peak_amplitude"] = float(peak)

    table = pd.DataFrame(rows)
    for col in _COLUMNS:
        if col not in table:
            table[col] = np.nan
    lum_peak = np.where(table["matched_luminance_peak_amplitude"].notna(),
                        table["matched_luminance_peak_amplitude"], table["luminance_peak_amplitude"]).astype(float)
    chrom_peak = table["chromatic_peak_amplitude"].to_numpy(float)
    uni_peak = table["uniform_peak_response"].to_numpy(float)
    table["chromatic_ratio"] = [M.chromatic_ratio(c, lp) if np.isfinite(c) and np.isfinite(lp) else np.nan
                                for c, lp in zip(chrom_peak, lum_peak)]
    table["uniform_field_ratio"] = [M.uniform_field_ratio(up, c) if np.isfinite(up) and np.isfinite(c) else np.nan
                                    for up, c in zip(uni_peak, chrom_peak)]
    classes = classify_units(table, criteria)
    for col in classes:
        table[col] = classes[col]
    fit_cols = [c for c in table.columns if c not in _COLUMNS]
    return table[list(_COLUMNS) + fit_cols]
