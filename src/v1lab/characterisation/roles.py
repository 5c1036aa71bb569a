"""Analysis roles: which stimulus set of a protocol feeds which analysis (``analyses.roles`` in a protocol)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AnalysisRoles", "STIMULUS_PARAMETERS"]

#: Stimulus coordinates treated as parameters: a set may vary only those its role analyses.
STIMULUS_PARAMETERS = ("orientation_deg", "sf_cpd", "phase_deg", "contrast", "size_deg", "dkl_azimuth_deg",
                       "dkl_elevation_deg", "color_direction", "annulus")


class AnalysisRoles(BaseModel):
    """Which stimulus set (by name, the ``set`` coordinate of the responses) plays which analysis role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    luminance_gratings: str | None = Field(None, description="orientation x SF x phase sweep of luminance gratings")
    chromatic_gratings: str | None = Field(None, description="the same sweep of isoluminant (e.g. L-M) gratings")
    matched_luminance_gratings: str | None = Field(
        None, description="luminance gratings at the chromatic sweep's RMS cone contrast: when given, the "
        "chromatic ratio compares these with the chromatic gratings, equated for cone contrast as in Johnson "
        "et al. (2001); when absent, it compares the luminance_gratings and chromatic_gratings sweeps as they "
        "are (each at its own contrast, e.g. the largest in the sRGB gamut; see docs/metrics.md)")
    uniform_fields: str | None = Field(None, description="uniform colour fields filling the receptive field")
    size_sweep: str | None = Field(None, description="grating diameter sweep (area summation)")
    contrast_sweep: str | None = Field(None, description="grating contrast sweep")
    cone_isolating: str | None = Field(None, description="cone-isolating (and mixed) colour gratings x phase, at "
                                       "each unit's optimum (closed loop) or over a few gratings: cone weights")
    cone_isolating_fields: str | None = Field(None, description="uniform fields of the same colour directions, "
                                              "both polarities: cone weights of units low-pass for colour")

    def named(self) -> dict[str, str]:
        """The roles that name a set: ``{role: set name}``."""
        return {role: name for role, name in self.model_dump().items() if name is not None}
