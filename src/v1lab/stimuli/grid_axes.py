"""Typed values and grid axes of stimulus-set files: a number that is not a boolean, and the axis forms a grid
parameter takes besides a list (``linspace``, ``geomspace``, ``range``), each with its length known before any
value is made.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

__all__ = ["StrictModel", "Number", "Integer", "Finite", "Linspace", "Geomspace", "Range", "axis_length", "axis_kind",
           "non_empty", "AXIS_KEYS"]

AXIS_KEYS = ("linspace", "geomspace", "num", "endpoint", "range")


def _not_bool(value):
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "a number (true/false are not numbers)")
    return value


#: A number: int or float, not a boolean (YAML's ``yes``/``true``).
Number = Annotated[float, BeforeValidator(_not_bool)]
Integer = Annotated[int, BeforeValidator(_not_bool)]
Finite = Annotated[float, BeforeValidator(_not_bool), Field(allow_inf_nan=False)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Linspace(StrictModel):
    """``num`` evenly spaced values from ``linspace[0]`` to ``linspace[1]`` (numpy.linspace)."""

    linspace: tuple[Finite, Finite] = Field(description="[start, stop]")
    num: Integer = Field(ge=1, description="number of values")
    endpoint: bool = Field(True, description="include stop")

    def values(self) -> list:
        with np.errstate(all="ignore"):   # an overflowing step gives inf, refused with the stimulus index
            return np.linspace(*self.linspace, self.num, endpoint=self.endpoint).tolist()


class Geomspace(StrictModel):
    """``num`` values evenly spaced on a log scale from ``geomspace[0]`` to ``geomspace[1]`` (numpy.geomspace)."""

    geomspace: tuple[Finite, Finite] = Field(description="[start, stop], non-zero and of one sign")
    num: Integer = Field(ge=1, description="number of values")
    endpoint: bool = Field(True, description="include stop")

    @field_validator("geomspace")
    @classmethod
    def _one_sign(cls, ends):
        if not (min(ends) > 0 or max(ends) < 0):
            raise PydanticCustomError("geomspace", "two non-zero numbers of the same sign")
        return ends

    def values(self) -> list:
        with np.errstate(all="ignore"):
            return np.geomspace(*self.geomspace, self.num, endpoint=self.endpoint).tolist()


class Range(StrictModel):
    """The integers ``range[0]`` to ``range[1] - 1``."""

    range: tuple[Integer, Integer] = Field(description="[start, stop): integers start .. stop - 1")

    @field_validator("range")
    @classmethod
    def _not_empty(cls, ends):
        if ends[1] <= ends[0]:
            raise PydanticCustomError("empty_axis", "start < stop (an empty range has no stimuli)")
        return ends

    def values(self) -> list:
        return list(range(*self.range))


def axis_length(axis) -> int:
    return len(axis) if isinstance(axis, list) else axis.num if hasattr(axis, "num") else axis.range[1] - axis.range[0]


def axis_kind(value) -> str | None:
    if isinstance(value, list):
        return "<list>"
    if isinstance(value, (Linspace, Geomspace, Range)):   # a validated axis, when a set is serialised
        return f"<{type(value).__name__.lower()}>"
    if isinstance(value, dict):
        return next((f"<{key}>" for key in ("linspace", "geomspace", "range") if key in value), None)
    return None


def non_empty(values: list) -> list:
    if not values:
        raise PydanticCustomError("empty_axis", "values (an empty parameter list has no stimuli)")
    return values
