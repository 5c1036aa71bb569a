"""What a stimulus image contains: dominant orientation and spatial frequency, and colour content in DKL.

Orientation and spatial frequency come from the best-fitting plane wave. For an image patch
:math:`I_c(\\mathbf{x})` (colour channel :math:`c`, pixel positions :math:`\\mathbf{x}`, weights
:math:`w(\\mathbf{x})`), the explained energy of a plane wave of frequency :math:`\\mathbf{f}` is

.. math:: E(\\mathbf{f}) = \\sum_c \\Big\\| P_{\\mathbf{f}}\\, W^{1/2} I_c \\Big\\|^2,

with :math:`P_{\\mathbf{f}}` the weighted least-squares projection onto
:math:`\\{1, \\cos 2\\pi\\mathbf{f}\\cdot\\mathbf{x}, \\sin 2\\pi\\mathbf{f}\\cdot\\mathbf{x}\\}` minus the
projection onto the constant. :math:`\\hat{\\mathbf{f}} = \\arg\\max E` is the maximum-likelihood
frequency of a single sinusoid in white noise (Rife & Boorstyn 1974, eq. 16, extended to two
dimensions and to a sum over channels); the search starts at the peak of the zero-padded periodogram
(the same estimator on a grid) and is refined by Nelder-Mead on the continuous frequency. The fraction
of the weighted variance that the wave explains, :math:`R^2 = E(\\hat{\\mathbf f}) / \\sum_c \\|W^{1/2}
(I_c - \\bar I_c)\\|^2`, says how grating-like the image is.

Orientation follows v1lab's convention: the angle of the *stripes*, counter-clockwise from horizontal as
seen on screen, in [0, 180); rows grow downward, so with the wave vector :math:`(f_x, f_y)` in the
y-up frame the stripes lie at :math:`\\operatorname{atan2}(f_y, f_x) + 90^\\circ`. Spatial frequency is
:math:`|\\mathbf f|` in cycles/pixel times ``ppd``: cycles per degree.

Colour content: each pixel's display sRGB is converted to DKL coordinates around the grey background
(:func:`v1lab.stimuli.colorimetry.srgb_to_dkl`; Derrington, Krauskopf & Lennie 1984; gamut-scaled units,
as the protocol's "contrast 1"). The energy along axis :math:`k` (luminance, L-M, S) is
:math:`e_k = \\sum_x w\\, d_k(x)^2 / \\sum_x w`. For a linear unit the L2-regularised optimum is
proportional to its weights, so :math:`\\sqrt{e_{LM} / e_{lum}}` is the stimulus-side analogue of Johnson,
Hawken & Shapley's (2001) sensitivity index (peak isoluminant over peak luminance grating response), and
is classified with the same thresholds (:class:`v1lab.classify.ClassificationCriteria`: below 0.2
luminance, above 6 colour-preferring, colour-luminance between). The *chromatic coherence*

.. math:: \\kappa = \\frac{\\big\\| \\sum_x w\\, \\mathbf c(x) \\big\\|}{\\sum_x w\\, \\|\\mathbf c(x)\\|}
    \\in [0, 1], \\qquad \\mathbf c = (d_{LM}, d_S),

(triangle inequality) is 1 when every pixel's chromatic offset from grey points the same way (one hue:
a uniform field or a single-signed blob, single-opponent-like) and near 0 for a chromatic pattern of
opposite hues that averages to grey (double-opponent-like): ``chromatic_structure`` is "uniform" for
:math:`\\kappa \\ge 1/2`, "structured" below, and "none" for luminance-class images.

References
----------
Rife, D. C., & Boorstyn, R. R. (1974). Single-tone parameter estimation from discrete-time observations.
*IEEE Transactions on Information Theory*, 20(5), 591-598.
Derrington, A. M., Krauskopf, J., & Lennie, P. (1984). Chromatic mechanisms in lateral geniculate nucleus
of macaque. *Journal of Physiology*, 357, 241-265.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from scipy.optimize import minimize

from v1lab.classify import ClassificationCriteria
from v1lab.errors import AnalysisError
from v1lab.stimuli.colorimetry import srgb_to_dkl

__all__ = ["fit_plane_wave", "measure_stimulus", "chromatic_content"]

#: Zero-padded FFT size of the periodogram that seeds the plane-wave search.
_PAD = 128


def _as_numpy(images) -> np.ndarray:
    arr = images.detach().cpu().double().numpy() if isinstance(images, torch.Tensor) else np.asarray(images, float)
    if arr.ndim != 4 or arr.shape[1] != 3:
        raise AnalysisError(f"measure_stimulus: images of shape {arr.shape}; expected (N, 3, H, W) display RGB")
    return arr


def _explained(freq, patch, coords, sw):
    """Weighted explained energy of the plane wave ``freq`` (cycles/px) for ``patch`` (C, P) around its mean."""
    phase = 2 * np.pi * (coords @ freq)
    basis = np.stack([np.cos(phase), np.sin(phase)], axis=1) * sw[:, None]
    basis -= np.outer(sw, sw @ basis) / (sw @ sw)  # orthogonal to the (weighted) constant
    coef, *_ = np.linalg.lstsq(basis, patch.T, rcond=None)
    return float(np.sum((basis @ coef) ** 2))


def fit_plane_wave(patch: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float, float]:
    """Maximum-likelihood plane wave of a multi-channel patch (see the module notes).

    Parameters
    ----------
    patch : ndarray (C, H, W)
        Channels (e.g. display R, G, B) of one image.
    weights : ndarray (H, W), optional
        Non-negative pixel weights (default: all 1).

    Returns
    -------
    orientation_deg : float
        Stripe orientation, degrees counter-clockwise from horizontal, in [0, 180).
    frequency_cpp : float
        Spatial frequency, cycles per pixel.
    r2 : float
        Fraction of the weighted variance explained by the wave (0 for a uniform patch).
    """
    c, h, w = patch.shape
    wts = np.ones((h, w)) if weights is None else np.asarray(weights, float)
    sw = np.sqrt(wts).ravel()
    ys, xs = np.mgrid[0:h, 0:w]
    coords = np.stack([xs.ravel() - (w - 1) / 2, (h - 1) / 2 - ys.ravel()], axis=1)  # x right, y up
    flat = patch.reshape(c, -1)
    mean = (flat * wts.ravel()).sum(1, keepdims=True) / wts.sum()
    centred = (flat - mean) * sw
    total = float(np.sum(centred**2))
    if total <= 1e-20:
        return float("nan"), float("nan"), 0.0
    spec = np.abs(np.fft.fft2(centred.reshape(c, h, w) * 1.0, s=(_PAD, _PAD))) ** 2
    power = spec.sum(0)
    power[0, 0] = 0.0
    iy, ix = np.unravel_index(np.argmax(power), power.shape)
    fy_rows, fx = np.fft.fftfreq(_PAD)[iy], np.fft.fftfreq(_PAD)[ix]
    start = np.array([fx, -fy_rows])  # rows grow downward: flip to the y-up frame
    res = minimize(lambda f: -_explained(f, centred, coords, sw), start, method="Nelder-Mead",
                   options={"xatol": 1e-5, "fatol": 1e-10 * total, "initial_simplex":
                            np.array([start, start + [0.5 / _PAD, 0], start + [0, 0.5 / _PAD]])})
    fx, fy = res.x
    orientation = (np.degrees(np.arctan2(fy, fx)) + 90.0) % 180.0
    return float(orientation), float(np.hypot(fx, fy)), min(1.0, -float(res.fun) / total)


def chromatic_content(images, weights: np.ndarray | None = None,
                      criteria: ClassificationCriteria | None = None) -> pd.DataFrame:
    """DKL energies, colour class and chromatic coherence of display images (see the module notes).

    Returns one row per image: ``lum_energy``, ``lm_energy``, ``s_energy`` (weighted mean squared DKL
    coordinate), ``lm_lum_ratio`` (:math:`\\sqrt{e_{LM}/e_{lum}}`), ``color_class``,
    ``chromatic_coherence`` (:math:`\\kappa`) and ``chromatic_structure``.
    """
    c = criteria or ClassificationCriteria()
    arr = _as_numpy(images)
    n, _, h, w = arr.shape
    wts = (np.ones((h, w)) if weights is None else np.asarray(weights, float)).ravel()
    dkl = srgb_to_dkl(np.clip(arr, 0.0, 1.0).transpose(0, 2, 3, 1)).reshape(n, h * w, 3)
    energy = np.einsum("p,npk->nk", wts, dkl**2) / wts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.sqrt(energy[:, 1] / energy[:, 0])
        chrom = dkl[:, :, 1:]
        kappa = (np.linalg.norm(np.einsum("p,npk->nk", wts, chrom), axis=1)
                 / np.einsum("p,np->n", wts, np.linalg.norm(chrom, axis=2)))
    color_class = np.where(ratio < c.luminance_max_ratio, "luminance",
                           np.where(ratio > c.colour_preferring_min_ratio, "colour-preferring", "colour-luminance"))
    color_class = np.where(np.isnan(ratio), "unresponsive", color_class)
    structure = np.where(kappa >= 0.5, "uniform", "structured")
    structure = np.where(np.isin(color_class, ["luminance", "unresponsive"]) | np.isnan(kappa), "none", structure)
    return pd.DataFrame({
        "lum_energy": energy[:, 0], "lm_energy": energy[:, 1], "s_energy": energy[:, 2],
        "lm_lum_ratio": ratio, "color_class": color_class,
        "chromatic_coherence": kappa, "chromatic_structure": structure,
    })


def measure_stimulus(images, ppd: float, *, weights: np.ndarray | None = None,
                     criteria: ClassificationCriteria | None = None) -> pd.DataFrame:
    """Orientation, spatial frequency and colour content of display images ``(N, 3, H, W)``.

    Parameters
    ----------
    images : Tensor or ndarray (N, 3, H, W)
        Display sRGB in [0, 1] (e.g. optimised stimuli on the receptive-field canvas).
    ppd : float
        Pixels per degree of visual angle.
    weights : ndarray (H, W), optional
        Pixel weights for every measure (default uniform over the canvas).
    criteria : ClassificationCriteria, optional
        Colour-class thresholds (default: the cited defaults).

    Returns
    -------
    DataFrame
        One row per image: ``orientation_deg`` (stripes, [0, 180)), ``sf_cpd`` (cycles/degree),
        ``grating_r2`` (variance explained by the plane wave) and the columns of
        :func:`chromatic_content`.

    Examples
    --------
    >>> import numpy as np
    >>> y, x = np.mgrid[0:32, 0:32]
    >>> bars = 0.5 + 0.3 * np.cos(2 * np.pi * y / 8.0)  # horizontal stripes, 8 px period
    >>> row = measure_stimulus(np.broadcast_to(bars, (1, 3, 32, 32)), ppd=28.0).iloc[0]
    >>> round(row.orientation_deg % 180) in (0, 180), round(row.sf_cpd, 2)
    (True, 3.5)
    """
    if not ppd > 0:
        raise AnalysisError(f"measure_stimulus: field 'ppd' is {ppd!r}, expected a positive number")
    arr = _as_numpy(images)
    fits = [fit_plane_wave(img, weights) for img in arr]
    out = pd.DataFrame({
        "orientation_deg": [f[0] for f in fits],
        "sf_cpd": [f[1] * ppd for f in fits],
        "grating_r2": [f[2] for f in fits],
    })
    return pd.concat([out, chromatic_content(arr, weights, criteria)], axis=1)
