"""``resnet18-plain`` and ``resnet34-plain``: torchvision's ResNet-18/34 with every shortcut removed.

He et al. (2016, section 4.1, "Plain Networks") compare each ResNet with a *plain* counterpart: the same
stack of 3x3 convolutions (PlainNet-34 is Fig. 3, middle), batch norm after every conv, ReLU, downsampling
by stride-2 convs, and no shortcut connections at all. A plain basic block computes

.. math:: y = \\mathrm{relu}(\\mathrm{bn}_2(\\mathrm{conv}_2(\\mathrm{relu}(\\mathrm{bn}_1(\\mathrm{conv}_1(x))))))

where torchvision's ``BasicBlock`` adds :math:`x` (or a 1x1 projection of it where the stride or width
changes) before the last ReLU. As in the paper, the projections go too: a plain model's ``state_dict`` has
no ``downsample`` keys, so a checkpoint of a ResNet with shortcuts is refused by its keys. Module names are
torchvision's (``conv1``, ``layer1.0.conv2``, ``fc``, ...), so layers are addressed as in ``torchvision/resnet18``.

No weights are published: the models serve ``checkpoint:PATH.pth?arch=resnet34-plain`` for a user's own
training, with ImageNet's normalisation assumed.

References
----------
He, K., Zhang, X., Ren, S., & Sun, J. (2016). Deep residual learning for image recognition. CVPR, 770-778.
"""

from __future__ import annotations

from torch import nn

from v1lab.errors import ModelError
from v1lab.models.core import IMAGENET_PREPROCESSING
from v1lab.models.named import NamedModel

__all__ = ["PlainBasicBlock", "build_plain_resnet", "RESNET18_PLAIN", "RESNET34_PLAIN"]


class PlainBasicBlock(nn.Module):
    """torchvision's ``BasicBlock`` without its shortcut (the constructor takes the same arguments).

    ``downsample``, the projection torchvision's ``ResNet`` builds for a block that changes stride or width,
    is not kept: the block has no path for it. Like ``BasicBlock`` it supports only ``groups=1``,
    ``base_width=64`` and ``dilation=1``.
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1, norm_layer=None):
        super().__init__()
        if (groups, base_width, dilation) != (1, 64, 1):
            raise ModelError(f"PlainBasicBlock: groups={groups}, base_width={base_width}, dilation={dilation}; "
                             "expected 1, 64, 1 (as torchvision's BasicBlock)")
        norm_layer = norm_layer or nn.BatchNorm2d
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, padding=1, bias=False)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=1, bias=False)
        self.bn2 = norm_layer(planes)

    def forward(self, x):
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))))


def build_plain_resnet(depth: int) -> nn.Module:
    """PlainNet-18 or PlainNet-34 (``depth``) in torchvision's ResNet layout, randomly initialised, eval mode."""
    layers = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3]}[depth]
    import torchvision.models as tvm

    return tvm.ResNet(PlainBasicBlock, layers).eval()


def _plain(depth: int) -> NamedModel:
    name = f"resnet{depth}-plain"
    meta = {
        "description": f"PlainNet-{depth} (He et al. 2016): torchvision ResNet-{depth} without shortcuts, no "
                       "published weights",
        "source": "architecture only",
        "citation": "He, K., Zhang, X., Ren, S., & Sun, J. (2016). Deep residual learning for image recognition. "
                    "CVPR, 770-778. doi:10.1109/CVPR.2016.90 (section 4.1, plain networks)",
        "licence": "BSD-3-Clause (torchvision's ResNet code)",
        "architecture": f"torchvision ResNet-{depth} with PlainBasicBlock: no identity or projection shortcut",
    }
    return NamedModel(name=name, build=lambda: build_plain_resnet(depth), preprocessing=IMAGENET_PREPROCESSING,
                      meta=meta)


RESNET18_PLAIN = _plain(18)
RESNET34_PLAIN = _plain(34)
