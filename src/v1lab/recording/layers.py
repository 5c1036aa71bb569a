"""Layer addressing: a layer is a module of the network named by its dotted path.

Names are those of :meth:`torch.nn.Module.named_modules` (``conv1``, ``bn1``, ``relu``, ``maxpool``,
``layer1``, ``layer2.3``, ``layer3.0.conv2``, ...). A *response mode* says which tensor of that module
is recorded:

``output``
    The module's output as it is.
``post_relu``
    ``relu(output)``. For a module whose output already passed through a ReLU (a ResNet block, a ReLU
    module) this equals ``output``.
``pre_relu``
    The input of the *last ReLU call* made while the module ran, when the module's output is that call's
    output (a ResNet bottleneck block: the residual sum ``bn3(...) + shortcut`` before rectification; a
    stage such as ``layer2``: the same for its last block; a ReLU module: its input). For a module whose
    output is not the output of a ReLU it ran (``conv1``, ``bn1``, ``maxpool``, ``layer3.0.conv2``) it
    is the output, as in ``output``.
``shortcut``, ``residual``, ``sum``
    The parts of a residual block (or of a stage's last block) at the same units: the identity or projection
    path, the branch before the addition, and their sum before the block's final ReLU
    (:mod:`v1lab.recording.blocks`).
"""

import difflib

from torch import nn

from v1lab.errors import LayerError

__all__ = ["RESPONSE_MODES", "layer_names", "resolve_layer", "check_response_mode"]

RESPONSE_MODES = ("output", "post_relu", "pre_relu", "shortcut", "residual", "sum")


def layer_names(module: nn.Module) -> list[str]:
    """Dotted names of every sub-module of ``module`` in definition order (the root excluded)."""
    return [name for name, _ in module.named_modules() if name]


def resolve_layer(module: nn.Module, name: str) -> nn.Module:
    """Return the sub-module called ``name`` (a dotted path such as ``"layer2.3"``).

    Raises
    ------
    LayerError
        When ``module`` has no such sub-module; the message lists the closest names
        (:func:`difflib.get_close_matches`).
    """
    modules = dict(module.named_modules())
    if name and name in modules:
        return modules[name]
    names = layer_names(module)
    close = difflib.get_close_matches(str(name), names, n=5, cutoff=0.5)
    hint = ", ".join(repr(c) for c in close) if close else ", ".join(repr(n) for n in names[:8]) + ", ..."
    raise LayerError(
        f"layer {name!r} not found in {type(module).__name__}; expected a dotted module name"
        f" such as {hint}"
    )


def check_response_mode(response: str) -> str:
    """Return ``response`` if it is one of :data:`RESPONSE_MODES`, else raise :class:`LayerError`."""
    if response not in RESPONSE_MODES:
        raise LayerError(f"response mode {response!r} is not known; expected one of {RESPONSE_MODES}")
    return response
