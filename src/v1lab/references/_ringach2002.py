"""Derive the shipped Ringach, Shapley & Hawken (2002) references from the per-neuron database.

The database (``ringach_2002_db.mat``, 308 macaque V1 neurons, distributed by the Ringach lab) stays
outside the repository; ``scripts/derive_ringach2002.py`` calls :func:`derive_ringach2002` and writes
the binned distributions and exact summary statistics returned here into ``references/data``. The
test suite calls the same function on the database, when present, and checks the shipped files
against it.

Bin edges are those of the Brain-Score V1 property benchmarks (Marques, Schrimpf & DiCarlo 2021,
``brainscore_vision/data/marques2020``), so similarity scores are comparable with that literature.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from v1lab.errors import ReferenceDataError

__all__ = ["derive_ringach2002", "DB_SHA256"]

DB_SHA256 = "2fd5279bc2b9a2605f14ee314605612efafdef9e798a4faf4820a7af427053f1"
_FIELDS = ("orivar", "bw", "po", "maxdc", "maxfirst", "spont", "mindc")
_NOT_SELECTIVE_BW = 90.0  # database convention: bw > 90 deg means "not orientation selective"

_CITATION = {
    "authors": "Ringach D.L., Shapley R.M., Hawken M.J.",
    "year": 2002,
    "title": "Orientation selectivity in macaque V1: diversity and laminar dependence",
    "journal": "Journal of Neuroscience",
    "volume": "22(13)",
    "pages": "5639-5651",
    "doi": "10.1523/JNEUROSCI.22-13-05639.2002",
    "figure": ("per-neuron database behind the paper's population analyses (public release of the "
               "Ringach lab, field {field}); binned by v1lab on the Brain-Score bin edges"),
}
_COMMON = {
    "species": "macaque monkey",
    "area": "V1 (all layers)",
}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load(path: Path) -> dict[str, np.ndarray]:
    from scipy.io import loadmat

    db = loadmat(path)["db"]
    missing = [f for f in _FIELDS if f not in db.dtype.names]
    if missing:
        raise ReferenceDataError(f"{path}: struct `db` lacks field(s) {missing}; expected {list(_FIELDS)}")
    return {f: np.asarray(db[f][0, 0], dtype=float).ravel() for f in _FIELDS}


def _hist(values: np.ndarray, edges: np.ndarray) -> list[int]:
    clipped = np.clip(values, edges[0], edges[-1])  # Brain-Score clips into the end bins before binning
    return [int(c) for c in np.histogram(clipped, bins=edges)[0]]


def _stats(values: np.ndarray) -> dict[str, float]:
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return {"n": int(values.size), "median": float(med), "q1": float(q1), "q3": float(q3),
            "mean": float(np.mean(values))}


_BRAINSCORE = ("Brain-Score brain-score/vision: brainscore_vision/benchmarks/marques2020/benchmarks/"
               "ringach2002_benchmark.py (model side) and data/marques2020/data_packaging/marques_ringach2002.py "
               "(database side), read")
_NOT_READ = ("the paper's Methods could not be read; the definition is Brain-Score's re-implementation of it and "
             "the database's field description")


def _convention(column, transform="identity", eligible=None, note=_NOT_READ):
    """How the model's value is computed by this reference's definition (the units enter as the database's
    cells do: a response at the preferred grating at least the threshold above the spontaneous rate)."""
    return {"model_column": column, "transform": transform, "eligible": eligible,
            "model_inclusion": "luminance_f0", "source": _BRAINSCORE, "verified": "implementation", "note": note}


def _payload(name, prop, kind, unit, field, definition, inclusion, edges, values, summary, provenance, convention):
    citation = dict(_CITATION, figure=_CITATION["figure"].format(field=field))
    return {
        "name": name, "property": prop, "kind": kind, "unit": unit, "citation": citation, **_COMMON,
        "n": int(len(values)) if kind == "distribution" else int(sum(values)),
        "definition": definition, "inclusion": inclusion,
        "bin_edges": [float(e) for e in edges],
        "counts": _hist(values, edges) if kind == "distribution" else [int(v) for v in values],
        "bin_scale": "linear", "summary": summary, "provenance": provenance, "convention": convention,
    }


def derive_ringach2002(db_path: str | Path) -> dict[str, dict]:
    """Binned distributions and exact summary statistics of the Ringach et al. (2002) database.

    Parameters
    ----------
    db_path : path
        ``ringach_2002_db.mat`` (sha256 :data:`DB_SHA256`).

    Returns
    -------
    dict
        ``{reference name: JSON-ready payload}`` for circular variance, orientation bandwidth,
        orthogonal/preferred ratio, F1/F0 (modulation ratio), the fraction of cells with F1/F0 > 1 and
        the fraction of orientation-selective cells. Every payload has the schema read by
        :func:`v1lab.references.load_reference`.

    Notes
    -----
    Cells enter as in Brain-Score's packaging of the database (``marques_ringach2002.py``): those whose F0 at
    the preferred orientation exceeds the spontaneous rate by more than 5 spikes/s (``maxdc > spont + 5``, 304
    of 308); the model's units enter by the same rule on their own scale (F0 - blank at the preferred
    grating above the layer's responsiveness threshold). Definitions, as in the paper: circular variance
    :math:`CV = 1 - |\\sum_k r_k e^{2i\\theta_k}| / \\sum_k r_k`;
    bandwidth = half-width of the tuning curve at :math:`1/\\sqrt{2}` of its peak, in degrees (values
    above 90 mean not selective); orthogonal/preferred ratio :math:`r(\\theta_{pref}+90) / r(\\theta_{pref})`;
    F1/F0 = ``maxfirst / maxdc`` at the preferred orientation (Skottun et al. 1991 criterion: simple
    if > 1). Bin edges from Marques, Schrimpf & DiCarlo (2021): CV and ratio ``linspace(0, 1, 14)``,
    bandwidth ``linspace(0, 90, 18)``, F1/F0 ``linspace(0, 2, 11)``.
    """
    path = Path(db_path)
    sha = _sha256(path)
    if sha != DB_SHA256:
        raise ReferenceDataError(f"{path}: sha256 {sha}; expected the public release {DB_SHA256}")
    d = _load(path)
    n_db = d["orivar"].size
    prov = {
        "derived_from": "ringach_2002_db.mat (public per-neuron database, 308 neurons)",
        "sha256": DB_SHA256,
        "script": "scripts/derive_ringach2002.py (v1lab.references._ringach2002.derive_ringach2002)",
        "bin_edges_from": ("Marques, Schrimpf & DiCarlo 2021, brain-score/vision "
                           "brainscore_vision/data/marques2020/data_packaging/marques_ringach2002.py"),
    }
    keep = d["maxdc"] > d["spont"] + 5.0
    d = {k: v[keep] for k, v in d.items()}
    all_cells = (f"the {int(keep.sum())} of {n_db} neurons of the database whose F0 at the preferred orientation "
                 "exceeds the spontaneous rate by more than 5 spikes/s (maxdc > spont + 5, Brain-Score's rule)")
    cv, bw, po = d["orivar"], d["bw"], d["po"]
    f1f0 = d["maxfirst"] / d["maxdc"]
    selective = bw <= _NOT_SELECTIVE_BW
    simple = f1f0 > 1.0
    out = {}
    out["ringach2002_circular_variance"] = _payload(
        "ringach2002_circular_variance", "circular_variance", "distribution", "1", "orivar",
        "circular variance of the orientation tuning curve, CV = 1 - |sum_k r_k exp(2i theta_k)| / sum_k r_k "
        "(0 = responds to one orientation only, 1 = untuned)",
        all_cells, np.linspace(0, 1, 14), cv, _stats(cv), prov, _convention("circular_variance"))
    out["ringach2002_orientation_bandwidth"] = _payload(
        "ringach2002_orientation_bandwidth", "orientation_bandwidth_deg", "distribution", "deg", "bw",
        "orientation bandwidth: half-width of the tuning curve at 1/sqrt(2) of its peak, in degrees",
        f"orientation-selective neurons (bw <= 90 deg) among {all_cells}; the Brain-Score benchmark "
        "likewise drops bw > 90", np.linspace(0, 90, 18), bw[selective],
        {**_stats(bw[selective]), "median_all_cells": float(np.median(bw)), "n_all_cells": int(bw.size)}, prov,
        _convention("orientation_bandwidth_deg", eligible="selective_bandwidth"))
    out["ringach2002_orthogonal_preferred_ratio"] = _payload(
        "ringach2002_orthogonal_preferred_ratio", "orthogonal_preferred_ratio", "distribution", "1", "po",
        "response at the orthogonal orientation divided by the response at the preferred orientation",
        all_cells, np.linspace(0, 1, 14), po, _stats(po), prov, _convention("orthogonal_preferred_ratio"))
    out["ringach2002_modulation_ratio"] = _payload(
        "ringach2002_modulation_ratio", "modulation_ratio", "distribution", "1", "maxfirst / maxdc",
        "F1/F0: first-harmonic amplitude divided by the mean rate, both at the preferred orientation "
        "(maxfirst / maxdc)", all_cells, np.linspace(0, 2, 11), f1f0,
        {**_stats(f1f0), "fraction_above_1": float(simple.mean())}, prov,
        _convention("modulation_ratio", note=_NOT_READ + "; F0 is the raw mean rate (maxdc, compared with the "
                    "spontaneous rate by Brain-Score's inclusion rule), so the model's F0 is not blank-subtracted"))
    out["ringach2002_simple_fraction"] = _payload(
        "ringach2002_simple_fraction", "simple_fraction", "proportion", "1", "maxfirst / maxdc",
        "fraction of cells with F1/F0 > 1 (simple cells by the Skottun et al. 1991 criterion); "
        "counts = [F1/F0 <= 1, F1/F0 > 1]", all_cells, np.array([0.0, 0.5, 1.0]),
        [int((~simple).sum()), int(simple.sum())],
        {"fraction": float(simple.mean()), "n_simple": int(simple.sum())}, prov,
        _convention("simple", transform="flag", eligible="finite:modulation_ratio"))
    out["ringach2002_orientation_selective_fraction"] = _payload(
        "ringach2002_orientation_selective_fraction", "orientation_selective_fraction", "proportion", "1",
        "bw", "fraction of cells with a finite orientation bandwidth (bw <= 90 deg); "
        "counts = [not selective, selective]", all_cells, np.array([0.0, 0.5, 1.0]),
        [int((~selective).sum()), int(selective.sum())],
        {"fraction": float(selective.mean()), "n_selective": int(selective.sum())}, prov,
        _convention("orientation_bandwidth_deg", transform="selective_bandwidth"))
    return out
