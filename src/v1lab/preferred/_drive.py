"""Differentiable centre-unit responses on the recorder's crop (the recorder itself records without grad).

The crop, the unit's position in the cropped network and the truncation are those of
:class:`v1lab.recording.CentreUnitRecorder` (exact: the cropped network computes the same numbers as the
full image, see :mod:`v1lab.recording.recorder`); only the autograd graph is kept here.
"""

from __future__ import annotations

import torch

from v1lab.recording import CentreUnitRecorder
from v1lab.recording.capture import UnitCapture

__all__ = ["centre_responses", "rf_box_on_canvas"]


def centre_responses(recorder: CentreUnitRecorder, images: torch.Tensor, response: str) -> torch.Tensor:
    """Responses ``(N, C)`` of the centre unit to display images on ``recorder.canvas``, with gradients.

    ``images`` must already be on ``recorder.device``; ``response`` is a response mode of
    :mod:`v1lab.recording.layers`.
    """
    y0, _, x0, _ = recorder.crop_box
    jy, jx = recorder.receptive_field.jump
    (cy, cx), = recorder.unit_positions[:1]
    position = [(cy - y0 // jy, cx - x0 // jx)]
    x = recorder.model.preprocessing.normalize(images)
    with UnitCapture(recorder.model.module, recorder.layer, response, position, truncate=True,
                     keep_graph=True) as cap:
        return cap.run(x)[:, 0]


def rf_box_on_canvas(recorder: CentreUnitRecorder) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)``, half-open: the centre unit's receptive field on the canvas, clipped to it."""
    rf = recorder.receptive_field
    sy0, sy1, sx0, sx1 = rf.span(*rf.centre_index)
    cy0, _, cx0, _ = recorder.crop_box
    h, w = recorder.canvas_shape
    return (max(0, sy0 - cy0), min(h, sy1 - cy0), max(0, sx0 - cx0), min(w, sx1 - cx0))
