"""Image parameterisation for activation maximisation: a Fourier-space image with decorrelated colour.

Following Olah, Mordvintsev & Schubert (2017, "Preconditioning and parameterization"), the optimised
variable is a complex spectrum :math:`\\hat z_c(\\mathbf k)` per decorrelated colour channel, scaled by
:math:`1 / \\max(|\\mathbf k|, 1/\\max(h, w))` (cycles/pixel) so that gradient steps are whitened with
respect to the roughly :math:`1/f` amplitude spectrum of natural images. The spatial image
:math:`z = \\mathcal F^{-1}[\\hat z] / 4` is mapped to colour by the fixed matrix ``COLOR_CORRELATION``
(the square root of the RGB covariance of ImageNet used by lucid, normalised by its largest column norm)
and squashed to display values by a logistic function centred on the background grey:

.. math:: x = \\sigma\\big(\\operatorname{logit}(g) + \\rho\\, \\frac{M z}{\\operatorname{rms}(M z)}\\big),

so every image is a valid display image in (0, 1) around the grey background :math:`g` (display value).
With ``rms`` :math:`\\rho` set, the image has a fixed RMS contrast in logit units (display RMS about
:math:`g(1-g)\\rho`): the optimum of a *linear* unit is then exactly proportional to its weights, the
classical optimal stimulus at fixed contrast energy, instead of the saturated sign pattern that a box
constraint alone gives; with ``rms=None`` the logit image is :math:`M z` itself (lucid's form).

References
----------
Olah, C., Mordvintsev, A., & Schubert, L. (2017). Feature visualization. *Distill*, 2(11), e7.
https://doi.org/10.23915/distill.00007 ; the matrix is ``color_correlation_svd_sqrt`` of
``lucid.optvis.param.color`` (tensorflow/lucid, Apache-2.0).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["COLOR_CORRELATION", "FourierImage"]

#: Square root of ImageNet's RGB colour covariance (lucid's ``color_correlation_svd_sqrt``).
COLOR_CORRELATION = torch.tensor([[0.26, 0.09, 0.02],
                                  [0.27, 0.00, -0.05],
                                  [0.27, -0.09, 0.03]], dtype=torch.float64)


class FourierImage(nn.Module):
    """A batch of ``n`` images of ``height`` x ``width`` pixels parameterised in Fourier space.

    Parameters
    ----------
    n, height, width : int
        Batch size and image size in pixels.
    background : float
        Display value (in (0, 1)) of the grey that the zero parameter renders.
    generator : torch.Generator
        Seeds the initial spectrum (normal, standard deviation ``init_std``).
    init_std : float
        Standard deviation of the initial spectral coefficients.
    rms : float or None
        Fixed RMS of the logit-space image over each image's pixels and channels (see the module notes).
    """

    def __init__(self, n: int, height: int, width: int, *, background: float, generator: torch.Generator,
                 init_std: float = 0.01, rms: float | None = 0.5):
        super().__init__()
        self.size = (int(height), int(width))
        fy = torch.fft.fftfreq(self.size[0], dtype=torch.float64)[:, None]
        fx = torch.fft.rfftfreq(self.size[1], dtype=torch.float64)[None, :]
        freq = torch.sqrt(fx**2 + fy**2)
        scale = 1.0 / torch.clamp(freq, min=1.0 / max(self.size))
        self.register_buffer("scale", scale.float())
        shape = (n, 3, *scale.shape, 2)
        self.spectrum = nn.Parameter((init_std * torch.randn(shape, generator=generator, dtype=torch.float64)).float())
        colour = COLOR_CORRELATION / COLOR_CORRELATION.norm(dim=0).max()
        self.register_buffer("colour", colour.float())
        self.offset = math.log(background / (1.0 - background))
        self.rms = rms

    def forward(self) -> torch.Tensor:
        """Display images ``(n, 3, height, width)`` in (0, 1)."""
        spec = torch.view_as_complex(self.spectrum) * self.scale
        z = torch.fft.irfft2(spec, s=self.size) / 4.0
        rgb = torch.einsum("ij,njhw->nihw", self.colour, z)
        if self.rms is not None:
            rgb = rgb * (self.rms / rgb.pow(2).mean(dim=(1, 2, 3), keepdim=True).add(1e-12).sqrt())
        return torch.sigmoid(rgb + self.offset)
