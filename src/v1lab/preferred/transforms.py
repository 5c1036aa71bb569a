"""Random geometric jitter applied at every optimisation step ("transformation robustness").

Each image of the batch gets its own random translation, scale and rotation (Olah, Mordvintsev &
Schubert 2017, "Transformation robustness"; Mordvintsev, Olah & Tyka 2015): the optimum must then drive
the unit over a small neighbourhood of poses, which suppresses high-frequency adversarial patterns. The
warp is one bilinear resampling about the canvas centre (:func:`torch.nn.functional.affine_grid`);
pixels that come from outside the canvas repeat the border. All random numbers come from ``generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from v1lab.errors import AnalysisError

__all__ = ["Jitter"]


@dataclass(frozen=True)
class Jitter:
    """Ranges of the per-step random transform.

    Attributes
    ----------
    translate_px : float
        Largest shift along each axis, in pixels (uniform in ``[-t, t]``).
    scale : float
        Largest relative scale change (uniform in ``[1 - s, 1 + s]``).
    rotate_deg : float
        Largest rotation, degrees (uniform in ``[-r, r]``).
    """

    translate_px: float = 1.0
    scale: float = 0.05
    rotate_deg: float = 5.0

    def __post_init__(self):
        for name in ("translate_px", "scale", "rotate_deg"):
            value = getattr(self, name)
            if not value >= 0:
                raise AnalysisError(f"Jitter: field '{name}' is {value!r}, expected a number >= 0")
        if self.scale >= 1:
            raise AnalysisError(f"Jitter: field 'scale' is {self.scale!r}, expected a number in [0, 1)")

    @property
    def active(self) -> bool:
        return bool(self.translate_px or self.scale or self.rotate_deg)

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Warp ``images`` (N, C, H, W), each by its own random transform."""
        if not self.active:
            return images
        n, _, h, w = images.shape
        u = torch.rand(n, 4, generator=generator, dtype=torch.float64) * 2 - 1
        angle = torch.deg2rad(u[:, 0] * self.rotate_deg)
        zoom = 1.0 + u[:, 1] * self.scale
        # affine_grid maps output to input positions in [-1, 1] units (align_corners=False: 2/size per pixel)
        cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
        theta = torch.zeros(n, 2, 3, dtype=torch.float64)
        theta[:, 0, 0], theta[:, 0, 1] = cos, -sin * h / w
        theta[:, 1, 0], theta[:, 1, 1] = sin * w / h, cos
        theta[:, 0, 2] = u[:, 2] * self.translate_px * 2 / w
        theta[:, 1, 2] = u[:, 3] * self.translate_px * 2 / h
        grid = F.affine_grid(theta.to(images), list(images.shape), align_corners=False)
        return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
