"""Activation maximisation: the preferred (or most suppressive) stimulus of every centre unit of a layer.

All units of a layer are optimised together, in one batch: image :math:`i` drives channel :math:`c_i`,
and the objective is the sum over the batch of

.. math:: L_i = -s\\, a_{c_i}(T_i(x_i)) + \\lambda_2 \\,\\overline{(x_i - g)^2}
          + \\lambda_{TV}\\, \\overline{\\big((\\partial_x x_i)^2 + (\\partial_y x_i)^2 + \\epsilon\\big)^{\\beta/2}},

with :math:`s = +1` (preferred) or :math:`-1` (negative stimulus), :math:`a_c` the centre unit's
pre-rectification response (``"pre_relu"`` mode of :mod:`v1lab.recording.layers`, so that the negative
stimulus has a gradient where a ReLU output would be 0), :math:`T_i` a random jitter
(:mod:`v1lab.preferred.transforms`), :math:`g` the grey background, and bars denoting means over pixels
and channels. The second term is the :math:`\\alpha`-norm regulariser and the third the total-variation
regulariser :math:`R_{V^\\beta}` of Mahendran & Vedaldi (2015, eqs. 4-5; here :math:`\\alpha = 2`). The
images :math:`x_i` live on the recorder's crop canvas (the receptive field of the centre unit, exact),
parameterised as in :mod:`v1lab.preferred.parameterisation`, and are updated with Adam (Kingma & Ba 2015).

References
----------
Erhan, D., Bengio, Y., Courville, A., & Vincent, P. (2009). Visualizing higher-layer features of a deep
network. Technical report 1341, Université de Montréal.
Mahendran, A., & Vedaldi, A. (2015). Understanding deep image representations by inverting them. CVPR.
Olah, C., Mordvintsev, A., & Schubert, L. (2017). Feature visualization. *Distill*, 2(11), e7.
Kobayashi, G., & Shouno, H. (2020). Interpretation of ResNet by visualization of preferred stimulus in
receptive fields. arXiv:2006.01645.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from v1lab.errors import AnalysisError
from v1lab.preferred._drive import centre_responses, rf_box_on_canvas
from v1lab.preferred.parameterisation import FourierImage
from v1lab.preferred.transforms import Jitter
from v1lab.recording import CentreUnitRecorder
from v1lab.stimuli.geometry import Geometry
from v1lab.stimuli.colorimetry import REFERENCE_GREY, encode_srgb

__all__ = ["PreferredResult", "optimise_preferred", "background_display"]


def background_display() -> float:
    """Display value of the grey background (linear RGB ``REFERENCE_GREY``, sRGB-encoded)."""
    return float(encode_srgb(torch.tensor(REFERENCE_GREY, dtype=torch.float64)))


@dataclass(frozen=True)
class PreferredResult:
    """Optimised stimuli of the centre units of one layer.

    Attributes
    ----------
    layer : str
    channels : ndarray of int (C,)
        Channel of each image.
    images : Tensor (C, 3, H, W)
        Display RGB in (0, 1) on :attr:`canvas` (CPU, float32).
    activations : Tensor (C,)
        Response of each unit to its image, in the recorder's response mode (no jitter).
    canvas : Geometry
        The crop canvas the images are drawn on (stimulus centre = receptive-field centre).
    rf_box : (int, int, int, int)
        ``(y0, y1, x0, x1)``, half-open: the centre unit's receptive field on the canvas.
    negative : bool
        True for the most suppressive stimuli.
    params : dict
        Every setting of the run (steps, lr, seed, penalties, jitter, response modes).
    """

    layer: str
    channels: np.ndarray
    images: torch.Tensor
    activations: torch.Tensor
    canvas: Geometry
    rf_box: tuple[int, int, int, int]
    negative: bool
    params: dict = field(default_factory=dict)

    def rf_weights(self) -> np.ndarray:
        """``(H, W)`` array, 1 inside the receptive field and 0 outside (weights for measurement)."""
        w = np.zeros((self.canvas.height_px, self.canvas.width_px))
        y0, y1, x0, x1 = self.rf_box
        w[y0:y1, x0:x1] = 1.0
        return w


def _total_variation(x: torch.Tensor, beta: float, eps: float = 1e-8) -> torch.Tensor:
    dx = x[..., :-1, 1:] - x[..., :-1, :-1]
    dy = x[..., 1:, :-1] - x[..., :-1, :-1]
    return ((dx**2 + dy**2 + eps) ** (beta / 2)).mean(dim=(1, 2, 3))


def optimise_preferred(model, layer: str, *, channels=None, steps: int = 256, lr: float = 0.05,
                       negative: bool = False, seed: int = 0, device="cpu", l2: float = 0.0, tv: float = 0.0,
                       tv_beta: float = 1.0, rms: float | None = 0.25, jitter: Jitter | None = None,
                       response: str = "post_relu",
                       ppd: float = 28.0, recorder: CentreUnitRecorder | None = None,
                       progress: bool = False) -> PreferredResult:
    """Optimise one image per channel so that it drives (or suppresses) the layer's centre unit.

    Parameters
    ----------
    model : LoadedModel
        Network and preprocessing (:func:`v1lab.models.load_model`).
    layer : str
        Dotted layer name.
    channels : sequence of int, optional
        Channels to optimise (default all), all in one batch.
    steps : int
        Adam steps.
    lr : float
        Adam learning rate on the spectral parameters.
    negative : bool
        Minimise instead of maximise (most suppressive stimulus).
    seed : int
        Seeds the initial images and the jitter: same seed, same images.
    device : str or torch.device
        Where the network runs.
    l2, tv, tv_beta : float
        Weights of the L2 and total-variation penalties and the TV exponent (see the module notes).
    rms : float or None
        Fixed RMS contrast of each image in logit units (:class:`~v1lab.preferred.parameterisation.FourierImage`);
        None leaves the contrast free (bounded only by the display range).
    jitter : Jitter, optional
        Per-step random transform; default: translation ``round(canvas / 50)`` px, 5 % scale, 5 degrees.
    response : str
        Response mode reported in :attr:`PreferredResult.activations`.
    ppd : float
        Pixels per degree of the canvas.
    progress : bool
        Draw a progress bar over the steps.
    recorder : CentreUnitRecorder, optional
        Reuse an existing recorder for ``model`` and ``layer``.

    Returns
    -------
    PreferredResult
    """
    if int(steps) < 1:
        raise AnalysisError(f"optimise_preferred: field 'steps' is {steps!r}, expected an integer >= 1")
    rec = recorder or CentreUnitRecorder(model, layer, response=response, device=device, ppd=ppd)
    chans = np.arange(rec.n_channels) if channels is None else np.asarray(channels, dtype=int).ravel()
    if chans.size == 0 or chans.min() < 0 or chans.max() >= rec.n_channels:
        raise AnalysisError(f"optimise_preferred: field 'channels' is {chans.tolist()!r}, expected indices "
                            f"in [0, {rec.n_channels}) of layer {layer!r}")
    h, w = rec.canvas_shape
    if jitter is None:
        jitter = Jitter(translate_px=float(round(max(h, w) / 50)), scale=0.05, rotate_deg=5.0)
    gen = torch.Generator().manual_seed(int(seed))
    grey = background_display()
    param = FourierImage(len(chans), h, w, background=grey, generator=gen, rms=rms).to(rec.device)
    opt = torch.optim.Adam(param.parameters(), lr=lr)
    index = torch.as_tensor(chans, device=rec.device)
    rows = torch.arange(len(chans), device=rec.device)
    sign = -1.0 if negative else 1.0
    desc = f"{layer}: {'minimising' if negative else 'maximising'} ({len(chans)} units)"
    for _ in tqdm(range(int(steps)), desc=desc, unit="step", disable=not progress, leave=False):
        opt.zero_grad(set_to_none=True)
        images = param()
        drive = centre_responses(rec, jitter(images, gen), "pre_relu")[rows, index]
        loss = -sign * drive
        if l2:
            loss = loss + l2 * ((images - grey) ** 2).mean(dim=(1, 2, 3))
        if tv:
            loss = loss + tv * _total_variation(images, tv_beta)
        loss.sum().backward()
        opt.step()
    with torch.no_grad():
        final = param().float()
    acts = rec.record(final)[torch.arange(len(chans)), torch.as_tensor(chans)]
    params = {"steps": int(steps), "lr": lr, "seed": int(seed), "l2": l2, "tv": tv, "rms": rms, "tv_beta": tv_beta,
              "jitter": asdict(jitter), "objective": "pre_relu", "response": rec.response,
              "parameterisation": "fourier+decorrelated colour", "background_display": grey}
    return PreferredResult(layer=layer, channels=chans, images=final.cpu(), activations=acts,
                           canvas=rec.canvas, rf_box=rf_box_on_canvas(rec), negative=bool(negative),
                           params=params)
