"""Receptive fields measured from the input gradient, for layers whose graph cannot be read."""

import torch
from torch import nn

from v1lab.errors import LayerError
from v1lab.recording.capture import UnitCapture
from v1lab.recording.layers import resolve_layer
from v1lab.recording.receptive_field import ReceptiveField

__all__ = ["empirical_receptive_field"]


def empirical_receptive_field(module: nn.Module, layer: str, input_shape=(224, 224), *, seed=0,
                              n_probes=2, device="cpu") -> ReceptiveField:
    """Receptive field measured as the support of the input gradient of the centre unit.

    The gradient of the sum over channels of the centre unit's output with respect to a Gaussian noise
    input is non-zero exactly on the pixels that influence the unit along paths active for that input;
    the union over ``n_probes`` inputs (seeded by ``seed``) is the measured field. The jump is the
    ratio of input to map size, rounded. Where the field reaches the image border the values are lower
    bounds (``method="empirical"``).
    """
    resolve_layer(module, layer)
    gen = torch.Generator().manual_seed(seed)
    h, w = input_shape
    support = torch.zeros(h, w, dtype=torch.bool)
    # Untruncated, so a layer that runs twice is detected (the last call's output would be recorded).
    with UnitCapture(module, layer, "output", None, truncate=False, keep_graph=True) as cap:
        for _ in range(n_probes):
            x = torch.randn(1, 3, h, w, generator=gen).to(device).requires_grad_(True)
            fmap = cap.run(x)
            ny, nx = fmap.shape[-2:]
            (grad,) = torch.autograd.grad(fmap[0, :, ny // 2, nx // 2].sum(), x)
            support |= (grad[0].abs().sum(0) != 0).cpu()
    if cap.calls != n_probes:
        raise LayerError(f"layer {layer!r} runs more than once per forward pass; expected exactly once")
    rows = torch.nonzero(support.any(1)).flatten()
    cols = torch.nonzero(support.any(0)).flatten()
    jump = (max(1, round(h / ny)), max(1, round(w / nx)))
    cy, cx = ny // 2, nx // 2
    y0, y1 = int(rows.min()), int(rows.max())
    x0, x1 = int(cols.min()), int(cols.max())
    return ReceptiveField(
        size=(y1 - y0 + 1, x1 - x0 + 1), jump=jump, start=(y0 - cy * jump[0], x0 - cx * jump[1]),
        map_shape=(int(ny), int(nx)), input_shape=(h, w), method="empirical",
    )
