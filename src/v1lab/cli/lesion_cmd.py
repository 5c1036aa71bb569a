"""``v1lab lesion``: find a layer's inactive units and measure what silencing units does to accuracy."""

from __future__ import annotations

import sys

from v1lab.errors import RunFolderError

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "lesion",
        help="inactive units and lesion experiments (accuracy with units silenced, against matched null sets)",
        description="Measure each unit's inactivity (filter norm, sparsity, stimulus and natural-image responses), "
        "silence sets of units (inactive by each definition, cell classes, single units, and null sets matched on the "
        "defining property or drawn from the other units) and test the change in top-1/top-5 accuracy and "
        "correct-class log-probability on an ImageNet-style folder (primary test: McNemar on top-1; Holm over every "
        "test). Writes inactive.csv, lesion.csv, single_unit.csv, null.csv, matching.csv, tests.csv, verdicts.txt, "
        "notes.txt, figures and manifest.json into a new folder.",
    )
    p.add_argument("--model", default="resnet50-caffe", help="model spec (default: resnet50-caffe)")
    p.add_argument("--layer", default="conv1", help="layer whose channels are the units (default: conv1)")
    p.add_argument("--silence-at", help="module whose output is silenced (default: the ReLU after a conv layer)")
    p.add_argument("--images", required=True, help="ImageNet-style folder (class sub-folders or <wnid>_<name>.JPEG)")
    p.add_argument("--out", help="new (or empty) result folder; default runs/lesion-<layer>-<time>")
    p.add_argument("--n-random", type=int, default=100, help="null sets per tested set and null (default: 100; the "
                   "smallest Monte-Carlo p-value is 2/(n+1))")
    p.add_argument("--null", choices=["matched", "random-active", "both"], default="both",
                   help="null sets matched on the tested set's defining property, uniform over the other units "
                   "(reference), or both (default: both)")
    p.add_argument("--strata", type=int, default=8, help="quantile bins of the property for the matched null "
                   "(default: 8)")
    p.add_argument("--class-property", choices=["natural_mean", "filter_norm", "sparsity", "stimulus_max"],
                   default="natural_mean", help="property a class group's matched null is matched on "
                   "(default: natural_mean)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random sets and bootstrap (default: 0)")
    p.add_argument("--mode", choices=["zero", "mean"], default="zero",
                   help="silenced output set to 0 or to its natural-image mean (default: zero)")
    p.add_argument("--units-table", help="a run folder, or its units.csv / units.parquet: lesion each cell class as "
                   "a group")
    p.add_argument("--responses", help="run folder (or .nc file) with the layer's stimulus responses")
    p.add_argument("--max-images", type=int, help="use only the first N images")
    p.add_argument("--batch-size", type=int, default=50, help="images per forward pass (default: 50)")
    p.add_argument("--no-single-units", action="store_true", help="skip the one-unit-at-a-time profile")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
    p.add_argument("--workers", type=int, default=0, help="image-loading processes (default: 0)")
    p.add_argument("--resume", action="store_true", help="finish the interrupted run in --out")
    p.add_argument("--no-progress", action="store_true", help="do not draw progress bars")
    p.set_defaults(func=_run)


def _config(args):
    from pydantic import ValidationError

    from v1lab.errors import ProtocolError
    from v1lab.lesion.config import LesionConfig

    fields = dict(images=args.images, layer=args.layer, silence_at=args.silence_at, mode=args.mode,
                  n_random=args.n_random, null=args.null, strata=args.strata, class_property=args.class_property,
                  seed=args.seed, max_images=args.max_images, batch_size=args.batch_size,
                  single_units=not args.no_single_units, units_table=args.units_table, responses=args.responses)
    try:
        return LesionConfig(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]).replace("_", "-")
        raise ProtocolError(f"--{where}: {err.get('input')!r}: {err['msg']}") from None


def _device(name: str):
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def _run(args) -> int:
    import time

    from v1lab.lesion.experiment import config_text, run_lesion_on_model
    from v1lab.models import load_model
    from v1lab.runs.folder import RunFolder

    config = _config(args)
    device = _device(args.device)
    model = load_model(args.model, device=device)
    text = config_text(config, model.spec)
    if args.resume:
        if not args.out:
            raise RunFolderError("--resume: expected --out RUN_DIR naming the interrupted run")
        folder = RunFolder.resume(args.out, text)
    else:
        folder = RunFolder.create("runs", f"lesion-{config.layer}", out=args.out)
    folder.start(protocol_text=text, model_spec=model.spec, weights_sha256=model.weights_sha256,
                 device=str(device), seed=config.seed, argv=sys.argv)
    started = time.perf_counter()
    result, n = run_lesion_on_model(model, config, folder, device=device, progress=not args.no_progress,
                                    workers=args.workers)
    folder.finish(silenced_module=result.silenced, n_images=n, n_sets=int(len(result.lesions)),
                  seconds=round(time.perf_counter() - started, 1), verdicts=result.verdicts, notes=result.notes)
    for line in result.verdicts + result.notes:
        print(line)
    print(f"v1lab: lesion results in {folder.path} ({len(result.lesions)} sets, {n} images, "
          f"{time.perf_counter() - started:.0f} s)")
    return 0
