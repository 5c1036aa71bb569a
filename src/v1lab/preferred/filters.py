"""The exact linear receptive field of a first (linear) layer, drawn as an image: the third view of a unit.

The kernel is read from the layer's response before its last rectification (``pre_relu`` mode of
:mod:`v1lab.recording.layers`), so ``conv1`` and the ReLU after ``bn1`` (how the protocols record conv1) both
have one: the ReLU only thresholds the affine drive :math:`a` below.

For a unit whose output is an affine function of the display image, :math:`a = b + \\sum_x \\mathbf
k(x) \\cdot \\mathbf x(x)`, the kernel :math:`\\mathbf k = \\partial a / \\partial \\mathbf x` *is* the
linear receptive field, in display-RGB units: it folds in the model's normalisation
(:math:`k = W / s_c` for a convolution :math:`W` on normalised input) and any preprocessing folded into
the weights (``resnet50-caffe``'s BGR/Caffe fold). It is read here by automatic differentiation at the
grey background, on the recorder's crop, for all channels in one backward pass, and checked to be the
same at a random second input (otherwise the layer is not linear and :class:`AnalysisError` is raised).
Drawn as lucid/Kobayashi & Shouno do: :math:`0.5 + 0.5\\, k / \\max|k|` per unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from v1lab.errors import AnalysisError
from v1lab.preferred._drive import centre_responses, rf_box_on_canvas
from v1lab.preferred.optimise import background_display
from v1lab.recording import CentreUnitRecorder
from v1lab.stimuli.geometry import Geometry

__all__ = ["FilterImages", "filter_images"]


@dataclass(frozen=True)
class FilterImages:
    """Linear receptive fields of the centre units of a linear layer.

    Attributes
    ----------
    layer : str
    channels : ndarray of int (C,)
    kernels : Tensor (C, 3, H, W)
        :math:`\\partial a / \\partial x` in response units per display unit, on :attr:`canvas`.
    images : Tensor (C, 3, H, W)
        The kernels drawn as display images, :math:`0.5 + 0.5\\, k / \\max|k|` per unit.
    canvas : Geometry
    rf_box : (int, int, int, int)
    """

    layer: str
    channels: np.ndarray
    kernels: torch.Tensor
    images: torch.Tensor
    canvas: Geometry
    rf_box: tuple[int, int, int, int]


def _kernels(rec: CentreUnitRecorder, images: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    images = images.requires_grad_(True)
    rows = torch.arange(len(index), device=images.device)
    drive = centre_responses(rec, images, "pre_relu")[rows, index]
    (grad,) = torch.autograd.grad(drive.sum(), images)
    return grad


def filter_images(model, layer: str = "conv1", *, channels=None, device="cpu", seed: int = 0,
                  rtol: float = 1e-4, recorder: CentreUnitRecorder | None = None) -> FilterImages:
    """Linear receptive fields (display-RGB kernels) of the centre units of a linear layer.

    Parameters
    ----------
    model : LoadedModel
    layer : str
        A layer whose response before rectification is affine in the input (``conv1``, or the ReLU after
        ``bn1``).
    channels : sequence of int, optional
        Default: all.
    device : str or torch.device
    seed : int
        Seeds the random second input of the linearity check.
    rtol : float
        Largest allowed difference between the two kernels, relative to the largest kernel value.

    Raises
    ------
    AnalysisError
        When the kernel depends on the input (the layer is not linear).
    """
    rec = recorder or CentreUnitRecorder(model, layer, response="output", device=device)
    chans = np.arange(rec.n_channels) if channels is None else np.asarray(channels, dtype=int).ravel()
    index = torch.as_tensor(chans, device=rec.device)
    shape = (len(chans), 3, *rec.canvas_shape)
    grey = torch.full(shape, background_display(), device=rec.device)
    noise = torch.rand(shape, generator=torch.Generator().manual_seed(int(seed))).to(rec.device)
    k = _kernels(rec, grey, index)
    k2 = _kernels(rec, noise, index)
    scale = k.abs().amax(dim=(1, 2, 3), keepdim=True)
    worst = float(((k - k2).abs() / scale.clamp(min=1e-30)).max())
    if worst > rtol:
        raise AnalysisError(f"filter_images: layer {layer!r} is not linear in the input (kernels at two inputs "
                            f"differ by {worst:.3g} of their maximum); expected a first linear layer such as conv1, or its ReLU")
    images = 0.5 + 0.5 * k / scale.clamp(min=1e-30)
    return FilterImages(layer=layer, channels=chans, kernels=k.detach().cpu(), images=images.detach().cpu(),
                        canvas=rec.canvas, rf_box=rf_box_on_canvas(rec))
