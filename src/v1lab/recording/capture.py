"""Forward hooks that pick units out of one layer and, optionally, stop the forward pass there.

Truncation works for any ``nn.Module``: once the target layer has run, its forward hook raises a
private exception that unwinds the rest of the forward pass; :meth:`UnitCapture.run` catches it. Hooks
live only inside the ``with`` block (always removed, also on error).
"""

import torch
import torch.nn.functional as F
from torch import nn

from v1lab.errors import RecordingError
from v1lab.recording.blocks import BLOCK_MODES, BlockHooks

__all__ = ["UnitCapture"]


class _StopForward(Exception):
    """Raised by the target's hook to end the forward pass early (never escapes ``UnitCapture.run``)."""


class UnitCapture:
    """Context manager recording units of one layer of ``root``.

    Parameters
    ----------
    root : nn.Module
        The network (takes normalised input).
    layer : str
        Dotted name of the target module (already resolved by the caller).
    response : {"output", "post_relu", "pre_relu", "shortcut", "residual", "sum"}
        See :mod:`v1lab.recording.layers` and, for the parts of a residual block, :mod:`v1lab.recording.blocks`.
    positions : sequence of (int, int)
        ``(row, column)`` indices in the layer's feature map; ``None`` keeps the whole map.
    truncate : bool
        Stop the forward pass once the layer has run.
    keep_graph : bool
        Keep the autograd graph (for gradients); otherwise units are detached copies.
    """

    def __init__(self, root, layer, response, positions, *, truncate=True, keep_graph=False):
        self.root = root
        self.layer = layer
        self.target = root.get_submodule(layer)
        self.response = response
        self.positions = None if positions is None else [tuple(p) for p in positions]
        self.truncate = truncate
        self.keep_graph = keep_graph
        self._handles = []
        self._result = None
        self.calls = 0

    # -- selection ---------------------------------------------------------------------------
    def _select(self, t: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` -> ``(N, P, C)`` at the positions (a copy), or the whole map."""
        if self.positions is None:
            out = t
        else:
            ys = torch.tensor([p[0] for p in self.positions], device=t.device)
            xs = torch.tensor([p[1] for p in self.positions], device=t.device)
            out = t[:, :, ys, xs].permute(0, 2, 1)
        return out if self.keep_graph else out.detach().clone()

    # -- hooks --------------------------------------------------------------------------------
    def _relu_pre(self, module, args):
        x = args[0]
        # Copied before an in-place ReLU overwrites its input. Whether this call is the one whose output
        # the target returns is decided in the target's hook (identity of the output tensor).
        fits = x.dim() == 4 and (self.positions is None or _inside(self.positions, x.shape[-2:]))
        self._relu_in = self._select(x) if fits else None

    def _relu_post(self, module, args, output):
        self._relu_out = output

    def _target_post(self, module, args, output):
        self.calls += 1
        if not isinstance(output, torch.Tensor) or output.dim() != 4:
            kind = type(output).__name__ if not isinstance(output, torch.Tensor) else f"{output.dim()}-d tensor"
            raise RecordingError(
                f"layer {self.layer!r} returns a {kind}; expected a 4-d (N, C, H, W) feature map"
            )
        if self._block is not None:
            picked = self._block.pick(self.response, output)
        elif self.response == "pre_relu" and output is self._relu_out and self._relu_in is not None:
            picked = self._relu_in
        else:
            picked = self._select(output)
            if self.response == "post_relu":
                picked = F.relu(picked)
        self._result = picked
        if self.truncate:
            raise _StopForward

    def __enter__(self):
        self._relu_in = None
        self._relu_out = None
        self._block = None
        if self.response in BLOCK_MODES:
            self._block = BlockHooks(self.root, self.layer, self._select)
            self._handles += self._block.register()
        elif self.response == "pre_relu":
            for m in self.target.modules():
                if isinstance(m, nn.ReLU):
                    self._handles.append(m.register_forward_pre_hook(self._relu_pre))
                    self._handles.append(m.register_forward_hook(self._relu_post))
        self._handles.append(self.target.register_forward_hook(self._target_post))
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._relu_in = self._relu_out = self._block = None
        return False

    def run(self, x: torch.Tensor) -> torch.Tensor:
        """Forward ``x`` (normalised input) and return the picked units, ``(N, P, C)`` or ``(N, C, H, W)``."""
        self._result = None
        try:
            self.root(x)
        except _StopForward:
            pass
        if self._result is None:
            raise RecordingError(f"layer {self.layer!r} did not run during the forward pass")
        return self._result


def _inside(positions, shape) -> bool:
    return all(0 <= y < shape[0] and 0 <= x < shape[1] for y, x in positions)
