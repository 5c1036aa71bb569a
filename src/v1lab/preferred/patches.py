"""Top-k natural-image patches: the receptive-field crops of a folder of photographs that drive each unit hardest.

Every image (resized and centre-cropped as the model expects, :class:`v1lab.images.ImageNetFolder`) is
run up to the layer; every spatial position whose receptive field lies wholly inside the image is a
candidate, and each channel keeps its ``k`` largest responses. For each winner the crop that position
sees is cut out (the recorder's crop box shifted by a whole number of jumps, so the same exact fast path
applies; pixels of the box outside the image and outside the field are filled with grey and cannot
affect the unit) and the input gradient of the unit is computed on it. As Kobayashi & Shouno (2020), the
result holds, averaged over the top ``k``: the patch, the gradient :math:`g = \\partial a / \\partial x`
(display units), and their product :math:`(x - m) \\odot g` with :math:`m` the preprocessing mean, which is
"gradient x input" (Shrikumar et al. 2016) on the normalised input, :math:`\\tilde x \\odot \\partial a /
\\partial \\tilde x`; for a linear unit it sums to the response minus the bias.

References
----------
Kobayashi, G., & Shouno, H. (2020). Interpretation of ResNet by visualization of preferred stimulus in
receptive fields. arXiv:2006.01645.
Shrikumar, A., Greenside, P., Shcherbina, A., & Kundaje, A. (2016). Not just a black box: learning important
features through propagating activation differences. arXiv:1605.01713.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from v1lab.errors import AnalysisError
from v1lab.images import ImageNetFolder
from v1lab.preferred._drive import centre_responses, rf_box_on_canvas
from v1lab.preferred.optimise import background_display
from v1lab.recording import CentreUnitRecorder
from v1lab.recording.capture import UnitCapture
from v1lab.recording.memory import peak_live_bytes, working_set_batch
from v1lab.stimuli.geometry import Geometry

__all__ = ["TopPatches", "top_patches"]


@dataclass(frozen=True)
class TopPatches:
    """The ``k`` strongest natural-image patches of each centre unit, and their averages.

    Attributes
    ----------
    layer : str
    channels : ndarray of int (C,)
    sources : DataFrame
        One row per (channel, rank): ``channel``, ``rank``, ``image`` (file), ``row``, ``col`` (position in
        the feature map), ``response``.
    patches : Tensor (C, k, 3, H, W), uint8
        The crops (display values x 255), on :attr:`canvas`.
    mean_patch, mean_gradient, mean_product : Tensor (C, 3, H, W)
        Averages over the top ``k`` of the patch (display RGB), of :math:`\\partial a/\\partial x` and of
        :math:`(x - m) \\odot \\partial a/\\partial x`.
    canvas : Geometry
    rf_box : (int, int, int, int)
    n_images : int
        Images searched.
    """

    layer: str
    channels: np.ndarray
    sources: pd.DataFrame
    patches: torch.Tensor
    mean_patch: torch.Tensor
    mean_gradient: torch.Tensor
    mean_product: torch.Tensor
    canvas: Geometry
    rf_box: tuple[int, int, int, int]
    n_images: int


def _valid_range(rf, axis: int, size: int) -> tuple[int, int]:
    """Unit indices along ``axis`` whose field lies inside ``[0, size)``, as a half-open range."""
    j, a, r = rf.jump[axis], rf.start[axis], rf.size[axis]
    lo = max(0, -(a // j) if a < 0 else 0)
    while lo * j + a < 0:
        lo += 1
    hi = (size - r - a) // j + 1
    return lo, min(hi, rf.map_shape[axis])


def top_patches(model, layer: str, images_dir, *, k: int = 9, channels=None, max_images: int | None = None,
                batch_size: int = 32, response: str = "post_relu", device="cpu",
                recorder: CentreUnitRecorder | None = None, progress: bool = False) -> TopPatches:
    """Find the ``k`` receptive-field crops of the images in ``images_dir`` that drive each unit hardest.

    Parameters
    ----------
    model : LoadedModel
    layer : str
    images_dir : path
        An ImageNet-style folder (:class:`v1lab.images.ImageNetFolder`).
    k : int
        Patches kept per unit.
    channels : sequence of int, optional
        Default: all.
    max_images : int, optional
        Search only the first images (file-name order).
    batch_size : int
        Images per forward pass; on the CPU at most what keeps the activations within
        :data:`~v1lab.recording.memory.CPU_WORKING_SET_BYTES` (faster, and bounded memory).
    response : str
        Response mode ranked (see :mod:`v1lab.recording.layers`).
    device : str or torch.device
    """
    rec = recorder or CentreUnitRecorder(model, layer, response=response, device=device)
    chans = np.arange(rec.n_channels) if channels is None else np.asarray(channels, dtype=int).ravel()
    pre = model.preprocessing
    data = ImageNetFolder(images_dir, resize_size=pre.resize_size, crop_size=pre.input_size)
    n_img = len(data) if max_images is None else min(len(data), int(max_images))
    rf = rec.receptive_field
    (y_lo, y_hi), (x_lo, x_hi) = (_valid_range(rf, a, rec.input_shape[a]) for a in (0, 1))
    if y_hi <= y_lo or x_hi <= x_lo or n_img * (y_hi - y_lo) * (x_hi - x_lo) < k:
        raise AnalysisError(f"top_patches: layer {layer!r} has a {rf.size} px field; fewer than k={k} positions "
                            f"with the field inside the {rec.input_shape} images of {images_dir}")
    index = torch.as_tensor(chans, device=rec.device)
    best_v = torch.full((len(chans), 0), -torch.inf)
    best_i = torch.zeros((len(chans), 0), dtype=torch.long)
    wy, wx = y_hi - y_lo, x_hi - x_lo
    with torch.no_grad(), UnitCapture(model.module, layer, response, None, truncate=True) as cap:
        if rec.device.type == "cpu":  # the working-set rule applies on the CPU only: no probe elsewhere
            probe = pre.normalize(torch.full((2, 3, *rec.input_shape), 0.5, device=rec.device))
            per_image = peak_live_bytes(model.module, lambda: cap.run(probe)) // 2
            batch_size = working_set_batch(batch_size, per_image, rec.device)
        for start in tqdm(range(0, n_img, batch_size), desc=f"{layer}: top-{k} patches of {n_img} images",
                          unit="batch", disable=not progress, leave=False):
            batch = torch.stack([data[i][0] for i in range(start, min(n_img, start + batch_size))])
            fmap = cap.run(pre.normalize(batch.to(rec.device)))[:, index, y_lo:y_hi, x_lo:x_hi]
            flat = fmap.permute(1, 0, 2, 3).reshape(len(chans), -1).float().cpu()
            ids = start * wy * wx + torch.arange(flat.shape[1])
            vals = torch.cat([best_v, flat], 1)
            pick = torch.topk(vals, min(k, vals.shape[1]), dim=1).indices
            best_v = torch.gather(vals, 1, pick)
            best_i = torch.gather(torch.cat([best_i, ids.expand(len(chans), -1)], 1), 1, pick)
    img_idx, rem = best_i // (wy * wx), best_i % (wy * wx)
    rows, cols = rem // wx + y_lo, rem % wx + x_lo
    crops = _cut(rec, data, img_idx, rows, cols)  # (C, k, 3, h, w)
    grads = _gradients(rec, crops, index, batch_size)
    mean = torch.tensor(pre.mean).view(1, 1, 3, 1, 1)
    sources = pd.DataFrame({
        "channel": np.repeat(chans, best_v.shape[1]), "rank": np.tile(np.arange(best_v.shape[1]), len(chans)),
        "image": [data.samples[int(i)][0].name for i in img_idx.reshape(-1)],
        "row": rows.reshape(-1).numpy(), "col": cols.reshape(-1).numpy(), "response": best_v.reshape(-1).numpy(),
    })
    return TopPatches(layer=layer, channels=chans, sources=sources,
                      patches=(crops * 255).round().to(torch.uint8), mean_patch=crops.mean(1),
                      mean_gradient=grads.mean(1), mean_product=((crops - mean) * grads).mean(1),
                      canvas=rec.canvas, rf_box=rf_box_on_canvas(rec), n_images=n_img)


def _cut(rec, data, img_idx, rows, cols) -> torch.Tensor:
    """Crops of the recorder's box shifted to each winning position, grey outside the image."""
    y0, y1, x0, x1 = rec.crop_box
    cy, cx = rec.unit_positions[0]
    jy, jx = rec.receptive_field.jump
    size = rec.input_shape
    grey = background_display()
    out = torch.full((*img_idx.shape, 3, y1 - y0, x1 - x0), grey)
    cache = {}
    for pos in np.ndindex(*img_idx.shape):
        i = int(img_idx[pos])
        if i not in cache:
            cache = {i: data[i][0]}  # winners are mostly spread over images: keep one decoded image
        img = cache[i]
        dy, dx = (int(rows[pos]) - cy) * jy, (int(cols[pos]) - cx) * jx
        ty0, ty1, tx0, tx1 = y0 + dy, y1 + dy, x0 + dx, x1 + dx
        sy0, sy1, sx0, sx1 = max(ty0, 0), min(ty1, size[0]), max(tx0, 0), min(tx1, size[1])
        out[pos][:, sy0 - ty0:sy1 - ty0, sx0 - tx0:sx1 - tx0] = img[:, sy0:sy1, sx0:sx1]
    return out


def _gradients(rec, crops, index, batch_size) -> torch.Tensor:
    """Input gradient of each crop's own unit, ``(C, k, 3, h, w)``."""
    c, k = crops.shape[:2]
    flat = crops.reshape(c * k, *crops.shape[2:])
    chan = index.repeat_interleave(k)
    out = torch.empty_like(flat)
    for s in range(0, c * k, batch_size):
        x = flat[s:s + batch_size].to(rec.device).requires_grad_(True)
        rows = torch.arange(x.shape[0], device=rec.device)
        a = centre_responses(rec, x, rec.response)[rows, chan[s:s + batch_size]]
        (g,) = torch.autograd.grad(a.sum(), x)
        out[s:s + batch_size] = g.cpu()
    return out.reshape(crops.shape)
