"""Helpers for the stimulus tests: build one-family sets and measure rendered images in linear light."""

import numpy as np
import pytest
import torch

from v1lab.stimuli import stimulus_set_from_dict
from v1lab.stimuli.colorimetry import decode_srgb

def _make_set(family: str, fixed: dict | None = None, grid: dict | None = None, name: str = "test"):
    return stimulus_set_from_dict({"name": name, "family": family, "fixed": fixed or {}, "grid": grid or {}},
                                  source="test")


def _linear_rgb(images: torch.Tensor) -> np.ndarray:
    """Display sRGB (N, 3, H, W) -> linear RGB (N, H, W, 3), float64."""
    return decode_srgb(images.to(torch.float64)).permute(0, 2, 3, 1).numpy()


def _cie_y(images: torch.Tensor) -> np.ndarray:
    """CIE Y (N, H, W) of display sRGB images, with colour-science's sRGB -> XYZ matrix (independent of v1lab)."""
    import colour

    matrix = np.asarray(colour.RGB_COLOURSPACES["sRGB"].matrix_RGB_to_XYZ)
    return _linear_rgb(images) @ matrix[1]




@pytest.fixture(scope="session")
def make_set():
    """``make_set(family, fixed=None, grid=None)`` -> a validated StimulusSet."""
    return _make_set


@pytest.fixture(scope="session")
def cie_y():
    """``cie_y(images)`` -> CIE Y (N, H, W) of display-sRGB images."""
    return _cie_y
