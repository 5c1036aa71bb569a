"""A whole lesion experiment in a run folder: measures, sets, forward passes (resumable), statistics, files.

Files written (each atomically)::

    RUN/manifest.json      model, weights sha256, settings, versions, timings, status
    RUN/protocol.yaml      the effective LesionConfig
    RUN/baseline.npz       unlesioned per-image outcomes and labels, natural-image statistics of the map
    RUN/sets/<set>.npz     per-image outcomes of each lesioned set (a resumed run skips those present)
    RUN/inactive.csv       per-unit inactivity measures and flags
    RUN/lesion.csv         one row per lesioned set (paired tests, Holm-adjusted p-values, null summaries)
    RUN/single_unit.csv    the single-unit rows
    RUN/null.csv           the null-set rows (column ``null``: matched or random-active)
    RUN/matching.csv       how well each null matches its tested set on the defining property
    RUN/tests.csv          the Holm family: every test of the run
    RUN/verdicts.txt       one plain-language line per tested set
    RUN/notes.txt          how to read the run (primary test, p-value floor, training-set overlap)
    RUN/single_unit.png, RUN/null.png

The statistics are in :mod:`v1lab.lesion.analysis`.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from tqdm.auto import tqdm

from v1lab.runs.atomic import atomic_path, write_text
from v1lab.errors import AnalysisError
from v1lab.lesion.analysis import analyse_lesions, matching_property
from v1lab.lesion.config import LesionConfig
from v1lab.lesion.engine import ImageSource, LesionEngine
from v1lab.lesion.inactivity import NaturalStats, inactive_channels, inactivity_table
from v1lab.lesion.sets import (LesionSet, class_sets, inactive_sets, matched_controls, random_controls,
                               read_class_groups, single_unit_sets)
from v1lab.lesion.silencing import find_silenced_module
from v1lab.lesion.stats import Outcomes, compare_paired
from v1lab.runs.folder import RunFolder
from v1lab.recording.layers import resolve_layer

__all__ = ["LesionResult", "run_lesion_experiment", "run_lesion_on_model", "config_text"]

#: Sets evaluated per pass over the images (the head output of a batch is shared by these).
SETS_PER_PASS = 32


@dataclass(frozen=True)
class LesionResult:
    """Tables of a finished experiment (also on disk in ``folder``)."""

    folder: Path
    silenced: str
    inactive: pd.DataFrame
    lesions: pd.DataFrame
    verdicts: list[str]
    notes: list[str]
    seconds: float


def config_text(config: LesionConfig, model_spec: str) -> str:
    """The effective settings as YAML (the run's ``protocol.yaml``; a resume must match it)."""
    return yaml.safe_dump({"model": model_spec, "lesion": config.model_dump(mode="json")}, sort_keys=True)


def _save_outcomes(path: Path, outcomes: Outcomes, **extra) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, logp=outcomes.logp, top1=outcomes.top1, top5=outcomes.top5, **extra)


def _load_outcomes(path: Path) -> tuple[Outcomes, dict]:
    with np.load(path) as data:
        rest = {k: data[k] for k in data.files if k not in ("logp", "top1", "top5")}
        return Outcomes(data["logp"], data["top1"], data["top5"]), rest


def _baseline(engine: LesionEngine, source: ImageSource, folder: RunFolder, batch_size: int):
    path = folder.file("baseline.npz")
    if path.is_file():
        outcomes, rest = _load_outcomes(path)
        stats = NaturalStats(rest["natural_total"], rest["natural_zeros"], int(rest["natural_count"]))
        return outcomes, stats
    outcomes, stats, labels = engine.baseline(source, batch_size=batch_size)
    _save_outcomes(path, outcomes, labels=labels.numpy(), natural_total=stats.total, natural_zeros=stats.zeros,
                   natural_count=np.int64(stats.count))
    return outcomes, stats


def _stimulus_max(config: LesionConfig, n_channels: int) -> np.ndarray | None:
    if config.responses is None:
        return None
    from v1lab.lesion._responses import read_stimulus_max

    return read_stimulus_max(config.responses, layer=config.label or config.layer, n_channels=n_channels)


