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
    """Linear filters on the opponent signals, then rectification or quadrature energy per unit."""

    def __init__(self):
        super().__init__()
        kernels, energy_pairs, biases = [], [], []
        zero = np.zeros((KERNEL, KERNEL))
        for kind, theta, sf in PLANTED:
            if kind in ("simple", "complex"):
                kernels.append([gabor(theta, sf), zero, zero])
                biases.append(0.0)
                if kind == "complex":
                    energy_pairs.append((len(kernels) - 1, len(kernels) + 0))
                    kernels.append([gabor(theta, sf, phase_deg=90.0), zero, zero])
                    biases.append(0.0)
            elif kind == "double-opponent":
                kernels.append([zero, gabor(theta, sf), zero])
                biases.append(0.0)
            elif kind == "single-opponent":
                kernels.append([zero, gaussian(0.25), zero])
                biases.append(0.0)
            elif kind == "non-oriented":
                dog = gaussian(0.08) - gaussian(0.3)
                kernels.append([dog / np.abs(dog).sum(), zero, zero])
                biases.append(0.0)
            else:
                kernels.append([zero, zero, zero])
                biases.append(-1.0)
        self.filters = nn.Conv2d(3, len(kernels), KERNEL, padding=KERNEL // 2)
        with torch.no_grad():
            self.filters.weight.copy_(torch.tensor(np.array(kernels), dtype=torch.float32))
            self.filters.bias.copy_(torch.tensor(biases, dtype=torch.float32))
        # output channel -> (first filter, quadrature filter or -1)
        plan, k = [], 0
        for kind, _, _ in PLANTED:
            plan.append((k, k + 1 if kind == "complex" else -1))
            k += 2 if kind == "complex" else 1
        self.plan = plan

    def forward(self, x):
        f = self.filters(x)
        out = []
        for first, quad in self.plan:
            if quad < 0:
                out.append(torch.relu(f[:, first]))
            else:
                out.append(torch.sqrt(f[:, first] ** 2 + f[:, quad] ** 2 + 1e-12))
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
