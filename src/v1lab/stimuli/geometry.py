"""Where a stimulus lies on the canvas: pixels per degree and the stimulus centre in pixel coordinates.

Pixel ``i`` spans ``[i - 0.5, i + 0.5]`` (pixel-centre coordinates), rows grow downwards. Stimuli are drawn
in visual degrees relative to the centre, with ``x`` to the right and ``y`` *upwards* on screen, so a pixel's
value depends only on its position relative to the centre, never on the canvas size: the same stimulus drawn
on two crops of a canvas, with the centre placed consistently, gives the same pixels where the crops overlap.
"""

from dataclasses import dataclass

import torch

from v1lab.errors import StimulusError

__all__ = ["DEFAULT_PPD", "Geometry", "subpixel_coordinates"]

#: The network's 224-pixel input spans 8 degrees of visual angle, as in the Brain-Score V1 benchmarks
#: (Marques, Schrimpf & DiCarlo 2021), so 224 / 8 = 28 pixels per degree.
DEFAULT_PPD = 28.0


@dataclass(frozen=True)
class Geometry:
    """A canvas of ``height_px`` x ``width_px`` pixels with the stimulus centre at (``centre_y_px``, ``centre_x_px``).

    Parameters
    ----------
    height_px, width_px : int
        Canvas size, in pixels.
    centre_y_px, centre_x_px : float
        Stimulus centre in pixel-centre coordinates (row, column; pixel ``i`` spans ``[i - 0.5, i + 0.5]``),
        may be fractional: the centre of an even-sized canvas is at ``(n - 1) / 2``.
    ppd : float
        Pixels per degree of visual angle.
    """

    height_px: int
    width_px: int
    centre_y_px: float
    centre_x_px: float
    ppd: float = DEFAULT_PPD

    def __post_init__(self):
        for name in ("height_px", "width_px"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise StimulusError(f"Geometry: field '{name}' is {value!r}, expected a positive integer")
        if not self.ppd > 0:
            raise StimulusError(f"Geometry: field 'ppd' is {self.ppd!r}, expected a positive number")

    @classmethod
    def centred(cls, size_px: int, ppd: float = DEFAULT_PPD) -> "Geometry":
        """A square canvas of ``size_px`` pixels with the stimulus centre at its middle."""
        return cls(size_px, size_px, (size_px - 1) / 2, (size_px - 1) / 2, ppd)


def subpixel_coordinates(geometry: Geometry, supersample: int, *, device,
                         dtype) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Positions, in degrees relative to the stimulus centre, of ``supersample`` x ``supersample`` points per pixel.

    The points sit at the centres of a regular sub-grid of each pixel (offsets ``(k + 1/2) / s - 1/2`` pixel,
    ``k = 0..s-1``, on each axis), so averaging a pattern over them approximates its area integral over the
    pixel (box-filter anti-aliasing). They are returned one sub-grid offset at a time, so a pattern is drawn at
    the canvas's own resolution ``s**2`` times and summed, never held at ``s`` times the resolution.

    Returns
    -------
    x_deg : list of ``s`` Tensors (1, W)
        Horizontal position of each pixel's ``k``-th sub-column, degrees, positive to the right.
    y_deg : list of ``s`` Tensors (H, 1)
        Vertical position of each pixel's ``k``-th sub-row, degrees, positive *upwards* (row index grows
        downwards).
    """
    s = int(supersample)
    if s < 1:
        raise StimulusError(f"render: field 'supersample' is {supersample!r}, expected an integer >= 1")
    # float64 on the CPU (every backend has it), then moved: positions are exact whatever the device
    offsets = (torch.arange(s, dtype=torch.float64) + 0.5) / s - 0.5
    cols = torch.arange(geometry.width_px, dtype=torch.float64)[None, :] + offsets[:, None]
    rows = torch.arange(geometry.height_px, dtype=torch.float64)[None, :] + offsets[:, None]
    x = ((cols - geometry.centre_x_px) / geometry.ppd).to(device=device, dtype=dtype)
    y = ((geometry.centre_y_px - rows) / geometry.ppd).to(device=device, dtype=dtype)
    return [row[None, :] for row in x], [col[:, None] for col in y]
