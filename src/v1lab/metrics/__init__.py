"""Published tuning metrics: plain functions on numpy arrays, one module per concept.

Each function documents its equation, units, source and the convention chosen where sources differ (see also
``docs/metrics.md``). Where a curve is undefined (no positive response, never falls below the threshold) the
result is NaN; inputs that do not fit the definition raise :class:`v1lab.errors.AnalysisError`.
"""

from v1lab.metrics.chromatic import chromatic_ratio, preferred_dkl_azimuth, uniform_field_ratio
from v1lab.metrics.cone_weights import ConeWeights, cone_opponency, cone_weights
from v1lab.metrics.orientation import (
    circular_variance,
    orientation_bandwidth,
    orthogonal_preferred_ratio,
    preferred_orientation,
)
from v1lab.metrics.phase import modulation_ratio, phase_harmonics
from v1lab.metrics.size import grating_summation_field, surround_suppression_index
from v1lab.metrics.spatial_frequency import (peak_spatial_frequency, spatial_frequency_bandwidth,
                                             spatial_frequency_falloff)

__all__ = [
    "circular_variance",
    "preferred_orientation",
    "orientation_bandwidth",
    "orthogonal_preferred_ratio",
    "phase_harmonics",
    "modulation_ratio",
    "peak_spatial_frequency",
    "spatial_frequency_bandwidth",
    "spatial_frequency_falloff",
    "surround_suppression_index",
    "grating_summation_field",
    "chromatic_ratio",
    "uniform_field_ratio",
    "preferred_dkl_azimuth",
    "ConeWeights",
    "cone_weights",
    "cone_opponency",
]
