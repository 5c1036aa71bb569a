"""A tiny ResNet-like network with seeded random weights, for fast end-to-end runs of the runner.

``make()`` builds it; ``make_slow()`` sleeps ``$TINY_NET_DELAY_S`` seconds (default 0.3) in every forward pass so
a test can interrupt a run half-way, and resume it at full speed with the same model spec.
"""

import os
import time

import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self, delay_s: float = 0.0):
        super().__init__()
        self.delay_s = delay_s
        self.conv1 = nn.Conv2d(3, 8, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = nn.Sequential(nn.Conv2d(8, 12, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        if self.delay_s:
            time.sleep(self.delay_s)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.pool(self.layer1(x)), 1))


def make():
    torch.manual_seed(0)
    net = TinyNet()
    with torch.no_grad():
        net.bn1.running_mean.uniform_(-0.2, 0.2)
        net.bn1.running_var.uniform_(0.5, 2.0)
    return net.eval()


def make_slow():
    net = make()
    net.delay_s = float(os.environ.get("TINY_NET_DELAY_S", "0.3"))
    return net
