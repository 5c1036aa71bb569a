"""Spatial patterns of the stimulus families: a modulation field ``m(x, y)`` in [-1, 1] per stimulus.

Every stimulus is ``background + m(x, y) * amplitude`` in linear RGB, with ``amplitude`` the colour direction at
the requested contrast (:mod:`v1lab.stimuli.colorimetry`); this module draws ``m`` only. Functions take the
positions ``x`` (1, W) and ``y`` (H, 1) of one sub-pixel sample per pixel, in degrees (x right, y up, origin at
the stimulus centre), and parameters as tensors of shape (B, 1, 1); they return (B, H, W). Sharp edges are
anti-aliased by the caller, which averages the samples at every sub-pixel offset; in addition every sharp edge
(apertures, bars, squares, square-wave stripes) is drawn with the area-weighted coverage of each sub-pixel sample,
``clamp(1/2 - d / delta, 0, 1)`` for signed distance ``d`` to the edge and sample width ``delta`` (exact for an
edge parallel to the pixel grid, within a few per cent of a sub-pixel otherwise), so areas and positions are
right to a small fraction of a pixel. White-noise checks are drawn by supersampling alone.

Orientation convention: ``orientation_deg`` is the angle of the stripes (or of a bar's long axis),
counter-clockwise from horizontal as seen on screen; 0 = horizontal stripes whose luminance varies along the
vertical. The carrier is ``cos(2 pi f u - phase)`` with ``u = -x sin(theta) + y cos(theta)`` the position across
the stripes, so phase 0 puts the middle of a bright stripe on the centre and a phase step ``dphi`` shifts the
pattern by ``dphi / (360 f)`` degrees along ``(-sin theta, cos theta)``.
"""

import math

import torch

__all__ = ["across", "across_along", "coverage", "carrier", "aperture", "check_signs", "FAMILY_PATTERNS"]


def across(x, y, orientation_deg):
    """Position across stripes at ``orientation_deg`` (``u``, along the wave vector)."""
    theta = torch.deg2rad(orientation_deg)
    return -x * torch.sin(theta) + y * torch.cos(theta)


def across_along(x, y, orientation_deg):
    """Positions across (``u``, along the wave vector) and along (``v``) stripes at ``orientation_deg``."""
    theta = torch.deg2rad(orientation_deg)
    c, s = torch.cos(theta), torch.sin(theta)
    return -x * s + y * c, x * c + y * s


def coverage(distance, p):
    """Fraction of a sub-pixel sample inside an edge at signed ``distance`` (degrees, negative inside)."""
    return (0.5 - distance / p["sample_deg"]).clamp(0.0, 1.0)


def carrier(u, sf_cpd, phase_deg, waveform: str, p):
    """Sine (``cos(2 pi f u - phase)``) or square (its sign, edges area-weighted) wave along ``u``, in [-1, 1]."""
    psi = 2 * math.pi * sf_cpd * u - torch.deg2rad(phase_deg)
    if waveform == "sine":
        return torch.cos(psi)
    wrapped = torch.remainder(psi + math.pi, 2 * math.pi) - math.pi  # in [-pi, pi): 0 = middle of bright stripe
    distance = (wrapped.abs() - math.pi / 2) / (2 * math.pi * sf_cpd)  # to the nearest stripe edge, degrees
    return 2 * coverage(distance, p) - 1


def aperture(r, kind: str, p):
    """Window in [0, 1] at radius ``r`` (degrees) for aperture ``kind``.

    ``none``: 1 everywhere (full field). ``circular``: disc of diameter ``size_deg``. ``gaussian``:
    ``exp(-r^2 / (2 sigma^2))`` with ``sigma = size_deg / 4`` (the disc of diameter ``size_deg`` holds +-2 sigma).
    ``annulus``: ring between diameters ``inner_deg`` and ``size_deg`` (grey centre; ``size_deg`` may be inf).
    ``centre_annulus``: disc of diameter ``size_deg`` plus everything beyond diameter ``gap_deg`` (a grating
    centre separated from a grating surround by a grey annulus).
    """
    if kind == "none":
        return torch.ones_like(r)
    if kind == "circular":
        return coverage(r - p["size_deg"] / 2, p)
    if kind == "gaussian":
        sigma = p["size_deg"] / 4
        return torch.exp(-(r * r) / (2 * sigma * sigma))
    if kind == "annulus":
        return coverage(r - p["size_deg"] / 2, p) * (1 - coverage(r - p["inner_deg"] / 2, p))
    if kind == "centre_annulus":
        return coverage(r - p["size_deg"] / 2, p) + 1 - coverage(r - p["gap_deg"] / 2, p)
    raise AssertionError(f"aperture kind {kind!r} passed validation")  # validated in families.py


