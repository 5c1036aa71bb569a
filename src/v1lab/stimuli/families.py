"""The stimulus families: their parameters (names, units, defaults), validation, and derived columns.

Each family's parameters are columns of :attr:`StimulusSet.params`. Lengths are in degrees (``*_deg``) and are
also reported in pixels (``*_px``) at the set's ``ppd``; spatial frequency in cycles/degree (``sf_cpd``) and
cycles/pixel (``sf_cpp``). Every family also has the colour parameters ``contrast`` (fraction of the largest
symmetric modulation available in the sRGB gamut along the colour direction), ``mean_luminance`` (CIE Y of the
grey background, white = 1, linear light) and the colour direction (``color_direction`` or
``dkl_azimuth_deg`` / ``dkl_elevation_deg``); the colour is reported back as DKL length, cone contrasts and
luminance contrast at the pattern's peak.
"""

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from v1lab.errors import GamutError, ProtocolError, StimulusError, short_repr
from v1lab.stimuli import colorimetry

__all__ = ["Param", "REQUIRED", "FAMILIES", "COLOUR", "CATEGORICAL", "prepare_params", "direction_name",
           "parse_direction"]

#: The default of a parameter that every stimulus must give.
REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """A family parameter: default (``REQUIRED`` if none), allowed choices (categorical) or numeric limits."""

    default: Any = REQUIRED
    choices: tuple | None = None
    positive: bool = False  # numeric > 0 (else any finite number)
    allow_inf: bool = False
    integer: bool = False


_NAN = math.nan
_POSITION = {"x_deg": Param(0.0), "y_deg": Param(0.0)}
_POLARITY = ("light", "dark")
APERTURES = ("none", "circular", "gaussian", "annulus", "centre_annulus")

FAMILIES: dict[str, dict[str, Param]] = {
    "grating": {
        "orientation_deg": Param(), "sf_cpd": Param(positive=True), "phase_deg": Param(0.0),
        "waveform": Param("sine", choices=("sine", "square")), "aperture": Param("none", choices=APERTURES),
        "size_deg": Param(_NAN, positive=True, allow_inf=True), "inner_deg": Param(_NAN),
        "gap_deg": Param(_NAN, positive=True),
    },
    "gabor": {
        "orientation_deg": Param(), "sf_cpd": Param(positive=True), "phase_deg": Param(0.0),
        "sigma_deg": Param(positive=True), **_POSITION,
    },
    "bar": {
        "orientation_deg": Param(), "length_deg": Param(positive=True), "width_deg": Param(positive=True),
        "polarity": Param("light", choices=_POLARITY), **_POSITION,
    },
    "sparse_noise": {"size_deg": Param(positive=True), "polarity": Param(choices=_POLARITY),
                     "x_deg": Param(), "y_deg": Param()},
    "white_noise": {"seed": Param(integer=True), "check_deg": Param(positive=True),
                    "size_deg": Param(math.inf, positive=True, allow_inf=True)},
    "color_field": {"aperture": Param("none", choices=("none", "circular", "gaussian")),
                    "size_deg": Param(_NAN, positive=True)},
    "opponent_patch": {
        "opponency": Param(choices=("single", "double")), "size_deg": Param(positive=True),
        "surround_deg": Param(positive=True), "orientation_deg": Param(_NAN), "sf_cpd": Param(_NAN, positive=True),
        "phase_deg": Param(0.0),
    },
}
#: The colour parameters every family has.
COLOUR = {"contrast": Param(1.0), "mean_luminance": Param(colorimetry.REFERENCE_GREY),
          "color_direction": Param(_NAN), "dkl_azimuth_deg": Param(_NAN), "dkl_elevation_deg": Param(_NAN)}
#: Parameters whose values select code paths (rendered in groups); all others are numbers.
CATEGORICAL = ("waveform", "aperture", "polarity", "opponency", "color_direction")


def _opposite(angles: tuple[float, float]) -> tuple[float, float]:
    """The DKL direction opposite to ``(azimuth, elevation)``: the negated unit vector."""
    return (angles[0] + 180.0) % 360.0, -angles[1]


_L, _M = colorimetry.cone_isolating_direction("L"), colorimetry.cone_isolating_direction("M")
#: Named colour directions -> (azimuth, elevation) in degrees; ``L`` and ``M`` are cone-isolating increments
#: (their angles computed from the colour chain), ``-L`` and ``-M`` the decrements.
_NAMED = {"luminance": (0.0, 90.0), "L-M": (0.0, 0.0), "S": (90.0, 0.0), "L": _L, "M": _M,
          "-L": _opposite(_L), "-M": _opposite(_M)}
_BY_ANGLES = {angles: name for name, angles in _NAMED.items()}
_DKL = re.compile(r"^dkl\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)$")


