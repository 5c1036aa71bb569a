"""``v1lab block-drop``: top-1 with each residual block's branch removed in turn (Veit et al. 2016)."""

from __future__ import annotations

import sys

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "block-drop",
        help="top-1 accuracy with one residual block's branch removed at a time (shortcut kept)",
        description="Drop each residual block of a ResNet in turn (y = relu(shortcut(x)); an identity block becomes "
        "the identity) and measure top-1 on an ImageNet-style folder against the intact network on the same photos: "
        "Wilson intervals, exact McNemar and Wilcoxon tests with Holm's correction across blocks "
        "(docs/skip_connections.md). "
        "Writes block_drop.csv, block_drop.png and manifest.json into a new folder.",
    )
    p.add_argument("--model", default="resnet50-caffe", help="model spec (default: resnet50-caffe)")
    p.add_argument("--images", required=True, help="ImageNet-style folder (class sub-folders or <wnid>_<name>.JPEG)")
    p.add_argument("--blocks", help="comma-separated block names (default: every residual block)")
    p.add_argument("--max-images", type=int, help="use N photos spread evenly over the folder (default: all)")
    p.add_argument("--out", help="new (or empty) result folder; default runs/block-drop-<time>")
    p.add_argument("--batch-size", type=int, default=25, help="images per forward pass (default: 25)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap intervals (default: 0)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
    p.add_argument("--workers", type=int, default=0, help="image-loading processes (default: 0)")
    p.add_argument("--no-progress", action="store_true", help="do not draw progress bars")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import pandas as pd

    from v1lab.models import load_model
    from v1lab.recording import resolve_device
    from v1lab.residual import run_block_drop

    device = resolve_device(args.device)
    model = load_model(args.model, device=device)
    blocks = [b.strip() for b in args.blocks.split(",") if b.strip()] if args.blocks else None
    path = run_block_drop(model, args.images, out=args.out, max_images=args.max_images, blocks=blocks,
                          batch_size=args.batch_size, device=device, workers=args.workers, seed=args.seed,
                          progress=not args.no_progress, argv=sys.argv)
    table = pd.read_csv(path / "block_drop.csv")
    for _, r in table.iterrows():
        extra = "" if r["block"] == "intact" else (
            f"  delta {100 * r['delta_top1']:+.1f} points, McNemar p (Holm) {r['mcnemar_p_holm']:.3g}"
            + ("  [downsampling]" if r["downsampling"] else ""))
        print(f"{r['block']:>10}: top-1 {r['top1']:.3f} [{r['top1_ci_low']:.3f}, {r['top1_ci_high']:.3f}]{extra}")
    print(f"v1lab: block-drop results in {path}")
    return 0
