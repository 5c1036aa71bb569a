"""A hand-built ResNet-like classifier with one essential and one useless conv1 channel.

Images are uniform colour fields with pixel noise; the class is 1 when the red value exceeds 0.5.
``conv1`` has 8 channels (1x1 filters so that a channel is a colour detector):

* channel 0 (essential) passes red: ``relu(bn1(conv1(x)))[0] = R``; the classifier reads it alone,
  ``logit_1 - logit_0 = 20 (mean R - 0.5)``. Silencing it (to 0) makes every image class 0.
* channel 1 (useless) has a filter 100 times smaller than the others and a BN shift of -1, so it is zero
  everywhere; the classifier ignores it. Inactive by filter norm, sparsity and natural mean.
* channels 2-7 pass mixtures of green and blue; the classifier reads them with tiny weights.

``make()`` is also a ``python:`` model factory for the command line (input taken as display RGB: the
preprocessing is the identity).
"""

import torch
from torch import nn

PREPROCESSING = {"mean": (0.0, 0.0, 0.0), "std": (1.0, 1.0, 1.0), "input_size": 16, "resize_size": 16}
ESSENTIAL, USELESS = 0, 1


class PlantedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=1, padding=1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def make() -> nn.Module:
    net = PlantedNet()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        w = torch.zeros(8, 3, 1, 1)
        w[ESSENTIAL, 0] = 1.0
        w[USELESS, 1] = 0.01
        w[2:, 1:] = torch.rand(6, 2, 1, 1, generator=g) + 0.5
        net.conv1.weight.copy_(w)
        net.bn1.weight.fill_(1.0)
        net.bn1.bias.zero_()
        net.bn1.bias[USELESS] = -1.0
        net.bn1.running_mean.zero_()
        net.bn1.running_var.fill_(1.0 - net.bn1.eps)
        net.fc.weight.zero_()
        net.fc.bias.zero_()
        net.fc.weight[1, ESSENTIAL] = 20.0
        net.fc.bias[1] = -10.0
        net.fc.weight[1, 2:] = 0.02 * (torch.rand(6, generator=g) - 0.5)
    return net.eval()


def images(n: int = 200, size: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Colour fields with noise (display RGB in [0, 1]) and labels ``R > 0.5``."""
    g = torch.Generator().manual_seed(seed)
    colour = torch.rand(n, 3, 1, 1, generator=g)
    x = (colour + 0.02 * torch.randn(n, 3, size, size, generator=g)).clamp(0, 1)
    return x, (colour[:, 0, 0, 0] > 0.5).long()
