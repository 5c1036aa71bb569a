"""Receptive fields of convolutional layers, read from the module graph (with an empirical fallback).

Along each image axis a unit at index :math:`i` of layer :math:`L` sees the input pixels

.. math:: [\\,i\\,j_L + a_L,\\; i\\,j_L + b_L\\,] \\quad(\\text{inclusive}),

with jump (total stride) :math:`j_L` and offsets :math:`a_L \\le 0 \\le b_L` (pixel indices, the first
pixel is 0; offsets outside :math:`[0, S-1]` fall on padding). The input is :math:`j_0 = 1`,
:math:`a_0 = b_0 = 0`. A convolution or pooling with kernel :math:`k`, stride :math:`s`, dilation
:math:`d`, and padding :math:`p` before the first element maps them to

.. math::
    j' = j\\,s,\\qquad a' = a - p\\,j,\\qquad b' = b + \\big(d\\,(k-1) - p\\big)\\,j,

so the size is :math:`r = b - a + 1 = 1 + \\sum_l d_l (k_l - 1) \\prod_{m<l} s_m` (Araujo, Norris & Sim
2019, eqs. 2 and 9-11). Padding may differ before and after (:math:`p_\\text{lo}`, :math:`p_\\text{hi}`):
only :math:`p_\\text{lo}` moves the field, both set the map length
:math:`n' = \\lfloor (n + p_\\text{lo} + p_\\text{hi} - d(k-1) - 1)/s \\rfloor + 1`; an ``nn.ZeroPad2d`` is
such a padding alone (:math:`k = s = 1`), as TensorFlow's asymmetric "same" padding is written in
PyTorch. A pooling with ``ceil_mode`` rounds :math:`n'` up instead, less the last window when it would
start past the input and its left padding (PyTorch's rule); the fields of the units are unchanged.
Point-wise modules (batch norm in eval mode, ReLU, ...) leave the triple
unchanged; where paths merge (residual sums, channel concatenation) the receptive field is the union:
:math:`a = \\min`, :math:`b = \\max` over the inputs, which must share the jump (ibid., section
"Handling multiple paths"). The graph is read with :mod:`torch.fx`; a module that cannot be read
(unknown type, non-zero padding modes, global pooling) makes :func:`receptive_field`
fall back to :func:`empirical_receptive_field`.

References
----------
Araujo, A., Norris, W., & Sim, J. (2019). Computing receptive fields of convolutional neural networks.
*Distill*, 4(11), e21. https://doi.org/10.23915/distill.00021
"""

import logging
import operator
from collections import defaultdict
from dataclasses import dataclass

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from v1lab.errors import LayerError, ReceptiveFieldError
from v1lab.recording.layers import resolve_layer

