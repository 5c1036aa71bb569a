"""Contact sheet of a stimulus set: a grid of rendered stimuli with their parameters printed underneath."""

from pathlib import Path

import numpy as np

from v1lab.errors import StimulusError
from v1lab.stimuli.geometry import Geometry
from v1lab.stimuli.stimulus_set import StimulusSet

__all__ = ["contact_sheet"]

_SHOWN_ALWAYS = ("color_direction",)
# reported colour quantities derived from the requested ones (shown in params, not under the images)
_DERIVED = ("dkl_azimuth_deg", "dkl_elevation_deg", "dkl_contrast", "l_cone_contrast", "m_cone_contrast",
            "s_cone_contrast", "luminance_contrast", "sf_cpp", "ppd")


def _label(row, columns) -> str:
    parts = []
    for name in columns:
        value = row[name]
        parts.append(f"{name}={value:.3g}" if isinstance(value, float) else f"{name}={value}")
    return "\n".join(parts)


def contact_sheet(stim: StimulusSet, out: str | Path, *, max_images: int = 36, size_px: int = 224,
                  device="cpu", columns: int | None = None) -> Path:
    """Draw up to ``max_images`` stimuli (evenly spaced over the set) on a ``size_px`` canvas centred on the
    stimulus, with the parameters that vary within the set printed under each; save as PNG at ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if max_images < 1:
        raise StimulusError(f"preview: field 'max' is {max_images}, expected at least 1")
    n = min(max_images, len(stim))
    rows = np.unique(np.linspace(0, len(stim) - 1, n).round().astype(int))
    images = stim.render(Geometry.centred(size_px, stim.ppd), rows, device=device).cpu().permute(0, 2, 3, 1)
    varying = [c for c in stim.params.columns
               if stim.params[c].astype(str).nunique() > 1 and not c.endswith("_px") and c not in _DERIVED]
    shown = varying + [c for c in _SHOWN_ALWAYS if c not in varying]
    ncol = columns or int(np.ceil(np.sqrt(len(rows))))
    nrow = int(np.ceil(len(rows) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.2 * ncol, (2.2 + 0.16 * len(shown)) * nrow), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, row, image in zip(axes.ravel(), rows, images.numpy()):
        ax.imshow(image, interpolation="nearest")
        ax.set_title(_label(stim.params.iloc[row], shown), fontsize=6, y=-0.05, va="top")
    fig.suptitle(f"{stim.name} ({stim.family}, {len(stim)} stimuli, {stim.ppd:g} px/deg, "
                 f"{size_px} px = {size_px / stim.ppd:.3g} deg)", fontsize=9)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
