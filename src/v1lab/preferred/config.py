"""Settings of the preferred-stimulus experiment: the protocol's ``preferred_stimuli:`` section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PreferredConfig"]


class PreferredConfig(BaseModel):
    """The protocol's ``preferred_stimuli:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    layers: list[str] | None = Field(None, description="layers to visualise, by label or module name (default: "
                                     "the protocol's first layer)")
    steps: int = Field(256, ge=1, description="gradient-ascent steps")
    seed: int = Field(0, ge=0, lt=2**63, description="seed of the initial images")
    channels: list[int] | None = Field(None, description="channels (default: all, or per_class)")
    per_class: int | None = Field(None, ge=1, description="in layers after the protocol's first, only the N "
                                  "responsive units of each cell class with the largest response above the blank "
                                  "(default: all units); ignored where channels are given")
    images: str | None = Field(None, description="ImageNet-style folder for the top-k natural patches (a relative "
                               "path is relative to the protocol file)")
    k: int = Field(9, ge=1, description="natural patches per unit")
    max_images: int | None = Field(None, ge=1, description="search only the first N images")
