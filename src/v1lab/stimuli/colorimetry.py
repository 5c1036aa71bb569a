"""Colour spaces of a calibrated sRGB display: display sRGB, linear RGB, cone excitations (LMS) and DKL.

Chain (all linear except the first step)::

    display sRGB --(sRGB transfer function, IEC 61966-2-1)--> linear RGB
    linear RGB --(sRGB primaries and D65 white, IEC 61966-2-1)--> XYZ
    XYZ --(inverse of the CIE 2006 LMS -> XYZ relation, CIE 170-2:2015)--> LMS (Stockman & Sharpe 2000)
    LMS --(cone contrast around the grey background, DKL axes)--> DKL (Derrington, Krauskopf & Lennie 1984)

The sRGB primaries are defined by chromaticities, not spectra, so the RGB -> LMS matrix cannot be obtained by
integrating primary spectra against the cone fundamentals. We take the sRGB -> XYZ matrix from ``colour`` and
map XYZ to LMS with the CIE 2006 physiologically based relation ``xyz = C @ lms``, where ``C`` is recovered by
least squares from colour's tabulated Stockman & Sharpe (2000) 2-degree cone fundamentals and the CIE 2015
2-degree XYZ functions built from them (CIE 170-2:2015: ``x = 1.94735469 l - 1.41445123 m + 0.36476327 s``,
``y = 0.68990272 l + 0.34832189 m``, ``z = 1.93485343 s``; the fit reproduces these to 1e-7). This treats the
sRGB XYZ (CIE 1931) as CIE 2006 XYZ, the only approximation in the chain; in exchange, luminance is exactly
``Y = 0.68990272 L + 0.34832189 M`` (Stockman & Sharpe's V*), so an isoluminant stimulus is isoluminant both
for the cones and for the CIE Y of the display.

DKL coordinates (documented with equations in ``docs/stimuli.md``): with cone contrasts
``c = (lms - lms0) / lms0`` around the grey background ``lms0``, the three cardinal stimulus directions are

* luminance ``e_lum = (1, 1, 1)`` (equal contrast in all cones: silences both chromatic mechanisms),
* L-M ``e_rg = (M0', -L0', 0) / (L0' + M0')`` with ``L0' = 0.68990272 L0``, ``M0' = 0.34832189 M0``
  (``dY = 0``, ``dS = 0``; a unit step is an L-minus-M cone-contrast difference of 1),
* S ``e_s = (0, 0, 1)`` (S-cone isolating: silences luminance and L-M),

each scaled by ``k`` = the largest modulation along it inside the sRGB gamut around the reference grey
(linear RGB 0.5), as Derrington et al. (1984) scaled their axes to the display's maximum. A DKL point
``(lum, rg, s)`` has cone contrast ``c = lum k_lum e_lum + rg k_rg e_rg + s k_s e_s``; azimuth ``az`` and elevation
``el`` (degrees) give ``(lum, rg, s) = (sin el, cos el cos az, cos el sin az)``: az 0 = +L-M ("red"),
az 90 = +S ("violet"), el 90 = luminance increment.

Cone-isolating directions: the DKL direction of the cone-contrast vector ``e_L = (1, 0, 0)`` (or ``e_M``,
``e_S``) is ``dkl = B^-1 e`` with ``B`` the scaled basis above, and its angles follow from
``(lum, rg, s) / |(lum, rg, s)|`` (:func:`cone_isolating_direction`); S-isolating is az 90, el 0.
"""

import colour
import numpy as np
import torch

from v1lab.errors import GamutError, StimulusError

__all__ = [
    "REFERENCE_GREY",
    "LMS_TO_XYZ",
    "RGB_TO_XYZ",
    "RGB_TO_LMS",
    "LMS_TO_RGB",
    "LUMINANCE_WEIGHTS",
    "DKL_SCALE",
    "encode_srgb",
    "decode_srgb",
    "luminance",
    "background_rgb",
    "dkl_direction",
    "cone_isolating_direction",
    "dkl_to_cone_contrast",
    "cone_contrast_to_dkl",
    "srgb_to_dkl",
    "dkl_to_srgb",
    "modulation_rgb",
]

#: Linear-light grey that the DKL axes are normalised around (and the default background).
REFERENCE_GREY = 0.5


def _lms_to_xyz() -> np.ndarray:
    """CIE 2006 LMS -> XYZ matrix, fitted to colour's tabulated functions with the CIE 170-2 structure."""
    cones = colour.MSDS_CMFS["Stockman & Sharpe 2 Degree Cone Fundamentals"]
    xyz = colour.MSDS_CMFS["CIE 2015 2 Degree Standard Observer"]
    wl = np.intersect1d(cones.wavelengths, xyz.wavelengths)
    lms, cmf = np.asarray(cones[wl]), np.asarray(xyz[wl])
    x = np.linalg.lstsq(lms, cmf[:, 0], rcond=None)[0]
    y = np.linalg.lstsq(lms[:, :2], cmf[:, 1], rcond=None)[0]
    z = np.linalg.lstsq(lms[:, 2:], cmf[:, 2], rcond=None)[0]
    return np.array([x, [y[0], y[1], 0.0], [0.0, 0.0, z[0]]])


