"""A network whose units are built by hand, so the class of every unit is known (planted ground truth).

The front end turns the network's normalised input back into what a retina would see: display sRGB ->
linear RGB (sRGB transfer function) -> cone excitations (v1lab's RGB->LMS matrix) -> cone contrast around the
grey background -> three opponent signals: luminance (L+M+S)/3, red-green L-M and blue-yellow S-(L+M)/2.
The layer ``units`` then holds, channel by channel (see ``PLANTED``):

* Gabor simple cells on the luminance signal, half-wave rectified (F1/F0 = pi/2 for a grating);
* energy-model complex cells: sqrt(even^2 + odd^2) of a quadrature pair of Gabors (F1/F0 ~ 0);
* a double-opponent unit: an oriented L-M Gabor, rectified (band-pass for colour, blind to luminance,
  near-silent for uniform colour fields);
* a single-opponent unit: an L-M Gaussian blob, rectified (low-pass for colour, strong for uniform fields);
* a non-oriented luminance difference-of-Gaussians, rectified;
* a silent unit (zero weights, negative bias, rectified).

Orientation convention (docs/stimuli.md): theta is the angle of the stripes counter-clockwise from horizontal
on screen, so the carrier varies along the unit normal (-sin theta, cos theta) in (x right, y up) coordinates.
"""

import math

import numpy as np
import torch
from torch import nn

from v1lab.stimuli.colorimetry import REFERENCE_GREY, RGB_TO_LMS, decode_srgb

PPD = 28.0
KERNEL = 57  # pixels: +-1 deg, room for the envelopes below
STRIDE = 4   # the 56-px input's centre pixel, 28, is a multiple
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
# Read by v1lab's python: model spec. A 56-px input (2 deg) is all the 57-px filters of the centre unit see.
PREPROCESSING = {"mean": MEAN, "std": STD, "input_size": 56, "resize_size": 64}

# (kind, orientation_deg, sf_cpd): the planted truth the test checks against.
PLANTED = [
    ("simple", 0.0, 2.0),
    ("simple", 45.0, 2.0),
    ("simple", 90.0, 2.0),
    ("simple", 135.0, 2.0),
    ("simple", 30.0, 4.0),
    ("simple", 120.0, 1.5),
    ("complex", 0.0, 2.0),
    ("complex", 60.0, 3.0),
    ("double-opponent", 150.0, 2.0),
    ("single-opponent", None, None),
    ("non-oriented", None, None),
    ("unresponsive", None, None),
]


def _grid():
    r = (KERNEL - 1) / 2
    cols, rows = np.meshgrid(np.arange(KERNEL) - r, np.arange(KERNEL) - r)
    return cols / PPD, -rows / PPD  # degrees, y up


def gabor(theta_deg, sf_cpd, phase_deg=0.0, sigma_deg=None):
    """A zero-mean Gabor kernel (KERNEL x KERNEL) with stripes at theta_deg."""
    x, y = _grid()
    sigma = sigma_deg if sigma_deg is not None else 0.6 / sf_cpd
    t = math.radians(theta_deg)
    along_normal = -x * math.sin(t) + y * math.cos(t)
    g = np.exp(-(x**2 + y**2) / (2 * sigma**2)) * np.cos(2 * np.pi * sf_cpd * along_normal + math.radians(phase_deg))
    g -= np.exp(-(x**2 + y**2) / (2 * sigma**2)) * g.sum() / np.exp(-(x**2 + y**2) / (2 * sigma**2)).sum()
    return g / np.abs(g).sum()


def gaussian(sigma_deg):
    x, y = _grid()
    g = np.exp(-(x**2 + y**2) / (2 * sigma_deg**2))
    return g / g.sum()


class ConeOpponentFront(nn.Module):
    """Normalised input -> (luminance, L-M, S-(L+M)/2) cone-contrast signals, per pixel."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))
        rgb_to_lms = torch.tensor(RGB_TO_LMS, dtype=torch.float32)
        lms0 = rgb_to_lms @ torch.full((3,), REFERENCE_GREY)
        opponent = torch.tensor([[1 / 3, 1 / 3, 1 / 3], [1.0, -1.0, 0.0], [-0.5, -0.5, 1.0]])
        weight = opponent @ (rgb_to_lms / lms0[:, None])  # linear RGB -> opponent cone contrast
        bias = -opponent.sum(dim=1)
        self.opponent = nn.Conv2d(3, 3, 1)
        with torch.no_grad():
            self.opponent.weight.copy_(weight.view(3, 3, 1, 1))
            self.opponent.bias.copy_(bias)

    def forward(self, x):
        display = (x * self.std + self.mean).clamp(0, 1)
        return self.opponent(decode_srgb(display))


class PlantedUnits(nn.Module):
    """Linear filters on the opponent signals, then rectification or quadrature energy per unit.

    Each filter reads one opponent signal, so each signal that has filters has its own convolution
    (``filters[str(c)]``), and the convolutions step by ``STRIDE`` pixels: the map's centre unit (the one
    recorded) sums the same kernel taps over the same pixels as at stride 1, at a fraction of the cost.
    """

    def __init__(self):
        super().__init__()
        kernels: list[list] = [[], [], []]   # per opponent signal: (kernel, bias)
        plan = []                            # output channel -> (signal, filter, quadrature filter or -1)

        def add(signal, kernel, bias=0.0):
            kernels[signal].append((kernel, bias))
            return len(kernels[signal]) - 1

        zero = np.zeros((KERNEL, KERNEL))
        for kind, theta, sf in PLANTED:
            if kind == "simple":
                plan.append((0, add(0, gabor(theta, sf)), -1))
            elif kind == "complex":
                plan.append((0, add(0, gabor(theta, sf)), add(0, gabor(theta, sf, phase_deg=90.0))))
            elif kind == "double-opponent":
                plan.append((1, add(1, gabor(theta, sf)), -1))
            elif kind == "single-opponent":
                plan.append((1, add(1, gaussian(0.25)), -1))
            elif kind == "non-oriented":
                dog = gaussian(0.08) - gaussian(0.3)
                plan.append((0, add(0, dog / np.abs(dog).sum()), -1))
            else:
                plan.append((0, add(0, zero, -1.0), -1))
        self.filters = nn.ModuleDict()
        for c, signal in enumerate(kernels):
            if not signal:
                continue
            conv = nn.Conv2d(1, len(signal), KERNEL, stride=STRIDE, padding=KERNEL // 2)
            with torch.no_grad():
                for i, (kernel, bias) in enumerate(signal):
                    conv.weight[i, 0] = torch.tensor(kernel, dtype=torch.float32)
                    conv.bias[i] = bias
            self.filters[str(c)] = conv
        self.plan = plan

    def forward(self, x):
        f = {int(c): conv(x[:, int(c):int(c) + 1]) for c, conv in self.filters.items()}
        out = []
        for signal, first, quad in self.plan:
            if quad < 0:
                out.append(torch.relu(f[signal][:, first]))
            else:
                out.append(torch.sqrt(f[signal][:, first] ** 2 + f[signal][:, quad] ** 2 + 1e-12))
        return torch.stack(out, dim=1)


class PlantedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.front = ConeOpponentFront()
        self.units = PlantedUnits()

    def forward(self, x):
        return self.units(self.front(x))


def make():
    return PlantedNet().eval()
