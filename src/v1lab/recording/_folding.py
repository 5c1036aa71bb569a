"""Fold inference-mode batch normalisation into the convolution before it.

In eval mode a ``BatchNorm2d`` is a fixed per-channel affine map (Ioffe & Szegedy 2015, section 3.1):
:math:`y = \\gamma (x - \\mu) / \\sqrt{\\sigma^2 + \\epsilon} + \\beta`. When :math:`x` is the output of a
convolution :math:`x = W * u + b`, the two compose into one convolution with

.. math:: W' = W \\, s, \\qquad b' = (b - \\mu) \\, s + \\beta, \\qquad s = \\gamma / \\sqrt{\\sigma^2 + \\epsilon}

(per output channel; batch-norm folding as integer inference uses it, Jacob et al. 2018). The numbers change
only by float32 rounding; the batch-norm pass over every feature map disappears. The weights are computed by
:func:`torch.nn.utils.fusion.fuse_conv_bn_eval`.

Which batch norm follows which convolution is read from one traced forward pass, not from module names: a
pair is folded only when the batch norm's input *is* the convolution's output tensor and each module runs
once. The folded copy is then checked against the original on a random input (outputs equal to 1e-4 of their
largest value), so a convolution whose output also feeds another branch cannot be folded unnoticed: the
check fails and the original module is used. A recorder passes its layer: both passes then stop once that
layer has run, on a probe the size of the recorder's crop, and the check compares the layer's feature map in
the recorded response mode; batch norms that run after the layer cannot change it and are left as they are.

References
----------
Ioffe, S., & Szegedy, C. (2015). Batch normalization: accelerating deep network training by reducing internal
covariate shift. *ICML*, PMLR 37, 448-456.

Jacob, B., Kligys, S., Chen, B., Zhu, M., Tang, M., Howard, A., Adam, H., & Kalenichenko, D. (2018).
Quantization and training of neural networks for efficient integer-arithmetic-only inference. *CVPR*,
2704-2713.
"""

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from v1lab.recording.capture import UnitCapture

__all__ = ["fold_batch_norms"]

_CHECK_RTOL = 1e-4


def fold_batch_norms(module: nn.Module, probe: torch.Tensor, *, keep=(), layer: str | None = None,
                     response: str = "output") -> tuple[nn.Module, int]:
    """A copy of ``module`` (eval mode) with every conv -> batch-norm pair folded into one convolution.

    Parameters
    ----------
    module : nn.Module
        The network, in eval mode; not modified.
    probe : Tensor, shape (1, 3, H, W)
        An input the module accepts (normalised), used to trace the pairs and to check the folded copy.
    keep : collection of str
        Dotted names of convolutions whose own output must stay observable (a recorded layer); they are not
        folded. A batch norm that is recorded may be folded: its name then holds an ``nn.Identity`` whose
        output is the folded convolution's, i.e. the batch norm's.
    layer, response : str, optional
        Stop both passes once the module ``layer`` has run, and check its whole feature map in ``response``
        mode (:class:`~v1lab.recording.capture.UnitCapture`) instead of the network's output; only pairs that
        run before the stop are folded. ``None`` (default): the whole network.

    Returns
    -------
    (nn.Module, int)
        The folded copy and the number of pairs folded; ``(module, 0)`` when there is nothing to fold or the
        folded copy fails the check.
    """
    if not any(isinstance(m, nn.BatchNorm2d) for m in module.modules()):
        return module, 0
    keep = set(keep)
    traced, want = _traced_pairs(module, probe, layer, response)
    pairs = [(c, b) for c, b in traced if c not in keep]
    if not pairs:
        return module, 0
    folded = copy.deepcopy(module)
    for conv_name, bn_name in pairs:
        conv, bn = folded.get_submodule(conv_name), folded.get_submodule(bn_name)
        _replace(folded, conv_name, fuse_conv_bn_eval(conv, bn))
        _replace(folded, bn_name, nn.Identity())
    got = _forward(folded, probe, layer, response)
    if not (isinstance(want, torch.Tensor) and want.shape == got.shape
            and torch.allclose(got, want, rtol=0, atol=_CHECK_RTOL * float(want.abs().max()))):
        return module, 0
    return folded, len(pairs)


def _forward(module: nn.Module, probe: torch.Tensor, layer: str | None, response: str):
    """The module's output on ``probe``, or ``layer``'s whole feature map with the pass stopped there."""
    with torch.no_grad():
        if layer is None:
            return module(probe)
        with UnitCapture(module, layer, response, None) as capture:
            return capture.run(probe)


def _traced_pairs(module: nn.Module, probe: torch.Tensor, layer: str | None,
                  response: str) -> tuple[list[tuple[str, str]], object]:
    """``(conv, batch norm)`` names where the batch norm's input is the convolution's output tensor, and the
    output on ``probe`` (:func:`_forward`: the reference the folded copy is checked against)."""
    names = {m: n for n, m in module.named_modules()}
    calls: dict[str, int] = {}
    produced: dict[int, str] = {}  # id of a convolution's output -> the convolution
    candidates = []
    keep_alive = []  # outputs stay referenced so their ids are not reused during the pass

    def conv_hook(mod, args, output):
        calls[names[mod]] = calls.get(names[mod], 0) + 1
        produced[id(output)] = names[mod]
        keep_alive.append(output)

    def bn_hook(mod, args):
        calls[names[mod]] = calls.get(names[mod], 0) + 1
        source = produced.get(id(args[0]))
        if source is not None and not mod.training and mod.running_mean is not None:
            candidates.append((source, names[mod]))

    handles = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.BatchNorm2d):
            handles.append(m.register_forward_pre_hook(bn_hook))
    try:
        output = _forward(module, probe, layer, response)
    finally:
        for h in handles:
            h.remove()
    return [(c, b) for c, b in candidates if calls[c] == 1 and calls[b] == 1], output


def _replace(root: nn.Module, name: str, new: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(root.get_submodule(parent) if parent else root, child, new)