def _controls(s: LesionSet, table: pd.DataFrame, config: LesionConfig) -> list[LesionSet]:
    """The null sets of tested set ``s`` (matched, then random-active, as ``config.null`` asks)."""
    controls = []
    if config.null in ("matched", "both"):
        prop = matching_property(s, config)
        if table[prop].isna().any():
            raise AnalysisError(f"class_property {prop!r}: not measured for layer {config.label or config.layer} "
                                "(no responses or no weights); expected a measured property, e.g. 'natural_mean'")
        controls += matched_controls(s, table[prop].to_numpy(dtype=float), config.n_random, config.seed,
                                     n_strata=config.strata)
    if config.null in ("random-active", "both"):
        controls += random_controls(s, len(table), config.n_random, config.seed)
    return controls


def _all_sets(config: LesionConfig, table: pd.DataFrame) -> tuple[list, list]:
    n_channels = len(table)
    tested = inactive_sets(inactive_channels(table))
    if config.units_table is not None and config.class_groups:
        tested += class_sets(read_class_groups(config.units_table, layer=config.label or config.layer,
                                               n_channels=n_channels))
    controls = [r for s in tested for r in _controls(s, table, config)]
    singles = single_unit_sets(n_channels) if config.single_units else []
    return tested, tested + singles + controls


def _row(s: LesionSet, base: Outcomes, lesioned: Outcomes, config: LesionConfig) -> tuple[dict, object]:
    cmp = compare_paired(base, lesioned, confidence=config.confidence, n_resamples=config.n_bootstrap,
                         seed=int(zlib.crc32(f"{config.seed}:{s.set_id}".encode())))
    return {"set_id": s.set_id, "kind": s.kind, "definition": s.definition, "null": s.null, "draw": s.draw,
            "channels": " ".join(str(c) for c in s.channels), "n": len(s.channels), **cmp.as_row()}, cmp


