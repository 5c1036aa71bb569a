"""Gather a sweep's per-task runs into one folder: a run per model, the combined tables, the comparison report.

For every label whose tasks are all complete, ``SWEEP/models/<label>/`` becomes an ordinary run folder (manifest,
protocol with all the model's layers, units table, population tables, each layer's responses linked from its task's
folder), so ``v1lab report``, ``v1lab agree`` and ``v1lab compare`` read it like any run. The sweep folder then holds
``units.csv``/``units.parquet`` (every model's units, ``model`` = the label, since seeds share a spec), the
population tables of every model (concatenated: each table is computed per model and layer, see
:func:`v1lab.population.write_tables`) and, with two or more models, ``comparison/`` (:mod:`v1lab.compare`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import yaml

from v1lab.population import applicable_references, write_tables
from v1lab.runs import RunFolder, atomic_path, load_run
from v1lab.units import read_units, write_units

__all__ = ["gather_model", "gather_sweep"]

_TABLES = ("population", "population_long", "depth_tests", "comparison", "most_v1_like", "ppd_sensitivity")


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def gather_model(label: str, folders: list[Path], out: Path) -> Path:
    """One run folder at ``out`` from the complete single-layer runs ``folders`` (in layer order) of one model."""
    runs = [load_run(f) for f in folders]
    protocol = dict(runs[0].protocol)
    protocol["layers"] = [spec for run in runs for spec in run.protocol.get("layers", [])]
    text = yaml.safe_dump(protocol, sort_keys=False)
    first = runs[0].manifest
    if out.exists():
        shutil.rmtree(out)  # derived data, rebuilt from the task folders every time
    folder = RunFolder.create(out.parent, label, out=out)
    folder.start(protocol_text=text, model_spec=first.get("model", label), weights_sha256=first.get("weights_sha256"),
                 device=first.get("device", ""), seed=first.get("seed", 0), argv=["v1lab", "sweep", "gather", label])
    units = pd.concat([read_units(run.path) for run in runs], ignore_index=True)
    write_units(units, folder.path)
    for run in runs:
        for layer in run.layers:
            _link(RunFolder(run.path).layer_path(layer), folder.layer_path(layer))
    write_tables(units, folder.path, references=applicable_references(protocol.get("references"), units),
                 seed=int(protocol.get("seed", 0)), ppd=float(protocol.get("ppd", 28.0)),
                 layer_order=[layer for run in runs for layer in run.layers])
    folder.finish(n_units=len(units), gathered_from=[str(run.path) for run in runs], sweep_label=label)
    return folder.path


def gather_sweep(root: Path, status: pd.DataFrame, *, report: bool = True, progress: bool = True) -> dict:
    """Gather every label whose tasks are all complete; returns ``{"models": {label: folder}, "report": path or None,
    "left_out": [labels]}``. With two or more models the comparison (tables and ``report.html``) goes to
    ``root/comparison``, its figures too unless ``report`` is false (the protocol's ``output.report``)."""
    models, left_out = {}, []
    for label, g in status.groupby("label", sort=False):
        if g["status"].isin(["complete", "done"]).all():
            models[label] = gather_model(label, [Path(f) for f in g["folder"]], root / "models" / label)
        else:
            left_out.append(label)
    if not models:
        return {"models": {}, "report": None, "left_out": left_out}
    units = pd.concat([read_units(path).assign(model=label) for label, path in models.items()], ignore_index=True)
    write_units(units, root)
    for name in _TABLES:
        frames = [_read(path / f"{name}.csv").assign(model=label) for label, path in models.items()]
        frames = [f for f in frames if len(f)]
        with atomic_path(root / f"{name}.csv") as tmp:
            (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()).to_csv(tmp, index=False)
    page = None
    if len(models) >= 2:
        from v1lab.compare import compare_models, write_comparison

        comparison = compare_models(list(models.values()), labels=list(models))
        page = write_comparison(comparison, root / "comparison", figures=report)
        if progress:
            print(comparison.summary(), flush=True)
    return {"models": models, "report": page, "left_out": left_out}


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path) if path.is_file() else pd.DataFrame()
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
