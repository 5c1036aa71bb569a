"""Silencing channels during the forward pass, and splitting a network where the silencing happens.

A lesion replaces chosen channels of one module's output (the *silenced module*) by a fill value: 0
(``mode="zero"``) or the channel's mean over natural images (``mode="mean"``, one scalar per channel,
averaged over images and positions). The weights are never touched: silencing acts on the activations only.

The unlesioned activations up to the silenced module do not depend on the lesion, so
:func:`split_network` cuts the network there (``torch.fx``): ``head(x)`` is the silenced module's output
and ``tail(h)`` the rest of the network. A lesion experiment runs ``head`` once per image batch and only
``tail`` per lesioned set. Where the cut is impossible (a skip connection crosses it, or the network cannot
be traced) :class:`ChannelSilencer` does the same with a forward hook on the full network, which it always
removes.

For ResNet's ``conv1`` units the silenced module is ``relu`` (the post-ReLU map ``relu(bn1(conv1(x)))``):
the channel that a conv1 filter drives is silenced after batch normalisation and rectification, so that a
silenced unit sends exactly the fill value to ``maxpool`` and ``layer1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.fx
from torch import nn

from v1lab.errors import LayerError
from v1lab.recording.layers import resolve_layer

__all__ = ["find_silenced_module", "split_network", "silence", "ChannelSilencer", "SplitNetwork"]


def find_silenced_module(module: nn.Module, layer: str, example: torch.Tensor) -> str:
    """Name of the module whose output is silenced to lesion the channels of ``layer``.

    A convolution's units are silenced after their rectification: the first :class:`torch.nn.ReLU`
    module that runs after ``layer`` (before any other convolution or linear layer runs) and whose output
    has ``layer``'s channel count and map size. A ``layer`` that is not a convolution or linear module
    (a ReLU, a ResNet block or stage, whose output is already rectified) is silenced itself.

    Parameters
    ----------
    module : nn.Module
        The network (takes normalised input).
    layer : str
        Dotted name of the layer whose channels are the units.
    example : Tensor
        One normalised input batch, used to observe the order in which modules run.
    """
    target = resolve_layer(module, layer)
    if not isinstance(target, (nn.Conv2d, nn.Linear)):
        return layer
    names = {id(m): n for n, m in module.named_modules() if n}
    calls: list[tuple[str, nn.Module, tuple]] = []

    def record(mod, args, output):
        if isinstance(output, torch.Tensor):
            calls.append((names.get(id(mod), ""), mod, tuple(output.shape)))

    handles = [m.register_forward_hook(record) for n, m in module.named_modules() if n]
    try:
        with torch.no_grad():
            module(example)
    finally:
        for h in handles:
            h.remove()
    index = next((i for i, (n, _, _) in enumerate(calls) if n == layer), None)
    if index is None:
        raise LayerError(f"layer {layer!r} did not run during a forward pass; expected a module the network calls")
    shape = calls[index][2]
    for name, mod, out_shape in calls[index + 1:]:
        if isinstance(mod, nn.ReLU) and out_shape == shape:
            return name
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            break
    return layer


def silence(h: torch.Tensor, channels: Sequence[int], fill: torch.Tensor | None = None) -> torch.Tensor:
    """A copy of ``h`` (N, C, ...) with ``channels`` set to 0, or to ``fill[c]`` (a per-channel scalar).

    Parameters
    ----------
    h : Tensor
        Activations, channels on axis 1.
    channels : sequence of int
        Channels to silence (may be empty: an unlesioned copy).
    fill : Tensor of shape (C,), optional
        Per-channel values; ``None`` means zeros.
    """
    out = h.clone()
    if len(channels) == 0:
        return out
    idx = torch.as_tensor(list(channels), dtype=torch.long, device=h.device)
    if fill is None:
        out[:, idx] = 0
    else:
        values = fill.to(device=h.device, dtype=h.dtype)[idx]
        out[:, idx] = values.view(1, -1, *([1] * (h.dim() - 2)))
    return out


class ChannelSilencer:
    """Context manager: a forward hook replacing channels of ``module``'s output (always removed on exit).

    Parameters
    ----------
    module : nn.Module
        The silenced module.
    channels : sequence of int
    fill : Tensor of shape (C,), optional
        Per-channel fill values (``None``: zeros).
    """

    def __init__(self, module: nn.Module, channels: Sequence[int], fill: torch.Tensor | None = None):
        self.module = module
        self.channels = list(channels)
        self.fill = fill
        self._handle = None

    def _hook(self, mod, args, output):
        return silence(output, self.channels, self.fill)

    def __enter__(self):
        self._handle = self.module.register_forward_hook(self._hook)
        return self

    def __exit__(self, *exc):
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        return False


class _CutTracer(torch.fx.Tracer):
    """An fx tracer that keeps the silenced module whole (one ``call_module`` node)."""

    def __init__(self, leaf: str):
        super().__init__()
        self.leaf = leaf

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        # Convolutions and linear layers (also subclasses, e.g. a conv with its own padding) stay whole.
        return qualname == self.leaf or isinstance(m, (nn.Conv2d, nn.Linear)) or super().is_leaf_module(m, qualname)


class SplitNetwork:
    """``module`` as ``tail(head(x))``, cut after the silenced module ``name``.

    Attributes
    ----------
    head : nn.Module
        Input -> the silenced module's output.
    tail : nn.Module
        The silenced module's output -> the network's output.
    """

    def __init__(self, head: nn.Module, tail: nn.Module, name: str):
        self.head = head
        self.tail = tail
        self.name = name


def split_network(module: nn.Module, name: str) -> SplitNetwork | None:
    """Cut ``module`` after its sub-module ``name``, or return ``None`` where no clean cut exists.

    The cut exists when the network traces with :mod:`torch.fx`, ``name`` is called exactly once and no
    value computed before it is used after it (no skip connection crosses the cut). Head and tail share
    the original parameters (nothing is copied or modified).
    """
    resolve_layer(module, name)
    try:
        tracer = _CutTracer(name)
        graph = tracer.trace(module)
    except Exception:  # any untraceable forward (data-dependent control flow, ...) falls back to hooks
        return None
    nodes = list(graph.nodes)
    cuts = [i for i, n in enumerate(nodes) if n.op == "call_module" and n.target == name]
    if len(cuts) != 1:
        return None
    cut = cuts[0]
    before = set(nodes[: cut + 1])

    head_graph = torch.fx.Graph()
    env: dict = {}
    for node in nodes[: cut + 1]:
        env[node] = head_graph.node_copy(node, lambda n: env[n])
    head_graph.output(env[nodes[cut]])

    tail_graph = torch.fx.Graph()
    tail_env = {nodes[cut]: tail_graph.placeholder("h")}
    for node in nodes[cut + 1:]:
        if node.op == "placeholder":
            return None
        used = [a for a in node.all_input_nodes if a in before and a is not nodes[cut]]
        for a in used:  # constants (get_attr) may be re-read after the cut; activations may not
            if a.op != "get_attr":
                return None
            if a not in tail_env:
                tail_env[a] = tail_graph.node_copy(a, lambda n: tail_env[n])
        tail_env[node] = tail_graph.node_copy(node, lambda n: tail_env[n])
    root = tracer.root
    head = torch.fx.GraphModule(root, head_graph, class_name="LesionHead")
    tail = torch.fx.GraphModule(root, tail_graph, class_name="LesionTail")
    return SplitNetwork(head.eval(), tail.eval(), name)
