"""A planted unit with surround suppression, for the closed-loop size sweep (issue 14).

One 224 x 224 convolution reads the whole image (a 1 x 1 map: its centre unit sees everything). Channel 0 is
an even Gabor (sigma 0.08 deg, 6 c/deg, horizontal stripes) divided by the energy of an iso-oriented surround:
an annulus from 0.3 to 1.5 deg carrying quadrature pairs at the same SF and at orientations 0 and +-22.5 deg
(so that its orientation tuning, centred on the centre's, is not far sharper than the centre's own),
``r = relu(c) / (1 + k sum_o (s_even,o^2 + s_odd,o^2))``; channel 1 is the same centre without the surround.
The unit reads luminance contrast in linear light: its forward pass undoes the preprocessing ``(x - 0.5) / 0.5``
and the sRGB encoding of the display values, ``contrast = (linear - 0.5) / 0.5`` around the mean-grey
background, so a full-contrast luminance grating is a sinusoid of amplitude 1. At 28 pixels per degree.
"""

import math

import torch
from torch import nn

PREPROCESSING = {"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)}
PPD, SF_CPD, SIGMA_DEG = 28.0, 6.0, 0.08


def _kernels() -> torch.Tensor:
    coords = (torch.arange(224, dtype=torch.float64) - 111.5) / PPD          # degrees, centre between pixels
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    r = torch.sqrt(x ** 2 + y ** 2)
    phase = 2 * math.pi * SF_CPD * y                                         # horizontal stripes vary along y
    centre = torch.exp(-r ** 2 / (2 * SIGMA_DEG ** 2)) * torch.cos(phase)
    ring = ((r > 0.3) & (r < 1.5)).double()
    surround = []
    for theta in (-22.5, 0.0, 22.5):                                         # stripes tilted by theta
        t = math.radians(theta)
        u = 2 * math.pi * SF_CPD * (y * math.cos(t) - x * math.sin(t))
        surround += [ring * torch.cos(u), ring * torch.sin(u)]
    kernels = torch.stack([centre, *surround])
    kernels = kernels / kernels.flatten(1).abs().sum(1)[:, None, None]
    return (kernels[:, None].repeat(1, 3, 1, 1) / 3).float()


class SurroundNet(nn.Module):
    """``suppression``: k times the surround energy of a full-field grating at the centre's SF and orientation
    (1.5: the full-field response is 1/2.5 of the unsuppressed one, and the full-field optimum stays the
    centre's own grating)."""

    def __init__(self, suppression: float = 1.5):
        super().__init__()
        self.conv = nn.Conv2d(3, 7, 224, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(_kernels())
            coords = (torch.arange(224, dtype=torch.float32) - 111.5) / PPD
            grating = torch.cos(2 * math.pi * SF_CPD * coords)[None, None, :, None].expand(1, 3, 224, 224)
            energy = (self.conv(grating)[:, 1:] ** 2).sum().item()
        self.k = suppression / energy
        self.units = nn.Identity()

    def forward(self, x):
        from v1lab.stimuli.colorimetry import decode_srgb

        out = self.conv((decode_srgb(x * 0.5 + 0.5) - 0.5) / 0.5)
        centre, energy = torch.relu(out[:, 0]), (out[:, 1:] ** 2).sum(1)
        return self.units(torch.stack([centre / (1 + self.k * energy), centre], 1))


def make():
    return SurroundNet().eval()