__all__ = ["ReceptiveField", "receptive_field", "analytic_receptive_field"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of the units of one layer for a given input size (all in input pixels).

    Attributes
    ----------
    size : (int, int)
        :math:`r = b - a + 1` along (y, x), including any part on padding.
    jump : (int, int)
        Total stride :math:`j` along (y, x): neighbouring units' fields are ``jump`` pixels apart.
    start : (int, int)
        :math:`a`: first pixel row/column seen by unit (0, 0) (negative where it lies on padding).
    map_shape : (int, int)
        Height and width of the layer's feature map.
    input_shape : (int, int)
        Height and width of the input image.
    method : {"analytic", "empirical"}
        ``"empirical"`` values come from gradient support and are lower bounds where the field is
        clipped by the image border.
    """

    size: tuple[int, int]
    jump: tuple[int, int]
    start: tuple[int, int]
    map_shape: tuple[int, int]
    input_shape: tuple[int, int]
    method: str

    @property
    def centre_index(self) -> tuple[int, int]:
        """The centre unit ``(n_y // 2, n_x // 2)`` (for even ``n`` the lower-right of the middle four)."""
        return (self.map_shape[0] // 2, self.map_shape[1] // 2)

    def span(self, iy: int, ix: int) -> tuple[int, int, int, int]:
        """``(y0, y1, x0, x1)``, half-open, unclipped: the pixels unit ``(iy, ix)`` can see."""
        y0 = iy * self.jump[0] + self.start[0]
        x0 = ix * self.jump[1] + self.start[1]
        return (y0, y0 + self.size[0], x0, x0 + self.size[1])

    def centre(self, iy: int, ix: int) -> tuple[float, float]:
        """Centre of unit ``(iy, ix)``'s field in pixel-centre coordinates (pixel ``k`` spans ``[k-0.5, k+0.5]``)."""
        y0, y1, x0, x1 = self.span(iy, ix)
        return ((y0 + y1 - 1) / 2, (x0 + x1 - 1) / 2)


@dataclass(frozen=True)
class _Axis:
    n: int  # map length
    j: int  # jump
    a: int  # first input pixel of unit 0
    b: int  # last input pixel of unit 0


_POINTWISE_MODULES = (
    nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh,
    nn.Identity, nn.Dropout, nn.Dropout2d, nn.LocalResponseNorm,
)
_LEAVES = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.ZeroPad2d, *_POINTWISE_MODULES)
_POINTWISE_FUNCTIONS = {
    operator.add, operator.iadd, operator.mul, operator.imul, operator.sub, operator.truediv,
    torch.add, torch.mul, torch.sub, torch.relu, torch.sigmoid, torch.tanh, F.relu, F.gelu, F.silu,
}
_POINTWISE_METHODS = {"add", "add_", "mul", "mul_", "sub", "relu", "relu_", "sigmoid", "tanh", "clone",
                      "contiguous"}


def _pair(v) -> tuple[int, int]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _window(axes, kernel, stride, padding, dilation, ceil_mode=False):
    """Apply a window operation (conv, pool or padding) to the per-axis state."""
    out = []
    for ax, k, s, d, pad in zip(axes, _pair(kernel), _pair(stride), _pair(dilation), padding):
        p_lo, p_hi = pad
        span = d * (k - 1)
        n = (ax.n + p_lo + p_hi - span - 1 + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (n - 1) * s >= ax.n + p_lo:
            n -= 1
        out.append(_Axis(n=n, j=ax.j * s, a=ax.a - p_lo * ax.j, b=ax.b + (span - p_lo) * ax.j))
    return tuple(out)


def _module_rule(m: nn.Module, axes):
    if isinstance(m, _POINTWISE_MODULES):
        if isinstance(m, nn.BatchNorm2d) and m.training:
            raise ReceptiveFieldError("batch norm in training mode mixes the whole batch")
        return axes
    if isinstance(m, nn.Conv2d):
        if m.padding_mode != "zeros":
            raise ReceptiveFieldError(f"padding_mode={m.padding_mode!r}")
        if m.padding == "valid":
            pads = [(0, 0), (0, 0)]
        elif m.padding == "same":
            spans = [d * (k - 1) for k, d in zip(m.kernel_size, m.dilation)]
            pads = [(sp // 2, sp - sp // 2) for sp in spans]
        else:
            pads = [(p, p) for p in m.padding]
        return _window(axes, m.kernel_size, m.stride, pads, m.dilation)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        dilation = m.dilation if isinstance(m, nn.MaxPool2d) else 1
        pads = [(p, p) for p in _pair(m.padding)]
        return _window(axes, m.kernel_size, m.stride, pads, dilation, ceil_mode=m.ceil_mode)
    if isinstance(m, nn.ZeroPad2d):
        left, right, top, bottom = m.padding
        return _window(axes, 1, 1, [(top, bottom), (left, right)], 1)
    raise ReceptiveFieldError(type(m).__name__)


def _union(states):
    states = [s for s in states if s is not None]
    if not states:
        return None
    out = []
    for per_axis in zip(*states):
        if len({(ax.n, ax.j) for ax in per_axis}) != 1:
            raise ReceptiveFieldError("merging maps of different size or jump")
        out.append(_Axis(per_axis[0].n, per_axis[0].j, min(ax.a for ax in per_axis),
                         max(ax.b for ax in per_axis)))
    return tuple(out)


class _CallTracer(fx.Tracer):
    """A tracer that remembers, per module name, the output node of each call.

    Subclasses of the modules with a rule (e.g. a ``Conv2d`` that pads with a constant other than zero)
    are leaves too: they are read by their ``kernel_size``/``stride``/``padding``/``dilation``, i.e. they
    are trusted to keep their parent's geometry.
    """

    def __init__(self):
        super().__init__()
        self.calls = defaultdict(list)

    def is_leaf_module(self, m, qualname):
        return isinstance(m, _LEAVES) or super().is_leaf_module(m, qualname)

    def call_module(self, m, forward, args, kwargs):
        out = super().call_module(m, forward, args, kwargs)
        self.calls[self.path_of_module(m)].append(out)
        return out


def _node_inputs(node, states):
    found = []
    fx.node.map_arg((node.args, node.kwargs), lambda n: found.append(states[n]))
    return found


def analytic_receptive_field(module: nn.Module, layer: str, input_shape=(224, 224)) -> ReceptiveField:
    """Receptive field of ``layer`` read from the module graph (:mod:`torch.fx`); see the module notes.

    Raises
    ------
    LayerError
        For an unknown layer, or one that is called more than once per forward pass.
    ReceptiveFieldError
        When the graph cannot be traced or an operation on the path to ``layer`` is not understood;
        :func:`receptive_field` then falls back to the empirical measurement.
    """
    resolve_layer(module, layer)
    tracer = _CallTracer()
    try:
        graph = tracer.trace(module)
    except Exception as err:  # fx raises many kinds (TraceError, TypeError, ...) on dynamic code
        raise ReceptiveFieldError(f"torch.fx cannot trace {type(module).__name__}: {err}") from err
    calls = tracer.calls[layer]
    if len(calls) != 1:
        raise LayerError(
            f"layer {layer!r} runs {len(calls)} times per forward pass; expected exactly once"
            " (record its parent block or a module that runs once)"
        )
    target = getattr(calls[0], "node", None)
    if target is None:
        raise ReceptiveFieldError(f"layer {layer!r} does not return a tensor")
    modules = dict(module.named_modules())
    states = {}
    for node in graph.nodes:
        try:
            states[node] = _node_state(node, states, modules, input_shape)
        except ReceptiveFieldError as err:
            states[node] = err
        if node is target:
            break
    state = states[target]
    if isinstance(state, ReceptiveFieldError):
        raise state
    (ay, ax_) = state
    return ReceptiveField(
        size=(ay.b - ay.a + 1, ax_.b - ax_.a + 1), jump=(ay.j, ax_.j), start=(ay.a, ax_.a),
        map_shape=(ay.n, ax_.n), input_shape=tuple(input_shape), method="analytic",
    )


def _node_state(node, states, modules, input_shape):
    if node.op == "placeholder":
        return tuple(_Axis(n=n, j=1, a=0, b=0) for n in input_shape)
    if node.op == "get_attr":
        return None
    inputs = _node_inputs(node, states)
    for s in inputs:
        if isinstance(s, ReceptiveFieldError):
            raise s
    if node.op == "call_module":
        images = [s for s in inputs if s is not None]
        if len(images) != 1:
            raise ReceptiveFieldError(f"module {node.target!r} takes {len(images)} feature maps; expected 1")
        return _module_rule(modules[node.target], images[0])
    if node.op == "call_function" and node.target in _POINTWISE_FUNCTIONS:
        return _union(inputs)
    if node.op == "call_function" and node.target is torch.cat:
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        if dim != 1:
            raise ReceptiveFieldError(f"torch.cat along dim {dim}")
        return _union(inputs)
    if node.op == "call_method" and node.target in _POINTWISE_METHODS:
        return _union(inputs)
    raise ReceptiveFieldError(f"{node.op} {node.target}")


def receptive_field(module: nn.Module, layer: str, input_shape=(224, 224), *, device="cpu") -> ReceptiveField:
    """Analytic receptive field of ``layer`` where the graph can be read, else the empirical one."""
    from v1lab.recording.empirical_rf import empirical_receptive_field

    try:
        return analytic_receptive_field(module, layer, input_shape)
    except ReceptiveFieldError as why:
        log.info("receptive field of %r measured empirically: %s", layer, why)
        return empirical_receptive_field(module, layer, input_shape, device=device)