LMS_TO_XYZ = _lms_to_xyz()
RGB_TO_XYZ = np.asarray(colour.RGB_COLOURSPACES["sRGB"].matrix_RGB_to_XYZ, dtype=np.float64)
RGB_TO_LMS = np.linalg.solve(LMS_TO_XYZ, RGB_TO_XYZ)
LMS_TO_RGB = np.linalg.inv(RGB_TO_LMS)
#: ``Y = LUMINANCE_WEIGHTS @ lms`` (the L and M weights of Stockman & Sharpe's V*, S weight 0).
LUMINANCE_WEIGHTS = LMS_TO_XYZ[1].copy()


def encode_srgb(linear: torch.Tensor) -> torch.Tensor:
    """sRGB transfer function (IEC 61966-2-1): linear light in [0, 1] -> display value in [0, 1].

    ``V = 12.92 L`` for ``L <= 0.0031308``, else ``V = 1.055 L^(1/2.4) - 0.055``.
    """
    lin = linear.clamp(min=0.0)
    return torch.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin.clamp(min=0.0031308) ** (1 / 2.4) - 0.055)


def decode_srgb(display: torch.Tensor) -> torch.Tensor:
    """Inverse sRGB transfer function: display value -> linear light (``L = V / 12.92`` for ``V <= 0.04045``)."""
    v = display.clamp(min=0.0)
    return torch.where(v <= 0.04045, v / 12.92, ((v.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4)


def luminance(rgb_linear: np.ndarray) -> np.ndarray:
    """CIE Y (white = 1) of linear RGB values ``(..., 3)``."""
    return np.asarray(rgb_linear, dtype=np.float64) @ RGB_TO_XYZ[1]


def background_rgb(mean_luminance: float) -> np.ndarray:
    """Linear RGB of the grey (D65 chromaticity) background with CIE Y ``mean_luminance`` (white = 1)."""
    return np.full(3, float(mean_luminance))


def _cardinal_directions(lms0: np.ndarray) -> np.ndarray:
    """Unscaled cone-contrast directions (columns: luminance, L-M, S) around background cones ``lms0``."""
    lw, mw = LUMINANCE_WEIGHTS[0] * lms0[0], LUMINANCE_WEIGHTS[1] * lms0[1]
    return np.array([[1.0, mw / (lw + mw), 0.0],
                     [1.0, -lw / (lw + mw), 0.0],
                     [1.0, 0.0, 1.0]])


def _gamut_limit(delta_rgb: np.ndarray, rgb0: np.ndarray) -> np.ndarray:
    """Largest ``t`` with ``rgb0 +- t * delta_rgb`` inside [0, 1]^3; ``delta_rgb`` is ``(..., 3)``."""
    room = np.minimum(rgb0, 1.0 - rgb0)
    with np.errstate(divide="ignore"):
        per_channel = np.where(np.abs(delta_rgb) > 0, room / np.abs(delta_rgb), np.inf)
    return per_channel.min(axis=-1)


def _dkl_scale() -> np.ndarray:
    rgb0 = background_rgb(REFERENCE_GREY)
    lms0 = RGB_TO_LMS @ rgb0
    dirs = _cardinal_directions(lms0)
    delta_rgb = (LMS_TO_RGB @ (lms0[:, None] * dirs)).T
    return _gamut_limit(delta_rgb, rgb0)


#: Gamut maxima ``(k_lum, k_rg, k_s)`` of the three cardinal directions around the reference grey.
DKL_SCALE = _dkl_scale()


def _basis(mean_luminance: float) -> tuple[np.ndarray, np.ndarray]:
    """``(lms0, B)`` with cone contrast ``c = B @ dkl`` around the grey of ``mean_luminance``."""
    lms0 = RGB_TO_LMS @ background_rgb(mean_luminance)
    return lms0, _cardinal_directions(lms0) * DKL_SCALE[None, :]


def dkl_direction(azimuth_deg, elevation_deg) -> np.ndarray:
    """Unit DKL vectors ``(..., 3)`` = ``(lum, rg, s)`` for azimuth and elevation in degrees."""
    az, el = np.deg2rad(np.asarray(azimuth_deg, float)), np.deg2rad(np.asarray(elevation_deg, float))
    return np.stack([np.sin(el), np.cos(el) * np.cos(az), np.cos(el) * np.sin(az)], axis=-1)


def cone_isolating_direction(cone: str) -> tuple[float, float]:
    """DKL ``(azimuth_deg, elevation_deg)`` of the increment of one cone class alone.

    The cone-contrast vector ``e`` (``(1, 0, 0)`` for ``"L"``, ``(0, 1, 0)`` for ``"M"``, ``(0, 0, 1)`` for
    ``"S"``) has DKL point ``(lum, rg, s) = B^-1 e``; the direction's angles are
    ``az = atan2(s, rg) mod 360`` and ``el = atan2(lum, sqrt(rg^2 + s^2))`` (degrees). The basis ``B`` does not
    depend on the grey background (cone contrasts are relative to it), so neither do the angles.

    Examples
    --------
    >>> [round(a, 4) for a in cone_isolating_direction("L")]
    [350.2029, 8.3274]
    >>> cone_isolating_direction("S")
    (90.0, 0.0)
    """
    if cone not in ("L", "M", "S"):
        raise StimulusError(f"cone_isolating_direction: field 'cone' is {cone!r}, expected 'L', 'M' or 'S'")
    lum, rg, s = cone_contrast_to_dkl(np.eye(3)["LMS".index(cone)])
    azimuth = float(np.rad2deg(np.arctan2(s, rg)) % 360.0)
    return (0.0 if azimuth == 360.0 else azimuth), float(np.rad2deg(np.arctan2(lum, np.hypot(rg, s))))


def dkl_to_cone_contrast(dkl: np.ndarray, mean_luminance: float = REFERENCE_GREY) -> np.ndarray:
    """Cone contrasts ``(dL/L0, dM/M0, dS/S0)`` of DKL points ``(..., 3)``."""
    return np.asarray(dkl, float) @ _basis(mean_luminance)[1].T


def cone_contrast_to_dkl(contrast: np.ndarray, mean_luminance: float = REFERENCE_GREY) -> np.ndarray:
    """DKL points of cone contrasts ``(..., 3)`` (inverse of :func:`dkl_to_cone_contrast`)."""
    return np.linalg.solve(_basis(mean_luminance)[1], np.asarray(contrast, float)[..., None])[..., 0]


def srgb_to_dkl(srgb: np.ndarray, mean_luminance: float = REFERENCE_GREY) -> np.ndarray:
    """Display sRGB ``(..., 3)`` -> DKL coordinates around the grey of ``mean_luminance``."""
    rgb = colour.cctf_decoding(np.asarray(srgb, float), function="sRGB")
    lms0 = _basis(mean_luminance)[0]
    return cone_contrast_to_dkl((rgb @ RGB_TO_LMS.T - lms0) / lms0, mean_luminance)


def dkl_to_srgb(dkl: np.ndarray, mean_luminance: float = REFERENCE_GREY) -> np.ndarray:
    """DKL coordinates ``(..., 3)`` -> display sRGB (raises :class:`GamutError` outside [0, 1])."""
    lms0 = _basis(mean_luminance)[0]
    rgb = (lms0 * (1.0 + dkl_to_cone_contrast(dkl, mean_luminance))) @ LMS_TO_RGB.T
    worst = float(np.max(np.maximum(-rgb, rgb - 1.0)))
    if worst > 1e-12:
        raise GamutError(f"dkl_to_srgb: field 'dkl' lies outside the sRGB gamut by {worst:.4g} in linear RGB, "
                         f"expected linear RGB in [0, 1]")
    return colour.cctf_encoding(np.clip(rgb, 0.0, 1.0), function="sRGB")


def modulation_rgb(azimuth_deg, elevation_deg, mean_luminance) -> tuple[np.ndarray, np.ndarray]:
    """Linear-RGB modulation at full gamut along DKL directions, around greys of ``mean_luminance``.

    Returns
    -------
    amplitude : ndarray (..., 3)
        ``delta_rgb`` such that ``background +- amplitude`` is the largest symmetric modulation along the
        direction inside the sRGB gamut (contrast 1 in v1lab's units).
    scale : ndarray (...)
        Length of that modulation in DKL units.
    """
    az, el, ml = np.broadcast_arrays(np.asarray(azimuth_deg, float), np.asarray(elevation_deg, float),
                                     np.asarray(mean_luminance, float))
    amplitude = np.empty(az.shape + (3,))
    scale = np.empty(az.shape)
    for idx in np.ndindex(az.shape):
        lms0, basis = _basis(ml[idx])
        delta = LMS_TO_RGB @ (lms0 * (basis @ dkl_direction(az[idx], el[idx])))
        t = _gamut_limit(delta, background_rgb(ml[idx]))
        amplitude[idx], scale[idx] = t * delta, t
    return amplitude, scale
