"""``v1lab preferred``: optimised stimuli, top-k natural patches, filter images and the cross-check of one layer."""

from __future__ import annotations

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "preferred",
        help="preferred stimuli of a layer's centre units and their agreement with the tuning-curve labels",
        description="Optimise one image per unit (all units in one batch), find the top-k natural-image patches, "
        "draw the filters of a first linear layer, measure each optimised image (orientation, SF, DKL colour) and "
        "compare it with units.csv. Writes preferred_stimuli_<layer>.csv, agreement_<layer>.csv, "
        "preferred_images_<layer>.npz and gallery_<layer>.png into --out.",
    )
    p.add_argument("--model", default="resnet50-caffe", help="model spec (default resnet50-caffe)")
    p.add_argument("--layer", default="conv1", help="module name (default conv1)")
    p.add_argument("--label", help="the layer's name in --units-table and in the output files (default: --layer), "
                   "e.g. --layer relu --label conv1 for the post-ReLU conv1 units of a protocol run")
    p.add_argument("--units-table", help="a run folder, or its units.csv / units.parquet; without it a linear layer "
                   "is compared with the orientation of its own filter weights")
    p.add_argument("--images", help="ImageNet-style folder for the top-k patches (skipped when absent)")
    p.add_argument("--out", default="preferred", help="output folder (default ./preferred)")
    p.add_argument("--steps", type=int, default=256, help="optimisation steps (default 256)")
    p.add_argument("--channels", help="comma-separated channels (default all)")
    p.add_argument("--k", type=int, default=9, help="top-k patches per unit (default 9)")
    p.add_argument("--max-images", type=int, help="search only the first N images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ppd", type=float, default=28.0, help="pixels per degree (default 28)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from v1lab.models import load_model
    from v1lab.preferred.experiment import run_preferred
    from v1lab.recording import resolve_device
    from v1lab.units import read_units

    device = resolve_device(args.device)
    model = load_model(args.model, device=device)
    channels = None if not args.channels else [int(c) for c in args.channels.split(",") if c.strip()]
    units = read_units(args.units_table, strict=False) if args.units_table else None
    png = run_preferred(model, args.layer, args.out, label=args.label, units=units,
                        reference=f"tuning curves ({args.units_table})", images=args.images, steps=args.steps,
                        channels=channels, k=args.k, max_images=args.max_images, seed=args.seed, ppd=args.ppd,
                        device=device, progress=True)
    print(f"v1lab: preferred stimuli of layer {args.label or args.layer} in {args.out} (gallery {png.name})")
    return 0
