"""The protocol file: a virtual experiment as YAML, validated by a strict schema.

A protocol names the model, the layers (and the response mode), which units, the stimulus sets, the analyses,
the biological references, the preferred-stimulus and lesion experiments and the output options. Every section
is a pydantic model; unknown keys are errors (``extra="forbid"``), so a typo is reported instead of ignored.
Files and mappings are validated by :mod:`v1lab.protocol.loading`, which turns every validation failure into one
:class:`~v1lab.errors.ProtocolError` line that names the file, the field and what was expected. A layer has one
identity in every output, its label (:attr:`LayerSpec.title`); the preferred-stimulus and lesion sections name
layers by label or by module name.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ByteSize, ConfigDict, Field, field_validator, model_validator

from v1lab.characterisation.roles import AnalysisRoles
from v1lab.classify import ClassificationCriteria
from v1lab.errors import ProtocolError
from v1lab.lesion.config import LesionConfig
from v1lab.preferred.config import PreferredConfig

__all__ = [
    "LayerSpec",
    "layer_entry",
    "UnitSelection",
    "StimulusRef",
    "ClosedLoop",
    "AnalysisConfig",
    "OutputConfig",
    "Protocol",
]

ResponseMode = Literal["pre_relu", "post_relu", "output", "shortcut", "residual", "sum"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class LayerSpec(_Strict):
    """One recorded layer: a dotted module name and the response mode (see docs/recording.md)."""

    name: str = Field(min_length=1, description="dotted module name, e.g. conv1, layer2.3, layer3.0.conv2")
    response: ResponseMode = Field("post_relu", description="response before or after the ReLU, or a residual "
                                   "block's shortcut, residual branch or their sum before its ReLU")
    label: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.-]+$",
        description="name used in tables and files (default: the module name), e.g. 'conv1' for module 'relu'",
    )

    @property
    def title(self) -> str:
        """The name under which this layer's results are written."""
        return self.label or self.name


def layer_entry(item: str) -> str | dict:
    """A command-line layer ``MODULE`` or ``MODULE=LABEL`` as a protocol ``layers`` entry."""
    module, sep, label = item.partition("=")
    return {"name": module.strip(), "label": label.strip()} if sep else module.strip()


class UnitSelection(_Strict):
    """Which channels of each layer to characterise: all, a half-open range, or a seeded random sample."""

    mode: Literal["all", "range", "sample"] = Field("all", description="every channel, a range, or a sample")
    start: int | None = Field(None, ge=0, description="first channel of a range")
    stop: int | None = Field(None, ge=1, description="channel after the last of a range")
    sample: int | None = Field(None, ge=1, description="number of channels drawn at random")
    seed: int = Field(0, ge=0, lt=2**63, description="seed of the random sample")

    @model_validator(mode="after")
    def _consistent(self):
        if self.mode == "range" and (self.start is None or self.stop is None or self.stop <= self.start):
            raise ValueError("a range needs start < stop")
        if self.mode == "sample" and self.sample is None:
            raise ValueError("a sample needs 'sample: N'")
        return self

    def channels(self, n_channels: int) -> list[int]:
        """The selected channel indices of a layer with ``n_channels`` channels, in increasing order."""
        if self.mode == "all":
            return list(range(n_channels))
        if self.mode == "range":
            if self.stop > n_channels:
                raise ProtocolError(
                    f"units.stop: {self.stop} is beyond the layer's {n_channels} channels"
                )
            return list(range(self.start, self.stop))
        import numpy as np

        k = min(self.sample, n_channels)
        rng = np.random.default_rng(self.seed)
        return sorted(int(c) for c in rng.choice(n_channels, size=k, replace=False))


class StimulusRef(_Strict):
    """A stimulus set used by the protocol: a file (path or name in ``stimuli/``) or an inline definition."""

    file: str | None = Field(None, description="stimulus-set file: a path, or NAME for stimuli/NAME.yaml")
    inline: dict[str, Any] | None = Field(None, description="a stimulus-set definition (docs/stimuli.md)")
    at: Literal["preferred"] | None = Field(
        None, description="closed loop: show the set at each unit's optimal luminance grating (orientation and SF "
        "from the luminance_gratings set), replacing the set's own orientation_deg and sf_cpd")
    size_rf: list[float] | None = Field(
        None, min_length=1, description="with at: preferred, aperture diameters as multiples of the layer's "
        "receptive-field size (its larger side), replacing the set's size_deg; capped at the canvas diagonal")

    @model_validator(mode="after")
    def _one_source(self):
        if (self.file is None) == (self.inline is None):
            raise ValueError("give exactly one of 'file' or 'inline'")
        if self.size_rf is not None and (self.at is None or any(not v > 0 for v in self.size_rf)):
            raise ValueError("size_rf takes positive multiples of the receptive field and needs at: preferred")
        return self


