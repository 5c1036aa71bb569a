"""One layer's preferred-stimulus experiment: optimised and most suppressive images, filter images (first linear
layer), top-k natural patches, the measured content of each picture and its cross-check with the tuning labels.

Used by ``v1lab preferred`` and by protocols with a ``preferred_stimuli:`` section. Files, all written atomically
into ``out`` with the layer's name ``L``: ``preferred_stimuli_L.csv``, ``agreement_L.csv`` (when a reference
exists), ``preferred_images_L.npz``, ``top_patches_L.csv`` (with images), ``gallery_L.png``, ``params_L.json``.
The npz holds ``optimised``, ``negative``, ``channels`` and, where they exist, ``filter`` with ``filter_rf_box``
(the receptive field's rows and columns on the canvas) and the top-k averages ``top_mean``, ``top_gradient``,
``top_product``; the report draws its paged galleries and the labelled filter figure from it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from v1lab.runs.atomic import atomic_path, write_text
from v1lab.errors import AnalysisError
from v1lab.preferred.crosscheck import agreement_table, cross_check
from v1lab.preferred.filters import filter_images
from v1lab.preferred.gallery import gallery, product_display, stretch_contrast, unit_caption
from v1lab.preferred.measure import measure_stimulus
from v1lab.preferred.optimise import background_display, optimise_preferred
from v1lab.preferred.patches import top_patches

__all__ = ["run_preferred"]


def run_preferred(model, layer: str, out, *, label: str | None = None, units: pd.DataFrame | None = None,
                  reference: str = "tuning curves", images=None, steps: int = 256, channels=None, k: int = 9,
                  max_images: int | None = None, seed: int = 0, ppd: float = 28.0, device="cpu",
                  recorder=None, progress: bool = False) -> Path:
    """Run the experiment for module ``layer`` (results named ``label``, default ``layer``); returns the gallery.

    Without ``units`` a first linear layer is compared with the orientation of its own filter weights, measured
    by the same estimator; other layers then get no agreement table.
    """
    from v1lab.recording import CentreUnitRecorder

    label = label or layer
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rec = recorder or CentreUnitRecorder(model, layer, device=device, ppd=ppd)
    pos = optimise_preferred(model, layer, channels=channels, steps=steps, seed=seed, recorder=rec, ppd=ppd,
                             progress=progress)
    neg = optimise_preferred(model, layer, channels=channels, steps=steps, seed=seed, negative=True,
                             recorder=rec, ppd=ppd, progress=progress)
    measured = measure_stimulus(pos.images, ppd, weights=pos.rf_weights())
    measured.insert(0, "channel", pos.channels)
    measured.insert(0, "layer", label)
    measured["activation"] = pos.activations.numpy()
    measured["negative_activation"] = neg.activations.numpy()
    grey = background_display()
    views = {"optimised": stretch_contrast(pos.images, grey), "negative": stretch_contrast(neg.images, grey)}
    arrays = {"optimised": pos.images.numpy(), "negative": neg.images.numpy(), "channels": pos.channels}
    try:
        filters = filter_images(model, layer, channels=pos.channels, device=rec.device)
    except AnalysisError:
        filters = None  # not a linear layer: no filter view
    if filters is not None:
        fm = measure_stimulus(filters.images, ppd, weights=pos.rf_weights())
        measured["filter_orientation_deg"] = fm.orientation_deg.to_numpy()
        measured["filter_sf_cpd"] = fm.sf_cpd.to_numpy()
        measured["filter_grating_r2"] = fm.grating_r2.to_numpy()
        views["filter"] = filters.images
        arrays["filter"] = filters.images.numpy()
        arrays["filter_rf_box"] = np.asarray(filters.rf_box, dtype=np.int64)
    if images:
        top = top_patches(model, layer, images, k=k, channels=pos.channels, max_images=max_images,
                          device=rec.device, recorder=rec, progress=progress)
        views["top-k mean"] = top.mean_patch
        views["grad x input"] = product_display(top.mean_product)
        arrays.update(top_patches=top.patches.numpy(), top_mean=top.mean_patch.numpy(),
                      top_gradient=top.mean_gradient.numpy(), top_product=top.mean_product.numpy())
        with atomic_path(out / f"top_patches_{label}.csv") as tmp:
            top.sources.assign(layer=label).to_csv(tmp, index=False)
    if units is None and filters is not None:
        units = pd.DataFrame({
            "layer": label, "channel": pos.channels,
            "orientation_selective": measured.filter_grating_r2.to_numpy() >= 0.1,
            "preferred_orientation_deg": measured.filter_orientation_deg.to_numpy(),
            "peak_sf_cpd": measured.filter_sf_cpd.to_numpy(), "color_class": pd.NA,
            "single_opponent": pd.NA, "double_opponent": pd.NA})
        reference = "filter weights (no units table given)"
    table = measured
    if units is not None:
        rows = units[units["layer"] == label]
        if rows.empty:
            raise AnalysisError(f"units table: no rows for layer {label!r} (it has {sorted(set(units['layer']))}); "
                                f"expected the layer's name in the table, e.g. --label {units['layer'].iloc[0]}")
        table = cross_check(measured, rows)
        agreement = agreement_table(table).assign(reference=reference)
        with atomic_path(out / f"agreement_{label}.csv") as tmp:
            agreement.to_csv(tmp, index=False)
        print(agreement.to_string(index=False))
    table = table.assign(reference=reference if units is not None else "none")
    with atomic_path(out / f"preferred_stimuli_{label}.csv") as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(out / f"preferred_images_{label}.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    captions = [unit_caption(label, row) for _, row in table.iterrows()]
    png = gallery(views, captions, out / f"gallery_{label}.png", title=f"{model.name} {label}")
    write_text(out / f"params_{label}.json", json.dumps(
        {"model": model.spec, "layer": layer, "label": label, "reference": reference, **pos.params},
        indent=2, default=str))
    return png
