"""Preferred stimuli: activation maximisation, top-k natural-image patches, filter images, and the cross-check
of these pictures against the tuning-curve labels (issue 5). See ``docs/preferred.md``."""

from v1lab.preferred.crosscheck import agreement_table, cross_check, orientation_difference
from v1lab.preferred.config import PreferredConfig
from v1lab.preferred.experiment import run_preferred
from v1lab.preferred.filters import FilterImages, filter_images
from v1lab.preferred.gallery import gallery, product_display, stretch_contrast, unit_caption
from v1lab.preferred.measure import chromatic_content, fit_plane_wave, measure_stimulus
from v1lab.preferred.optimise import PreferredResult, background_display, optimise_preferred
from v1lab.preferred.parameterisation import FourierImage
from v1lab.preferred.patches import TopPatches, top_patches
from v1lab.preferred.transforms import Jitter

__all__ = [
    "FilterImages",
    "FourierImage",
    "Jitter",
    "PreferredConfig",
    "PreferredResult",
    "TopPatches",
    "agreement_table",
    "background_display",
    "chromatic_content",
    "cross_check",
    "filter_images",
    "fit_plane_wave",
    "gallery",
    "measure_stimulus",
    "optimise_preferred",
    "run_preferred",
    "orientation_difference",
    "product_display",
    "stretch_contrast",
    "top_patches",
    "unit_caption",
]