def parse_direction(name) -> tuple[float, float] | None:
    """(azimuth, elevation) in degrees of a colour-direction name, or ``None`` if it is not one."""
    if isinstance(name, str):
        if name in _NAMED:
            return _NAMED[name]
        match = _DKL.match(name.strip())
        if match:
            try:
                return float(match.group(1)), float(match.group(2))
            except ValueError:
                return None
    return None


def direction_name(azimuth_deg: float, elevation_deg: float) -> str:
    """Canonical name: ``luminance``, ``L-M``, ``S``, ``L``, ``M``, ``-L``, ``-M`` or ``dkl(az,el)``."""
    az = float(azimuth_deg) % 360.0
    if elevation_deg == 90.0:
        return "luminance"
    return _BY_ANGLES.get((az, float(elevation_deg)), f"dkl({az:g},{elevation_deg:g})")


def _fail(kind, source, field, row, value, expected):
    where = f" (stimulus {row})" if row is not None else ""
    raise kind(f"{source}: field '{field}' is {short_repr(value)}{where}, expected {expected}")


def _check_numbers(df, source, field, spec: Param, required_mask=None):
    """Convert a column to float; check finiteness, sign and integrality where applicable."""
    try:
        values = pd.to_numeric(df[field], errors="raise").astype(float).to_numpy()
    except (ValueError, TypeError):
        bad = next(i for i, v in enumerate(df[field]) if not _is_number(v))
        _fail(StimulusError, source, field, bad, df[field].iloc[bad], "a number")
    need = np.ones(len(values), bool) if required_mask is None else required_mask
    for i, v in enumerate(values):
        if math.isnan(v):
            if need[i] and spec.default is not _NAN:
                _fail(StimulusError, source, field, i, v, "a number")
            continue
        if math.isinf(v) and not spec.allow_inf:
            _fail(StimulusError, source, field, i, v, "a finite number")
        if spec.positive and not v > 0:
            _fail(StimulusError, source, field, i, v, "a number > 0")
        if spec.integer and v != int(v):
            _fail(StimulusError, source, field, i, v, "an integer")
    df[field] = values


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool)


def _need(df, source, field, mask, expected):
    """Rows in ``mask`` must have a finite (or inf, where allowed) value of ``field``."""
    for i in np.flatnonzero(mask & df[field].isna().to_numpy()):
        _fail(StimulusError, source, field, int(i), df[field].iloc[i], expected)


def _check_family(df: pd.DataFrame, family: str, source: str, ppd: float) -> None:
    if "sf_cpd" in df:
        for i, v in enumerate(df["sf_cpd"]):
            if v > ppd / 2:
                _fail(StimulusError, source, "sf_cpd", i, v, f"at most the Nyquist limit ppd / 2 = {ppd / 2:g}")
    if family in ("grating", "color_field"):
        windowed = (df["aperture"] != "none").to_numpy()
        _need(df, source, "size_deg", windowed, "a diameter > 0 for an aperture other than 'none'")
        finite_only = windowed & (df["aperture"] != "annulus").to_numpy()
        for i in np.flatnonzero(finite_only & np.isinf(df["size_deg"].to_numpy())):
            _fail(StimulusError, source, "size_deg", int(i), math.inf, "a finite diameter (inf only for 'annulus')")
    if family == "grating":
        ring = (df["aperture"] == "annulus").to_numpy()
        _need(df, source, "inner_deg", ring, "the inner diameter of the annulus (>= 0)")
        for i in np.flatnonzero(ring):
            if not 0 <= df["inner_deg"].iloc[i] < df["size_deg"].iloc[i]:
                _fail(StimulusError, source, "inner_deg", int(i), df["inner_deg"].iloc[i],
                      f"0 <= inner_deg < size_deg = {df['size_deg'].iloc[i]:g}")
        gap = (df["aperture"] == "centre_annulus").to_numpy()
        _need(df, source, "gap_deg", gap, "the outer diameter of the grey annulus")
        for i in np.flatnonzero(gap):
            if not df["gap_deg"].iloc[i] > df["size_deg"].iloc[i]:
                _fail(StimulusError, source, "gap_deg", int(i), df["gap_deg"].iloc[i],
                      f"larger than size_deg = {df['size_deg'].iloc[i]:g}")
    if family == "opponent_patch":
        for i in np.flatnonzero(~(df["surround_deg"] > df["size_deg"]).to_numpy()):
            _fail(StimulusError, source, "surround_deg", int(i), df["surround_deg"].iloc[i],
                  f"larger than size_deg = {df['size_deg'].iloc[i]:g}")
        double = (df["opponency"] == "double").to_numpy()
        for field in ("orientation_deg", "sf_cpd"):
            _need(df, source, field, double, "a number for opponency 'double'")


