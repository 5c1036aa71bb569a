"""Characterise one layer of a model in memory, without a protocol file or a run folder (for notebooks)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from v1lab.characterisation.layer import characterise_layer
from v1lab.characterisation.roles import AnalysisRoles
from v1lab.errors import AnalysisError

__all__ = ["characterise", "infer_roles"]


def _stimulus_set(item, ppd: float):
    """A StimulusSet from a set, a file path, a name under ``./stimuli`` or a definition mapping, at ``ppd``."""
    from v1lab.stimuli import StimulusSet, load_stimulus_set, stimulus_set_from_dict

    if isinstance(item, StimulusSet):
        stim = item
    elif isinstance(item, dict):
        stim = stimulus_set_from_dict(item)
    else:
        path = Path(item)
        if not path.is_file() and (Path("stimuli") / f"{item}.yaml").is_file():
            path = Path("stimuli") / f"{item}.yaml"
        stim = load_stimulus_set(path)
    return stim if stim.ppd == ppd else stim.with_ppd(ppd)


def _varies(stim, column: str) -> bool:
    return column in stim.params and stim.params[column].nunique(dropna=False) > 1


def infer_roles(sets) -> AnalysisRoles:
    """Analysis roles read off the sets' families and parameters, where exactly one set fits a role.

    * ``luminance_gratings``: luminance gratings varying only orientation, SF and phase;
    * ``chromatic_gratings``: gratings of another colour direction, varying only those and the colour;
    * ``uniform_fields``: the ``color_field`` family;
    * ``size_sweep`` / ``contrast_sweep``: gratings whose diameter / contrast varies.

    Matched luminance gratings are never inferred. A role two sets fit is an :class:`AnalysisError`: name the
    roles explicitly then.
    """
    found: dict[str, list[str]] = {}
    for stim in sets:
        role = None
        if stim.family == "color_field":
            role = "uniform_fields"
        elif stim.family == "grating":
            luminance = set(stim.params["color_direction"].astype(str)) == {"luminance"}
            if _varies(stim, "size_deg"):
                role = "size_sweep"
            elif _varies(stim, "contrast"):
                role = "contrast_sweep"
            elif luminance:
                role = "luminance_gratings"
            else:
                role = "chromatic_gratings"
        if role is not None:
            found.setdefault(role, []).append(stim.name)
    twice = {role: names for role, names in found.items() if len(names) > 1}
    if twice:
        role, names = next(iter(twice.items()))
        raise AnalysisError(f"roles: sets {names} could each be the {role}; expected roles named explicitly, e.g. "
                            f"roles={{'{role}': '{names[0]}'}}")
    return AnalysisRoles(**{role: names[0] for role, names in found.items()})


def characterise(model, layer: str, stimuli, roles=None, ppd: float = 28.0, *, response: str = "post_relu",
                 criteria=None, fits: bool = True, device="cpu", batch_size: int = 256,
                 progress: bool = False) -> tuple[pd.DataFrame, object]:
    """Record one layer's centre units on stimulus sets and characterise them, all in memory.

    Parameters
    ----------
    model : str, nn.Module or LoadedModel
        See :func:`v1lab.load_model` (a plain module takes ImageNet preprocessing).
    layer : str
        Dotted module name, optionally ``MODULE=LABEL`` (the label names the layer in the outputs).
    stimuli : iterable
        Stimulus sets: :class:`~v1lab.stimuli.StimulusSet` objects, stimulus-set files, names of files in
        ``./stimuli``, or definitions as mappings.
    roles : AnalysisRoles or dict, optional
        Which set plays which analysis role; default :func:`infer_roles`.
    ppd : float
        Pixels per degree of visual angle (28: 224 px span 8 deg).
    response : {"post_relu", "pre_relu", "output"}
    criteria : ClassificationCriteria or dict, optional
    fits : bool
    device : str
    batch_size : int
        Stimuli per forward pass.
    progress : bool

    Returns
    -------
    units : pandas.DataFrame
        The units table's rows (:mod:`v1lab.units`).
    responses : xarray.Dataset
        The layer's responses to every set (:mod:`v1lab.recording.dataset`).
    """
    from v1lab.classify import ClassificationCriteria
    from v1lab.models import load_model
    from v1lab.recording import CentreUnitRecorder, layer_dataset, resolve_device

    dev = resolve_device(device)
    loaded = load_model(model, device=dev)
    module, _, label = layer.partition("=")
    sets = [_stimulus_set(item, ppd) for item in stimuli]
    if not sets:
        raise AnalysisError("stimuli: expected at least one stimulus set")
    if roles is None:
        roles = infer_roles(sets)
    elif not isinstance(roles, AnalysisRoles):
        roles = AnalysisRoles(**roles)
    if isinstance(criteria, dict):
        criteria = ClassificationCriteria(**criteria)
    recorder = CentreUnitRecorder(loaded, module.strip(), response=response, device=dev, batch_size=batch_size,
                                  ppd=ppd)
    blank = recorder.record(sets[0].blank(recorder.canvas, device=dev)).cpu().numpy()[0]
    with tqdm(total=sum(len(s) for s in sets), unit="stim", desc=label or module, disable=not progress) as bar:
        parts = [(s.name, s.params, recorder.record_set(s, progress=bar)) for s in sets]
    rf = recorder.receptive_field
    ds = layer_dataset(parts, blank, channels=range(recorder.n_channels), attrs={
        "model": loaded.spec, "weights_sha256": loaded.weights_sha256, "ppd": ppd,
        "layer": label.strip() or module.strip(), "module": module.strip(), "response": response,
        "rf_size_px": list(rf.size), "rf_size_deg": [s / ppd for s in rf.size], "crop_box_px": list(recorder.crop_box)})
    return characterise_layer(ds, roles, criteria, fits=fits), ds
