"""``v1lab preferred``: optimised stimuli, top-k natural patches, filter images and the cross-check of one layer."""

from __future__ import annotations

from pathlib import Path

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "preferred",
        help="preferred stimuli of a layer's centre units and their agreement with the tuning-curve labels",
        description="Optimise one image per unit (all units in one batch), find the top-k natural-image patches, "
        "draw the filters of a first linear layer, measure each optimised image (orientation, SF, DKL colour) and "
        "compare it with units.csv. Writes preferred_stimuli.csv, agreement.csv, preferred_images.npz and "
        "gallery_<layer>.png into --out.",
    )
    p.add_argument("--model", default="resnet50-caffe", help="model spec (default resnet50-caffe)")
    p.add_argument("--layer", default="conv1", help="layer name (default conv1)")
    p.add_argument("--units-table", help="units.csv from a run; without it a linear layer is compared with the "
                   "orientation of its own filter weights")
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
    import numpy as np
    import pandas as pd

    from v1lab._atomic import atomic_path, write_text
    from v1lab.errors import AnalysisError
    from v1lab.models import load_model
    from v1lab.preferred import (agreement_table, background_display, cross_check, filter_images, gallery,
                                 measure_stimulus, optimise_preferred, stretch_contrast, top_patches)
    from v1lab.recording import CentreUnitRecorder, resolve_device

    device = resolve_device(args.device)
    model = load_model(args.model, device=device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    channels = None if not args.channels else [int(c) for c in args.channels.split(",") if c.strip()]
    rec = CentreUnitRecorder(model, args.layer, device=device, ppd=args.ppd)
    grey = background_display()
    pos = optimise_preferred(model, args.layer, channels=channels, steps=args.steps, seed=args.seed,
                             recorder=rec, ppd=args.ppd)
    neg = optimise_preferred(model, args.layer, channels=channels, steps=args.steps, seed=args.seed,
                             negative=True, recorder=rec, ppd=args.ppd)
    weights = pos.rf_weights()
    measured = measure_stimulus(pos.images, args.ppd, weights=weights)
    measured.insert(0, "channel", pos.channels)
    measured.insert(0, "layer", args.layer)
    measured["activation"] = pos.activations.numpy()
    measured["negative_activation"] = neg.activations.numpy()
    views = {"optimised": stretch_contrast(pos.images, grey), "negative": stretch_contrast(neg.images, grey)}
    arrays = {"optimised": pos.images.numpy(), "negative": neg.images.numpy(), "channels": pos.channels}

    filters = None
    try:
        filters = filter_images(model, args.layer, channels=pos.channels, device=device)
    except AnalysisError:
        pass  # not a linear layer: no filter view
    if filters is not None:
        fm = measure_stimulus(filters.images, args.ppd, weights=weights)
        measured["filter_orientation_deg"] = fm.orientation_deg.to_numpy()
        measured["filter_sf_cpd"] = fm.sf_cpd.to_numpy()
        measured["filter_grating_r2"] = fm.grating_r2.to_numpy()
        views["filter"] = filters.images
        arrays["filter"] = filters.images.numpy()
    if args.images:
        top = top_patches(model, args.layer, args.images, k=args.k, channels=pos.channels,
                          max_images=args.max_images, device=device, recorder=rec)
        views["top-k mean"] = top.mean_patch
        views["grad x input"] = stretch_contrast(0.5 + top.mean_product / (2 * top.mean_product.abs().amax()
                                                                           .clamp(min=1e-12)), 0.5)
        arrays.update(top_patches=top.patches.numpy(), top_mean=top.mean_patch.numpy(),
                      top_gradient=top.mean_gradient.numpy(), top_product=top.mean_product.numpy())
        top.sources.assign(layer=args.layer).to_csv(out / "top_patches.csv", index=False)

    if args.units_table:
        units = pd.read_csv(args.units_table)
        reference = f"tuning curves ({args.units_table})"
    elif filters is not None:
        # No tuning table: the filter weights, measured by the same estimator, are the reference.
        units = pd.DataFrame({
            "layer": args.layer, "channel": pos.channels,
            "orientation_selective": measured.filter_grating_r2.to_numpy() >= 0.1,
            "preferred_orientation_deg": measured.filter_orientation_deg.to_numpy(),
            "peak_sf_cpd": measured.filter_sf_cpd.to_numpy(), "color_class": pd.NA,
            "single_opponent": pd.NA, "double_opponent": pd.NA})
        reference = "filter weights (no units table given)"
    else:
        units = None
        reference = "none"
    table = measured
    if units is not None:
        table = cross_check(measured, units)
        agreement = agreement_table(table).assign(reference=reference)
        with atomic_path(out / "agreement.csv") as tmp:
            agreement.to_csv(tmp, index=False)
        print(agreement.to_string(index=False))
    table = table.assign(reference=reference)
    with atomic_path(out / "preferred_stimuli.csv") as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(out / "preferred_images.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    captions = [_caption(args.layer, row) for _, row in table.iterrows()]
    png = gallery(views, captions, out / f"gallery_{args.layer}.png", title=f"{model.name} {args.layer}")
    write_text(out / "params.json", __import__("json").dumps(
        {"model": args.model, "layer": args.layer, "reference": reference, **pos.params}, indent=2, default=str))
    print(f"v1lab: preferred stimuli of {len(pos.channels)} units in {out} (gallery {png.name})")
    return 0


def _caption(layer, row) -> str:
    """Unit id, what the image shows, and (where compared) the tuning-curve orientation and the verdict."""
    def get(name):
        return row[f"stim_{name}"] if f"stim_{name}" in row else row[name]

    text = f"{layer}:{int(row['channel'])}\n{get('orientation_deg'):.0f}deg {get('sf_cpd'):.1f}cpd {get('color_class')}"
    agree = row.get("orientation_agree")
    if agree is not None and not _isna(agree):
        text += f"\nref {row['preferred_orientation_deg']:.0f}deg " + ("agree" if agree else "DIFFER")
    return text


def _isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))
