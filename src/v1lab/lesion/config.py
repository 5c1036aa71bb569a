"""Settings of a lesion experiment: :class:`LesionConfig` (the protocol's ``lesion:`` section, and the CLI's)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Thresholds", "LesionConfig"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Thresholds(_Strict):
    """Cuts of the inactivity definitions (see :mod:`v1lab.lesion.inactivity`)."""

    filter_norm: float = Field(0.1, gt=0, le=1, description="filter L2 norm / layer maximum below this: inactive "
                               "(Kobayashi & Shouno 2020)")
    sparsity: float = Field(0.99, gt=0, le=1, description="fraction of zero natural-image positions at least this")
    stimulus_max: float = Field(0.1, gt=0, le=1, description="max stimulus response / layer maximum below this")
    natural_mean: float = Field(0.1, gt=0, description="mean natural-image response / layer median below this")


class LesionConfig(_Strict):
    """A lesion experiment on one layer.

    The model is the protocol's (or ``--model``); everything else is here. The statistics are described in
    :mod:`v1lab.lesion.analysis` and docs/lesion.md.
    """

    images: str = Field(min_length=1, description="ImageNet-style folder: class sub-folders or <wnid>_<name>.JPEG "
                        "(in a protocol, a relative path is relative to the protocol file)")
    layer: str = Field("conv1", min_length=1, description="layer whose channels are the units: a dotted module name "
                       "(in a protocol also a layer label)")
    label: str | None = Field(None, description="the layer's name in the units table and responses (default: "
                              "layer; a protocol sets it from its layers)")
    silence_at: str | None = Field(
        None, description="module whose output is silenced; default: the first ReLU after a conv layer "
        "(ResNet conv1 -> relu), or the layer itself")
    mode: Literal["zero", "mean"] = Field("zero", description="silenced output set to 0 or to its natural-image mean")
    n_random: int = Field(100, ge=0, description="null sets of the same size drawn per tested set and null (the "
                          "smallest two-sided Monte-Carlo p-value is 2/(n_random+1))")
    null: Literal["matched", "random-active", "both"] = Field(
        "both", description="null sets per tested set: matched on the property that defines it (stratified "
        "permutation), random-active (uniform over the units outside it; a reference), or both")
    strata: int = Field(8, ge=1, description="quantile bins of the defining property for the matched null, before "
                        "bins with too few untested units are merged")
    class_property: Literal["natural_mean", "filter_norm", "sparsity", "stimulus_max"] = Field(
        "natural_mean", description="the property on which a class group's matched null is matched")
    seed: int = Field(0, ge=0, lt=2**63, description="seeds random sets and bootstrap intervals")
    max_images: int | None = Field(None, ge=1, description="use only the first N images (sorted order)")
    batch_size: int = Field(50, ge=1, description="images per forward pass")
    single_units: bool = Field(True, description="lesion every unit alone (importance profile)")
    class_groups: bool = Field(True, description="also lesion each cell class of the units table as a group (in a "
                               "protocol: this run's units)")
    units_table: str | None = Field(None, description="run folder or units table with class columns: lesion each "
                                    "class as a group (in a protocol: this run's)")
    responses: str | None = Field(None, description="run folder (or .nc file) with the layer's stimulus responses, "
                                  "for the stimulus_max definition (in a protocol: this run's)")
    thresholds: Thresholds = Field(default_factory=Thresholds, description="cuts of the inactivity definitions")
    alpha: float = Field(0.05, gt=0, lt=1, description="significance level of the verdicts (applied to "
                         "the Holm-adjusted primary p-value)")
    confidence: float = Field(0.95, gt=0, lt=1, description="level of the confidence intervals")
    n_bootstrap: int = Field(2000, ge=100, description="bootstrap resamples per interval")
