"""Words and units for the report's axes and titles: the one place that turns a column name into a label.

Units come from the units contract (:func:`v1lab.units.column`) for units-table columns, from the name's suffix
for stimulus parameters (``_deg``, ``_cpd``) and from a reference's own unit for reference properties; the
words are :data:`WORDS`, else the name with spaces.

>>> axis_label("peak_sf_cpd", log=True)
'peak spatial frequency (cycles/deg, log scale)'
>>> axis_label("circular_variance")
'circular variance'
"""

from __future__ import annotations

from v1lab.errors import UnitsTableError
from v1lab.units import column

__all__ = ["WORDS", "words", "unit_of", "axis_label", "RESPONSE_LABEL"]

#: Column, stimulus-parameter and reference-property names in words.
WORDS: dict[str, str] = {
    # stimulus parameters
    "orientation_deg": "orientation", "sf_cpd": "spatial frequency", "phase_deg": "spatial phase",
    "size_deg": "aperture diameter", "contrast": "contrast", "color_direction": "colour direction",
    "dkl_azimuth_deg": "DKL azimuth", "aperture": "aperture",
    # units-table columns
    "responsive": "responsive", "orientation_selective": "orientation-selective", "simple": "simple",
    "peak_sf_at_edge": "peak SF at the sweep's edge", "single_opponent": "single-opponent",
    "double_opponent": "double-opponent", "cell_class": "cell class", "color_class": "colour class",
    "chromatic_sf_shape": "chromatic SF shape", "cone_opponency": "cone opponency",
    "preferred_orientation_deg": "preferred orientation", "circular_variance": "circular variance",
    "orientation_bandwidth_deg": "orientation bandwidth", "orthogonal_preferred_ratio": "orthogonal / preferred",
    "modulation_ratio": "modulation ratio F1/F0", "peak_sf_cpd": "peak spatial frequency",
    "sf_bandwidth_oct": "SF bandwidth", "sf_f0_bandwidth_0707_oct": "SF bandwidth (F0, at 1/sqrt 2)",
    "surround_suppression_index": "surround suppression index", "gsf_deg": "grating summation field",
    "chromatic_ratio": "chromatic ratio", "uniform_field_ratio": "uniform-field ratio",
    "chromatic_peak_sf_cpd": "chromatic peak spatial frequency",
    # reference properties
    "simple_fraction": "simple cells", "orientation_selective_fraction": "orientation-selective cells",
    "sf_selective_fraction": "SF-selective cells", "strongly_suppressed_fraction": "strongly suppressed cells",
    "sf_bandwidth_ratio_pct": "SF bandwidth, 100 f_low / f_high",
}
_UNITS = {"deg": "deg", "cycles/deg": "cycles/deg", "octaves": "octaves", "response": "a.u.", "%": "%"}
_SUFFIXES = {"_deg": "deg", "_cpd": "cycles/deg", "_oct": "octaves", "_px": "pixels", "_pct": "%"}

#: The response axis of every tuning curve: the network's activations have no physical unit.
RESPONSE_LABEL = "response (a.u.)"


def words(name: str) -> str:
    """``name`` in words (:data:`WORDS`), else with its underscores as spaces."""
    return WORDS.get(name, str(name).replace("_", " "))


def unit_of(name: str, unit: str | None = None) -> str:
    """The unit shown for ``name``: ``unit`` if given, else the units contract's, else the suffix's; "" when
    dimensionless. Response units are "a.u." (arbitrary units)."""
    if unit is None:
        try:
            unit = column(name).unit
        except UnitsTableError:
            unit = next((u for s, u in _SUFFIXES.items() if str(name).endswith(s)), "")
    return _UNITS.get(unit, "" if unit in ("1", "") else unit)


def axis_label(name: str, *, unit: str | None = None, log: bool = False) -> str:
    """``words (unit[, log scale])``, e.g. ``orientation (deg)``; the parenthesis is left out when empty."""
    inside = ", ".join(p for p in (unit_of(name, unit), "log scale" if log else "") if p)
    return f"{words(name)} ({inside})" if inside else words(name)
