"""A planted network: one conv layer with hand-set filters whose preferred stimuli are known exactly.

Filters act on display RGB minus the grey background (the preprocessing subtracts the grey, std 1):

* units 0-3: luminance Gabors (equal weight on R, G, B) at planted orientations and spatial frequencies;
* unit 4: an oriented L-M Gabor (colour direction: the isoluminant L-M axis of DKL in display RGB);
* unit 5: an L-M Gaussian blob (single-opponent).
"""

import numpy as np
import torch
from torch import nn

from v1lab.models.core import LoadedModel, Preprocessing
from v1lab.preferred.optimise import background_display
from v1lab.stimuli.colorimetry import modulation_rgb

PPD = 28.0
SIZE = 25  # kernel and receptive field, pixels
# (orientation of the stripes in degrees, spatial frequency in cycles/degree)
GABORS = [(0.0, 4.0), (45.0, 3.0), (90.0, 5.0), (135.0, 2.5)]
DOUBLE_OPPONENT = (60.0, 4.0)
SIGMA_PX = 4.5


def lm_direction() -> np.ndarray:
    """Display-RGB direction of the isoluminant L-M axis at the grey (unit norm)."""
    amp, _ = modulation_rgb(0.0, 0.0, 0.5)  # linear RGB; the sRGB slope is equal for R, G, B at grey
    return amp / np.linalg.norm(amp)


def gabor(theta_deg, sf_cpd, sigma_px=SIGMA_PX, n=SIZE):
    ys, xs = np.mgrid[0:n, 0:n]
    x, y = xs - (n - 1) / 2, (n - 1) / 2 - ys
    phi = np.radians(theta_deg + 90.0)  # wave vector is perpendicular to the stripes
    env = np.exp(-(x**2 + y**2) / (2 * sigma_px**2))
    return env * np.cos(2 * np.pi * sf_cpd / PPD * (x * np.cos(phi) + y * np.sin(phi)))


def planted_filters() -> np.ndarray:
    lum = np.ones(3) / np.sqrt(3)
    lm = lm_direction()
    w = [g[None] * lum[:, None, None] for g in (gabor(t, f) for t, f in GABORS)]
    w.append(gabor(*DOUBLE_OPPONENT)[None] * lm[:, None, None])
    ys, xs = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    w.append(np.exp(-(xs**2 + ys**2) / (2 * 6.0**2))[None] * lm[:, None, None])
    w = np.stack(w)
    return w / np.sqrt((w**2).sum(axis=(1, 2, 3), keepdims=True))


def planted_model() -> LoadedModel:
    conv = nn.Conv2d(3, 6, SIZE, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(planted_filters()).float())
    net = nn.Sequential()
    net.add_module("conv", conv)
    net.add_module("relu", nn.ReLU())
    grey = background_display()
    pre = Preprocessing(mean=(grey,) * 3, std=(1.0,) * 3, input_size=64, resize_size=64)
    return LoadedModel(spec="planted", name="planted", module=net.eval(), preprocessing=pre,
                       weights_sha256=None)

