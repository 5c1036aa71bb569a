"""Residual blocks dissected: the shortcut, the residual branch and their sum, recorded at the same units.

A ResNet block (He et al. 2016, eq. 1-2) computes :math:`y = \\mathrm{relu}(F(x) + S(x))`, with :math:`F` the
residual branch (convolutions, batch norms and ReLUs ending in a batch norm) and :math:`S` the shortcut: the
identity, or a 1x1 projection (``downsample``: convolution and batch norm) where the block changes stride or width.
Three response modes record its parts at the same centre unit as ``post_relu`` records :math:`y`:

``shortcut``
    :math:`S(x)`: the output of ``downsample``, or the block's input for an identity shortcut;
``residual``
    :math:`F(x)`: the output of the branch's last batch norm (``bn3`` of a bottleneck, ``bn2`` of a basic block),
    copied before torchvision's in-place addition overwrites it;
``sum``
    :math:`F(x) + S(x)`: the input of the block's final ReLU call (as ``pre_relu`` records it).

Blocks are torchvision's ``BasicBlock`` and ``Bottleneck`` (so ``resnet50-caffe``, whose blocks are torchvision
bottlenecks with the stride in ``conv1``) or any module with the same parts: ``conv2``/``bn2`` (and ``conv3``/``bn3``),
a ``relu`` module and a ``downsample`` attribute (``None`` for the identity). A stage (an ``nn.Sequential`` of
blocks, ``layer2``) stands for its last block, as in ``pre_relu``. Anything else, e.g. a plain block without a
shortcut or a SqueezeNet fire module, is refused with a one-line :class:`~v1lab.errors.LayerError`. While
recording, every batch is checked to satisfy ``shortcut + residual == sum`` and ``relu(sum) == output`` (to 1e-4 of
the largest value), so a block with the right parts and another computation raises instead of recording numbers
that mean something else.

The receptive field and the crop stay the block's: the shortcut and the branch see subsets of its field, so the
crop is exact for them too (docs/recording.md, "The exact fast path"). Batch-norm folding keeps the values: a folded
``bn3`` becomes an identity module whose output is the folded convolution's, i.e. :math:`F(x)`.

References
----------
He, K., Zhang, X., Ren, S., & Sun, J. (2016). Deep residual learning for image recognition. CVPR, 770-778.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from v1lab.errors import LayerError, RecordingError
from v1lab.recording.layers import resolve_layer

__all__ = ["BLOCK_MODES", "ResidualBlock", "residual_block", "residual_blocks", "BlockHooks"]

#: Response modes that need a residual block (see the module docstring).
BLOCK_MODES = ("shortcut", "residual", "sum")

_CHECK_RTOL = 1e-4


@dataclass(frozen=True)
class ResidualBlock:
    """Where a residual block's parts are, as dotted names in the network.

    Attributes
    ----------
    name : str
        The block.
    shortcut : str or None
        The projection shortcut (``<block>.downsample``), or ``None`` for the identity.
    residual : str
        The branch's last module (``<block>.bn3`` or ``<block>.bn2``).
    relu : str
        The block's ReLU module, whose last call rectifies the sum.
    stride : int
        The block's spatial stride (2 for the downsampling blocks).
    """

    name: str
    shortcut: str | None
    residual: str
    relu: str
    stride: int

    @property
    def downsampling(self) -> bool:
        """Whether the block halves the map (stride 2, with a projection shortcut)."""
        return self.stride > 1


def _stride(block: nn.Module) -> int:
    strides = [m.stride[0] if isinstance(m.stride, tuple) else m.stride
               for m in block.modules() if isinstance(m, nn.Conv2d)]
    return int(max(strides, default=1))


def _parts(block: nn.Module) -> tuple[str, str] | None:
    """``(last branch module, relu)`` attribute names of a recognised block, else ``None``."""
    if not hasattr(block, "downsample") or not isinstance(getattr(block, "relu", None), nn.ReLU):
        return None
    for conv, norm in (("conv3", "bn3"), ("conv2", "bn2")):
        if isinstance(getattr(block, conv, None), nn.Conv2d) and isinstance(getattr(block, norm, None), nn.Module):
            return norm, "relu"
    return None


def residual_block(module: nn.Module, name: str) -> ResidualBlock:
    """The residual block recorded as layer ``name`` (a stage stands for its last block).

    Raises
    ------
    LayerError
        When ``name`` is neither a recognised residual block nor a stage ending in one.
    """
    target = resolve_layer(module, name)
    if isinstance(target, nn.Sequential) and len(target) and _parts(target[-1]) is not None:
        name, target = f"{name}.{len(target) - 1}", target[-1]
    parts = _parts(target)
    if parts is None:
        raise LayerError(f"layer {name!r} ({type(target).__name__}) is not a residual block v1lab recognises; the "
                         f"responses {', '.join(BLOCK_MODES)} need a torchvision-style BasicBlock or Bottleneck "
                         "(conv/bn branch, relu, downsample) or a stage of them")
    shortcut = f"{name}.downsample" if target.downsample is not None else None
    return ResidualBlock(name, shortcut, f"{name}.{parts[0]}", f"{name}.{parts[1]}", _stride(target))


def residual_blocks(module: nn.Module) -> list[ResidualBlock]:
    """Every recognised residual block of ``module``, in definition order (a network's blocks, e.g. 16 for
    ResNet-50)."""
    return [residual_block(module, n) for n, m in module.named_modules() if n and _parts(m) is not None]


class BlockHooks:
    """The hooks that pick a block's shortcut, residual and sum during a forward pass (used by ``UnitCapture``).

    Parameters
    ----------
    root : nn.Module
        The network being run.
    layer : str
        The recorded layer (a block or a stage).
    select : callable
        ``(N, C, H, W)`` tensor -> the picked units (a copy).
    """

    def __init__(self, root: nn.Module, layer: str, select):
        self.block = residual_block(root, layer)
        self.root, self.layer, self.select = root, layer, select
        self.picked: dict[str, torch.Tensor | None] = {}

    def register(self) -> list:
        """Register the hooks; returns their handles (the caller removes them)."""
        get = self.root.get_submodule
        self.picked = {"shortcut": None, "residual": None, "sum": None}
        self._relu_out = None
        handles = [get(self.block.residual).register_forward_hook(self._store("residual"))]
        if self.block.shortcut is not None:
            handles.append(get(self.block.shortcut).register_forward_hook(self._store("shortcut")))
        else:
            handles.append(get(self.block.name).register_forward_pre_hook(
                lambda m, args: self._keep("shortcut", args[0])))
        relu = get(self.block.relu)
        handles.append(relu.register_forward_pre_hook(lambda m, args: self._keep("sum", args[0])))
        handles.append(relu.register_forward_hook(lambda m, args, out: setattr(self, "_relu_out", out)))
        return handles

    def _keep(self, key: str, t: torch.Tensor) -> None:
        # a copy before any in-place operation (the addition, an in-place ReLU) overwrites it
        self.picked[key] = self.select(t.clone())

    def _store(self, key: str):
        return lambda m, args, out: self._keep(key, out)

    def pick(self, response: str, output: torch.Tensor) -> torch.Tensor:
        """The units of ``response`` once the recorded layer returned ``output``, after checking the block."""
        s, r, total = (self.picked[k] for k in ("shortcut", "residual", "sum"))
        if s is None or r is None or total is None or output is not self._relu_out:
            raise RecordingError(f"layer {self.layer!r}: block {self.block.name!r} did not run as a residual block "
                                 "(shortcut, residual branch and final ReLU); expected torchvision's block forward")
        out = self.select(output)
        scale = _CHECK_RTOL * max(float(total.abs().max()), 1e-12)
        if s.shape != r.shape or not (torch.allclose(s + r, total, rtol=0, atol=scale)
                                      and torch.allclose(F.relu(total), out, rtol=0, atol=scale)):
            raise RecordingError(f"layer {self.layer!r}: block {self.block.name!r} does not compute "
                                 "relu(shortcut + residual); its parts cannot be recorded as such")
        return self.picked[response]