def _resolve_colour(df: pd.DataFrame, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Fill the colour columns; return linear-RGB background and peak modulation per row, (N, 3) each."""
    named = df["color_direction"].notna().to_numpy()
    angles = df[["dkl_azimuth_deg", "dkl_elevation_deg"]].notna().to_numpy()
    az, el = np.zeros(len(df)), np.full(len(df), 90.0)
    for i in range(len(df)):
        if named[i] and angles[i].any():
            _fail(ProtocolError, source, "color_direction", i, df["color_direction"].iloc[i],
                  "either color_direction or dkl_azimuth_deg/dkl_elevation_deg, not both")
        if named[i]:
            parsed = parse_direction(df["color_direction"].iloc[i])
            if parsed is None:
                _fail(StimulusError, source, "color_direction", i, df["color_direction"].iloc[i],
                      "'luminance', 'L-M', 'S', 'L', 'M', '-L', '-M' or 'dkl(azimuth_deg,elevation_deg)'")
            az[i], el[i] = parsed
        elif angles[i].any():
            az[i] = df["dkl_azimuth_deg"].iloc[i] if angles[i, 0] else 0.0
            el[i] = df["dkl_elevation_deg"].iloc[i] if angles[i, 1] else 0.0
    for field, values in (("dkl_azimuth_deg", az), ("dkl_elevation_deg", el)):
        df[field] = values
        _check_numbers(df, source, field, Param())
    for i, v in enumerate(df["dkl_elevation_deg"]):
        if abs(v) > 90:
            _fail(StimulusError, source, "dkl_elevation_deg", i, v, "an elevation in [-90, 90] degrees")
    df["color_direction"] = [direction_name(a, e) for a, e in zip(df["dkl_azimuth_deg"], df["dkl_elevation_deg"])]
    _check_numbers(df, source, "mean_luminance", Param())
    _check_numbers(df, source, "contrast", Param())
    for i, v in enumerate(df["mean_luminance"]):
        if not 0 < v < 1:
            _fail(GamutError, source, "mean_luminance", i, v,
                  "a background luminance strictly between 0 and 1 (linear light, white = 1) to leave room "
                  "for modulation inside the sRGB gamut")
    amplitude, scale = colorimetry.modulation_rgb(df["dkl_azimuth_deg"], df["dkl_elevation_deg"],
                                                  df["mean_luminance"])
    for i, v in enumerate(df["contrast"]):
        if v < 0:
            _fail(StimulusError, source, "contrast", i, v, "a contrast >= 0 (the sign goes in the direction)")
        if v > 1:
            raise GamutError(
                f"{source}: field 'contrast' is {v:g} (stimulus {i}), which exceeds the sRGB gamut along "
                f"{df['color_direction'].iloc[i]} around mean_luminance {df['mean_luminance'].iloc[i]:g} "
                f"by {100 * (v - 1):.3g} % (expected at most 1 = {scale[i]:.4g} DKL units)")
    amplitude = amplitude * df["contrast"].to_numpy()[:, None]
    background = np.repeat(df["mean_luminance"].to_numpy()[:, None], 3, axis=1)
    lms0 = background @ colorimetry.RGB_TO_LMS.T
    cone = (amplitude @ colorimetry.RGB_TO_LMS.T) / lms0
    def exact_zero(values):  # float residue of silenced cones (~1e-17) reported as the 0 it stands for
        return np.where(np.abs(values) < 1e-12, 0.0, values)

    df["dkl_contrast"] = df["contrast"] * scale
    df["l_cone_contrast"], df["m_cone_contrast"], df["s_cone_contrast"] = exact_zero(cone.T)
    df["luminance_contrast"] = exact_zero(colorimetry.luminance(amplitude) / colorimetry.luminance(background))
    return background, amplitude


def prepare_params(rows: list[dict], family: str, source: str, ppd: float):
    """Validate expanded rows of a stimulus set; return (params DataFrame, background, amplitude)."""
    spec = FAMILIES[family]
    allowed = {**spec, **COLOUR}
    if not rows:
        raise ProtocolError(f"{source}: the stimulus set has no stimuli, expected at least one")
    complete = []
    for row in rows:
        for field in row:
            if field not in allowed:
                raise ProtocolError(f"{source}: unknown field '{field}' for family '{family}' "
                                    f"(expected one of: {', '.join(allowed)})")
        complete.append({field: row.get(field, param.default) for field, param in allowed.items()})
    df = pd.DataFrame(complete, columns=list(allowed))
    for field, param in spec.items():
        if param.choices is not None:
            for i, v in enumerate(df[field]):
                if v not in param.choices:
                    _fail(StimulusError, source, field, i, v, f"one of {', '.join(param.choices)}")
        else:
            _check_numbers(df, source, field, param)
    _check_family(df, family, source, ppd)
    background, amplitude = _resolve_colour(df, source)
    if "seed" in df:
        df["seed"] = df["seed"].astype(np.int64)
    for field in list(df.columns):
        if field.endswith("_deg") and field not in ("orientation_deg", "phase_deg") and "dkl" not in field:
            df[field[:-4] + "_px"] = df[field] * ppd
    if "sf_cpd" in df:
        df["sf_cpp"] = df["sf_cpd"] / ppd
    df["ppd"] = float(ppd)
    return df, background, amplitude
