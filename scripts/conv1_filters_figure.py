"""Draw the conv1 filters of a model beside their tuning-curve labels from a run's units table.

Usage::

    python scripts/conv1_filters_figure.py RUN_DIR [--out docs/figures/conv1_filters_labels.png]
                                           [--model resnet50-caffe] [--module relu] [--label conv1]

A thin wrapper: it computes the filters from the model (:func:`v1lab.preferred.filter_images` on ``--module``,
by default the ReLU after bn1, so the kernel includes bn1's scale and sign, as the run records the unit) and
draws them with :func:`v1lab.report.plot_filter_labels`, the figure the report draws from a run's
``preferred/preferred_images_<label>.npz``. Rows of the units table are matched by ``layer`` (``--label``) and
``channel``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from v1lab.models import load_model
from v1lab.preferred import filter_images
from v1lab.report import plot_filter_labels
from v1lab.units import read_units


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--out", type=Path, default=Path("docs/figures/conv1_filters_labels.png"))
    p.add_argument("--model", default="resnet50-caffe")
    p.add_argument("--module", default="relu", help="a first linear layer or the ReLU after it (default relu)")
    p.add_argument("--label", default="conv1", help="the layer's label in the units table (default conv1)")
    args = p.parse_args(argv)

    units = read_units(args.run_dir)
    model = load_model(args.model, device="cpu")
    filt = filter_images(model, args.module)
    png = plot_filter_labels(filt.images, filt.channels, units[units["layer"] == args.label], args.out,
                             rf_box=filt.rf_box, title=f"{model.name} {args.label}: display-space filters "
                             f"(module {args.module}, stretched per filter) with labels from {args.run_dir.name}")
    print(f"wrote {png} and its PDF ({len(filt.channels)} filters; receptive field rows {filt.rf_box[:2]}, "
          f"columns {filt.rf_box[2:]} of the {tuple(filt.images.shape[-2:])} canvas)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