def _radius(x, y, p=None):
    if p is not None and "x_deg" in p:
        x, y = x - p["x_deg"], y - p["y_deg"]
    return torch.sqrt(x * x + y * y), x, y


def _grating(x, y, p, cat):
    u = across(x, y, p["orientation_deg"])
    wave = carrier(u, p["sf_cpd"], p["phase_deg"], cat["waveform"], p)
    if cat["aperture"] == "none":
        return wave
    return wave * aperture(_radius(x, y)[0], cat["aperture"], p)


def _gabor(x, y, p, cat):
    r, xs, ys = _radius(x, y, p)
    u = across(xs, ys, p["orientation_deg"])
    sigma = p["sigma_deg"]
    return carrier(u, p["sf_cpd"], p["phase_deg"], "sine", p) * torch.exp(-(r * r) / (2 * sigma * sigma))


def _bar(x, y, p, cat):
    _, xs, ys = _radius(x, y, p)
    u, v = across_along(xs, ys, p["orientation_deg"])
    inside = coverage(v.abs() - p["length_deg"] / 2, p) * coverage(u.abs() - p["width_deg"] / 2, p)
    return p["polarity"] * inside


def _sparse_noise(x, y, p, cat):
    _, xs, ys = _radius(x, y, p)
    half = p["size_deg"] / 2
    return p["polarity"] * coverage(xs.abs() - half, p) * coverage(ys.abs() - half, p)


_P = 2147483647  # 2**31 - 1: keeps every product below 2**62, so int64 never overflows on any device


def _mix(h):
    """Integer hash on [0, 2**31) (xor-shift-multiply rounds, the 'lowbias' finaliser modulo a prime)."""
    for _ in range(2):
        h = h ^ (h >> 16)
        h = (h * 0x45D9F3B) % _P
    return h ^ (h >> 16)


def check_signs(seed, i, j):
    """+-1 for check (``i``, ``j``) of the white-noise field ``seed``: a hash, so any crop draws the same checks."""
    h = _mix(seed % _P)
    h = _mix((h + i % _P) % _P)
    h = _mix((h + j % _P) % _P)
    return 1 - 2 * ((h >> 8) & 1)


def _white_noise(x, y, p, cat):
    check = p["check_deg"]
    i = torch.floor(x / check).to(torch.int64)
    j = torch.floor(y / check).to(torch.int64)
    signs = check_signs(p["seed"].to(torch.int64), i, j).to(x.dtype)
    half = p["size_deg"] / 2
    return signs * coverage(x.abs() - half, p) * coverage(y.abs() - half, p)


def _color_field(x, y, p, cat):
    r, _, _ = _radius(x, y)
    return aperture(r, cat["aperture"], p).expand(p["contrast"].shape[0], -1, -1)


def _opponent_patch(x, y, p, cat):
    r, _, _ = _radius(x, y)
    centre = coverage(r - p["size_deg"] / 2, p)
    surround = coverage(r - p["surround_deg"] / 2, p) - centre
    if cat["opponency"] == "single":
        return centre - surround
    u = across(x, y, p["orientation_deg"])
    return carrier(u, p["sf_cpd"], p["phase_deg"], "sine", p) * (centre - surround)


#: family name -> pattern function ``(x, y, numeric params, categorical params) -> m``.
FAMILY_PATTERNS = {
    "grating": _grating,
    "gabor": _gabor,
    "bar": _bar,
    "sparse_noise": _sparse_noise,
    "white_noise": _white_noise,
    "color_field": _color_field,
    "opponent_patch": _opponent_patch,
}