def run_lesion_experiment(module: torch.nn.Module, normalize, source: ImageSource, config: LesionConfig, *,
                          folder: RunFolder, device: str | torch.device = "cpu", progress: bool = True,
                          published_top1: float | None = None) -> LesionResult:
    """Run (or finish) a lesion experiment in ``folder`` (already started: manifest written).

    Parameters
    ----------
    module : nn.Module
        The network in eval mode (normalised input -> logits). Its weights are never modified.
    normalize : callable
        Display images -> normalised input.
    source : ImageSource
        The images (already limited to ``config.max_images``).
    config : LesionConfig
    folder : RunFolder
    device : str or torch.device
    progress : bool
        Progress bars: the unlesioned pass, then one bar over every lesioned set and image (with an ETA).
    published_top1 : float, optional
        The model's published ImageNet-validation top-1, compared with its accuracy on these images in the
        notes (:func:`v1lab.lesion.analysis.training_overlap_note`).
    """
    started = time.perf_counter()
    layer_module = resolve_layer(module, config.layer)
    first_images, _ = next(iter(source.batches(1)))
    example = normalize(first_images.to(device, torch.float32))
    silenced = config.silence_at or find_silenced_module(module, config.layer, example)
    engine = LesionEngine(module, normalize, silenced, device=device, progress=progress)

    base, natural = _baseline(engine, source, folder, config.batch_size)
    n_channels = len(natural.mean)
    weights = getattr(layer_module, "weight", None)
    weights = weights if isinstance(weights, torch.Tensor) and weights.shape[0] == n_channels else None
    table = inactivity_table(layer=config.label or config.layer, n_channels=n_channels, weights=weights,
                             natural=natural,
                             stimulus_max=_stimulus_max(config, n_channels), thresholds=config.thresholds)
    _write_csv(folder.file("inactive.csv"), table)

    tested, sets = _all_sets(config, table)
    fill = torch.as_tensor(natural.mean, dtype=torch.float32) if config.mode == "mean" else None
    pending = [s for s in sets if not folder.file(f"sets/{s.set_id}.npz").is_file()]
    unique = list(dict.fromkeys(s.channels for s in pending))  # identical sets are run once
    with tqdm(total=len(unique) * len(source), desc=f"lesions ({len(unique)} sets x {len(source)} images)",
              unit="img", disable=not progress, smoothing=0.1) as bar:
        for start in range(0, len(unique), SETS_PER_PASS):
            chunk = unique[start:start + SETS_PER_PASS]
            results = dict(zip(chunk, engine.lesion(source, chunk, batch_size=config.batch_size, fill=fill, bar=bar)))
            for s in pending:
                if s.channels in results:
                    _save_outcomes(folder.file(f"sets/{s.set_id}.npz"), results[s.channels],
                                   channels=np.asarray(s.channels))

    rows, comparisons = [], {}
    for s in sets:
        outcomes, _ = _load_outcomes(folder.file(f"sets/{s.set_id}.npz"))
        if len(outcomes) != len(base):
            raise AnalysisError(f"{folder.file(f'sets/{s.set_id}.npz')}: {len(outcomes)} images; expected "
                                f"{len(base)} (was the run resumed with other images?)")
        row, cmp = _row(s, base, outcomes, config)
        rows.append(row)
        comparisons[s.set_id] = cmp
    result = analyse_lesions(pd.DataFrame(rows), sets, tested, comparisons, table, config,
                             published_top1=published_top1)
    lesions = result.lesions
    single = lesions[lesions["kind"] == "single"].copy()
    if not single.empty:
        single.insert(0, "channel", [int(c) for c in single["channels"]])
    _write_csv(folder.file("lesion.csv"), lesions)
    _write_csv(folder.file("single_unit.csv"), single.dropna(axis=1, how="all"))
    _write_csv(folder.file("null.csv"), lesions[lesions["kind"] == "random"].dropna(axis=1, how="all"))
    _write_csv(folder.file("matching.csv"), result.matching)
    _write_csv(folder.file("tests.csv"), result.tests)
    for name, lines in (("verdicts.txt", result.verdicts), ("notes.txt", result.notes)):
        write_text(folder.file(name), "\n".join(lines) + ("\n" if lines else ""))

    from v1lab.lesion.figures import plot_null, plot_single_units

    if not single.empty:
        plot_single_units(single, folder.file("single_unit.png"), layer=config.label or config.layer)
    if (lesions["kind"] == "random").any():
        plot_null(lesions, folder.file("null.png"))
    return LesionResult(folder.path, silenced, table, lesions, result.verdicts, result.notes,
                        time.perf_counter() - started)


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def run_lesion_on_model(model, config: LesionConfig, folder: RunFolder, *, device="cpu", progress: bool = True,
                        workers: int = 0) -> tuple[LesionResult, int]:
    """Run the experiment on a loaded model (``v1lab lesion`` and protocols' ``lesion:`` section).

    Reads the images with the model's own preprocessing, and checks afterwards that no weight changed
    (silencing acts on activations only). Returns the result and the number of images.
    """
    from v1lab.errors import RunFolderError
    from v1lab.images import ImageNetFolder
    from v1lab.lesion.engine import DatasetImages

    pre = model.preprocessing
    dataset = ImageNetFolder(config.images, resize_size=pre.resize_size, crop_size=pre.input_size)
    n = len(dataset) if config.max_images is None else min(config.max_images, len(dataset))
    fits = n * 3 * pre.input_size ** 2 * 4 <= 2 * 1024 ** 3  # keep decoded images in memory up to 2 GiB
    source = DatasetImages(dataset, max_images=config.max_images, workers=workers, cache=fits)
    before = {k: v.detach().clone() for k, v in model.module.state_dict().items()}
    published = (model.meta.get("published_accuracy") or {}).get("top1")
    result = run_lesion_experiment(model.module, pre.normalize, source, config, folder=folder, device=device,
                                   progress=progress, published_top1=published)
    changed = [k for k, v in model.module.state_dict().items() if not torch.equal(v, before[k])]
    if changed:
        raise RunFolderError(f"lesion run {folder.path}: weights changed during the run ({changed[:3]})")
    return result, n