class ClosedLoop(_Strict):
    """Where closed-loop sets are shown: each unit's optimum rounded onto a lattice, so units that share a rounded
    optimum share their stimuli (0: the luminance sweep's own sample)."""

    orientation_step_deg: float = Field(0.0, ge=0.0, lt=180.0, description="orientations rounded to multiples of "
                                        "this many degrees")
    sf_step_oct: float = Field(0.0, ge=0.0, description="spatial frequencies rounded to this many octaves, on a "
                               "lattice through the luminance sweep's lowest SF")


class AnalysisConfig(_Strict):
    """Which stimulus set plays which role in the analysis, and the classification criteria."""

    roles: AnalysisRoles = Field(default_factory=AnalysisRoles, description="analysis role -> stimulus-set name")
    criteria: ClassificationCriteria = Field(default_factory=ClassificationCriteria,
                                             description="classification thresholds (cited defaults)")
    closed_loop: ClosedLoop = Field(default_factory=ClosedLoop, description="rounding of the optima at which "
                                    "closed-loop sets (at: preferred) are shown")
    fits: bool = Field(True, description="fit tuning-curve models (von Mises, log-Gaussian, ratio of Gaussians, "
                       "Naka-Rushton) to every responsive unit; the slow part of the analysis")


class OutputConfig(_Strict):
    """Where and how results are written."""

    root: str = Field("runs", min_length=1, description="folder that receives one new sub-folder per run")
    formats: list[Literal["csv", "parquet"]] = Field(default_factory=lambda: ["csv", "parquet"], min_length=1,
                                                     description="formats of the units table")
    batch_size: int = Field(256, ge=1, description="most stimuli per forward pass (max_memory may lower it; halved "
                            "on out-of-memory)")
    max_memory: ByteSize = Field("2GB", validate_default=True,
                                 description="memory budget of rendering and recording, e.g. 2GB, 1.5GiB or bytes; "
                                 "on CUDA the device's (docs/performance.md)")
    report: bool = Field(True, description="build report.html when the run is complete")


class Protocol(_Strict):
    """A virtual experiment."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="names the run folder")
    description: str = Field("", description="free text")
    model: str = Field("resnet50-caffe", min_length=1, description="model spec (docs/models.md)")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="recording device (auto: cuda if available)")
    seed: int = Field(0, ge=0, lt=2**63, description="seeds everything random in the run")
    ppd: float = Field(28.0, gt=0, description="pixels per degree of visual angle")
    layers: list[LayerSpec] = Field(min_length=1, description="recorded layers: a module name, or a mapping")
    units: UnitSelection = Field(default_factory=UnitSelection, description="which channels of each layer "
                                 "(all, or a mapping)")
    stimuli: list[StimulusRef] = Field(min_length=1, description="stimulus sets: NAME, a path, or a mapping")
    analyses: AnalysisConfig = Field(default_factory=AnalysisConfig, description="roles, criteria, fits")
    references: list[str] = Field(default_factory=list, description="biological reference datasets to compare with")
    preferred_stimuli: PreferredConfig | None = Field(None, description="activation maximisation and top-k "
                                                      "natural patches of chosen layers (docs/preferred.md)")
    lesion: LesionConfig | None = Field(None, description="inactive units and lesions of one layer (docs/lesion.md)")
    output: OutputConfig = Field(default_factory=OutputConfig, description="where and how results are written")

    @field_validator("layers", mode="before", json_schema_input_type=list[str | LayerSpec])
    @classmethod
    def _layer_strings(cls, value):
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("stimuli", mode="before", json_schema_input_type=list[str | StimulusRef])
    @classmethod
    def _stimulus_strings(cls, value):
        if isinstance(value, list):
            return [{"file": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("units", mode="before", json_schema_input_type=Literal["all", "range", "sample"] | UnitSelection)
    @classmethod
    def _units_string(cls, value):
        return {"mode": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _unique_layers(self):
        names = [layer.title for layer in self.layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"layer(s) listed twice: {', '.join(dup)}")
        return self

    def layer(self, name: str, field: str) -> LayerSpec:
        """The protocol layer that ``name`` names, by label first, then by module name; ``field`` (the
        referring key) goes into the one-line error."""
        for match in (lambda spec: spec.title == name, lambda spec: spec.name == name):
            for spec in self.layers:
                if match(spec):
                    return spec
        labels, modules = (", ".join(getattr(s, a) for s in self.layers) for a in ("title", "name"))
        raise ProtocolError(f"field '{field}': {name!r} is not one of the protocol's layers (labels: {labels}; "
                            f"modules: {modules})")
