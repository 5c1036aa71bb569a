"""The tuning curves the analysers measure, per unit: what a figure of example tuning curves draws.

Each curve is the one the analysis read its metrics from and fitted, taken by the analyser itself (no second
implementation): the F0 orientation curve at the unit's optimum SF (``luminance_gratings``, fitted by ``ori_vm``),
the SF curve of the larger component (F0 - blank or F1) at its preferred orientation (``sf_lg``), the size and
contrast curves at the unit's closed-loop optimum, or where the amplitude is largest in an open-loop sweep
(``size_rog``, ``contrast_nr``), and the chromatic SF curve taken like the luminance one (``chromatic_gratings``,
not fitted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from v1lab.characterisation._grid import select
from v1lab.characterisation.closed_loop import unit_optima
from v1lab.characterisation.layer import ANALYSERS, AT_OPTIMUM
from v1lab.characterisation.roles import AnalysisRoles
from v1lab.errors import AnalysisError

__all__ = ["CURVES", "TuningCurves", "tuning_curves"]

#: Curve name -> (analysis role, key of the analyser's curve: a fit prefix of :data:`v1lab.units.FIT_PREFIXES`
#: or a curve it measures without fitting), in the order a figure shows them.
CURVES: dict[str, tuple[str, str]] = {
    "orientation": ("luminance_gratings", "ori_vm"),
    "spatial_frequency": ("luminance_gratings", "sf_lg"),
    "size": ("size_sweep", "size_rog"),
    "contrast": ("contrast_sweep", "contrast_nr"),
    "chromatic_spatial_frequency": ("chromatic_gratings", "chromatic_sf"),
}


@dataclass(frozen=True)
class TuningCurves:
    """One kind of tuning curve of the chosen units.

    Attributes
    ----------
    name : str
        A key of :data:`CURVES`.
    role, set_name : str
        The analysis role and the stimulus set it was measured on.
    key : str
        The fit prefix (``ori_vm``, ``sf_lg``, ``size_rog``, ``contrast_nr``) or ``chromatic_sf``.
    x : ndarray (n,)
        The swept parameter: orientation (deg), SF (cycles/deg), aperture diameter (deg) or contrast.
    curves : ndarray (U, n)
        Responses in the network's units (NaN rows: no stimuli at that unit's optimum).
    """

    name: str
    role: str
    set_name: str
    key: str
    x: np.ndarray
    curves: np.ndarray


def tuning_curves(responses, roles: AnalysisRoles, units=None) -> dict[str, TuningCurves]:
    """The tuning curves of a layer's units, exactly as the analysers take them (module docstring).

    Parameters
    ----------
    responses : xarray.Dataset
        One layer's responses (:func:`v1lab.recording.layer_dataset`, or :meth:`v1lab.runs.Run.responses`).
    roles : AnalysisRoles
        Which set plays which role (the protocol's ``analyses.roles``).
    units : sequence of int, optional
        Positions along the ``unit`` dimension (default: every unit); each unit's curves depend on its own
        responses only.

    Returns
    -------
    dict of str -> TuningCurves
        The curves whose role names a set present in ``responses``, in :data:`CURVES` order; a curve the
        analyser could not take (e.g. fewer than 3 orientations) is left out.

    Examples
    --------
    >>> curves = tuning_curves(run.responses("conv1"), AnalysisRoles(**run.protocol["analyses"]["roles"]))  # doctest: +SKIP
    >>> curves["orientation"].x, curves["orientation"].curves[0]  # doctest: +SKIP
    """
    if "blank" not in getattr(responses, "data_vars", ()):
        raise AnalysisError("responses: expected a Dataset with variable 'blank' (v1lab.recording.layer_dataset)")
    if units is not None:
        responses = responses.isel(unit=np.asarray(units, dtype=int).ravel())
    blank = np.asarray(responses["blank"].values, dtype=float).ravel()
    optima = unit_optima(responses)
    named = roles.named()
    results, out = {}, {}
    for name, (role, key) in CURVES.items():
        part = select(responses, named.get(role))
        if part is None:
            continue
        if role not in results:
            extra = {"optima": optima} if role in AT_OPTIMUM else {}
            result = ANALYSERS[role](part, blank, **extra)
            results[role] = {**result.fits, **result.curves}
        request = results[role].get(key)
        if request is not None and request.curves is not None:
            out[name] = TuningCurves(name, role, part.name, key, np.asarray(request.x, dtype=float),
                                     np.asarray(request.curves, dtype=float))
    return out
