"""Networks for the recording tests: seeded ResNet-50s (torchvision v1.5 and the v1 stride layout)."""

from types import SimpleNamespace

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class Normalise:
    """Minimal stand-in for v1lab.models' Preprocessing: per-channel (x - mean) / std."""

    input_size = 224

    def __init__(self, input_size=224):
        self.input_size = input_size

    def normalize(self, x):
        mean = torch.tensor(MEAN, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(STD, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        return (x - mean) / std


def wrap(module, input_size=224):
    """A LoadedModel-like object (``module`` + ``preprocessing``)."""
    return SimpleNamespace(module=module.eval(), preprocessing=Normalise(input_size), name=type(module).__name__)


def randomise_batch_norm(module: nn.Module, seed: int) -> nn.Module:
    """Give every batch norm random statistics and affine terms (so biases reach the zero padding)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(0.2 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))
                m.weight.copy_(0.5 + 0.5 * torch.rand(c, generator=gen))
                m.bias.copy_(0.2 * torch.randn(c, generator=gen))
    return module


def make_resnet(variant: str, seed: int = 0) -> nn.Module:
    """Seeded torchvision ResNet-50; ``variant="v1"`` moves the stride 2 of layer2-4's first block into conv1."""
    torch.manual_seed(seed)
    model = torchvision.models.resnet50(weights=None)
    if variant == "v1":
        for stage in (model.layer2, model.layer3, model.layer4):
            stage[0].conv1.stride = (2, 2)
            stage[0].conv2.stride = (1, 1)
    return randomise_batch_norm(model, seed).eval()


class ConstantPadConv(nn.Conv2d):
    """A conv that pads with a constant other than zero (as resnet50-caffe's conv1 does)."""

    def forward(self, x):
        ph, pw = self.padding
        padded = F.pad(x, (pw, pw, ph, ph), value=0.7)
        return F.conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
