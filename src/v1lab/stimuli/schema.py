"""Stimulus-set files as pydantic models: one model per family, every parameter typed, every grid axis typed.

A file (``stimuli/NAME.yaml``, or a protocol's ``inline:`` set) is one of :data:`SET_MODELS`, chosen by its
``family``: ``fixed`` holds one value per parameter, ``grid`` one axis per swept parameter (a list, a
``linspace``, a ``geomspace`` or a ``range``), or a list of such designs. The models check structure and
types (unknown keys, wrong types, empty or malformed axes, a parameter both fixed and swept, a required
parameter absent); the values themselves (gamut, Nyquist, apertures) are checked on the expanded rows by
:func:`v1lab.stimuli.families.prepare_params`. :func:`parse_stimulus_set` turns the first problem into one
:class:`~v1lab.errors.ProtocolError` line naming the source and the field; :attr:`n_stimuli` is known before
any grid is expanded, so a grid above :data:`MAX_STIMULI` is refused with its predicted cost
(:func:`check_stimulus_count`).
"""

from __future__ import annotations

import difflib
import itertools
import math
from typing import Annotated, Any, Literal, Union

from pydantic import (BaseModel, BeforeValidator, Discriminator, Field, PrivateAttr, StringConstraints, Tag,
                      TypeAdapter, ValidationError, create_model, field_validator, model_validator)
from pydantic_core import PydanticCustomError

from v1lab.errors import ProtocolError, short_repr
from v1lab.stimuli.families import CATEGORICAL, COLOUR, FAMILIES, REQUIRED, Param
from v1lab.stimuli.geometry import DEFAULT_PPD
from v1lab.stimuli.grid_axes import (AXIS_KEYS, Finite, Geomspace, Integer, Linspace, Number, Range, StrictModel,
                                     axis_kind, axis_length, non_empty)

__all__ = ["MAX_STIMULI", "SET_MODELS", "StimulusSetFile",
           "parse_stimulus_set", "check_stimulus_count", "predicted_cost"]

#: Most stimuli per layer without an explicit override (``--max-stimuli``, ``max_stimuli=``).
MAX_STIMULI = 1_000_000

#: Meaning of each parameter (one vocabulary across families), for the JSON Schema and editors.
_DESCRIPTIONS = {
    "orientation_deg": "orientation of the stripes (a bar's long axis), degrees counter-clockwise from horizontal",
    "sf_cpd": "spatial frequency, cycles per degree (at most the Nyquist limit ppd / 2)",
    "phase_deg": "spatial phase at the centre, degrees (0: the middle of a bright stripe)",
    "waveform": "carrier: sine or square wave",
    "aperture": "window: none (full field), circular, gaussian, annulus or centre_annulus",
    "size_deg": "degrees: aperture diameter (grating, color_field), square side (sparse_noise), side of the "
                "noise field (white_noise), centre diameter (opponent_patch)",
    "inner_deg": "inner diameter of an annulus aperture, degrees",
    "gap_deg": "outer diameter of the grey annulus of a centre_annulus aperture, degrees",
    "sigma_deg": "standard deviation of the Gaussian envelope, degrees",
    "x_deg": "horizontal position of the centre, degrees (rightwards)",
    "y_deg": "vertical position of the centre, degrees (upwards)",
    "length_deg": "bar length, degrees",
    "width_deg": "bar width, degrees",
    "polarity": "light or dark on the grey background",
    "seed": "noise frame seed (an integer)",
    "check_deg": "side of one noise check, degrees",
    "opponency": "single-opponent (uniform centre and surround) or double-opponent (gratings in antiphase)",
    "surround_deg": "outer diameter of the surround, degrees",
    "contrast": "fraction of the largest symmetric modulation in the sRGB gamut along the colour direction, 0 to 1",
    "mean_luminance": "CIE Y of the grey background in linear light (white = 1), strictly between 0 and 1",
    "color_direction": "luminance, L-M, S, L, M, -L, -M or dkl(azimuth_deg,elevation_deg)",
    "dkl_azimuth_deg": "DKL azimuth of the colour direction, degrees (instead of color_direction)",
    "dkl_elevation_deg": "DKL elevation of the colour direction, degrees (90: luminance)",
}
def _value_type(name: str, param: Param):
    if param.choices is not None:
        return Literal[param.choices]
    if name in CATEGORICAL:
        return str
    return Integer if param.integer else Number


def _axis_type(name: str, param: Param):
    """A grid axis of one parameter: a list of its values, or (numbers) linspace / geomspace / range."""
    value = _value_type(name, param)
    members = [Annotated[list[value], BeforeValidator(non_empty), Tag("<list>")]]
    expected = "a list of values"
    if value is Number:
        members += [Annotated[Linspace, Tag("<linspace>")], Annotated[Geomspace, Tag("<geomspace>")],
                    Annotated[Range, Tag("<range>")]]
        expected = "a list, {linspace: [a, b], num: n}, {geomspace: [a, b], num: n} or {range: [a, b]}"
    elif value is Integer:
        members.append(Annotated[Range, Tag("<range>")])
        expected = "a list or {range: [a, b]} of integers"
    return Annotated[Union[tuple(members)], Discriminator(axis_kind, custom_error_type="grid_axis",
                                                          custom_error_message=expected)]


def _params(family: str) -> dict[str, Param]:
    return {**FAMILIES[family], **COLOUR}


class _SetBase(StrictModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        description="the set's name, by which protocols and analysis roles refer to it")
    description: str = Field("", description="free text")
    ppd: Finite = Field(DEFAULT_PPD, gt=0, description="pixels per degree the set is drawn at (a protocol "
                        "redraws it at its own ppd)")

    @field_validator("fixed", "grid", mode="before", check_fields=False)
    @classmethod
    def _none_is_empty(cls, value):
        return {} if value is None else value

    @model_validator(mode="after")
    def _complete(self):
        fixed = self.fixed.model_dump(exclude_unset=True)
        for k, design in enumerate(self.designs()):
            where = "grid" if not isinstance(self.grid, list) else f"grid.{k}"
            swept = _axes(design)
            both = sorted(set(fixed) & set(swept))
            if both:
                raise PydanticCustomError("stimulus_set", "field '{field}' is in both 'fixed' and '{where}', "
                                          "expected one of them", {"field": both[0], "where": where})
            for field, param in _params(self.family).items():
                if param.default is REQUIRED and field not in fixed and field not in swept:
                    raise PydanticCustomError("stimulus_set", "field '{field}' is missing, required by family "
                                              "'{family}' (in 'fixed' or '{where}')",
                                              {"field": field, "family": self.family, "where": where})
        return self

    def designs(self) -> list:
        """The grid as a list of factorial designs."""
        return self.grid if isinstance(self.grid, list) else [self.grid]

    @property
    def n_stimuli(self) -> int:
        """Stimuli in the set, counted without expanding the grid."""
        return sum(math.prod(axis_length(a) for a in _axes(d).values()) for d in self.designs())

    def rows(self) -> list[dict]:
        """One mapping per stimulus: ``fixed`` merged with each combination of the grid (first key slowest)."""
        fixed = self.fixed.model_dump(exclude_unset=True)
        rows = []
        for design in self.designs():
            axes = {name: axis if isinstance(axis, list) else axis.values() for name, axis in _axes(design).items()}
            rows += [{**fixed, **dict(zip(axes, combo))} for combo in itertools.product(*axes.values())]
        return rows


class _Design(StrictModel):
    """A factorial design; it keeps the order of its keys in the file (the first key varies slowest)."""

    _order: tuple = PrivateAttr(())

    @model_validator(mode="wrap")
    @classmethod
    def _keep_order(cls, data, handler):
        design = handler(data)
        design._order = tuple(data) if isinstance(data, dict) else tuple(design.model_fields_set)
        return design


def _axes(design) -> dict:
    return {name: getattr(design, name) for name in design._order if name in design.model_fields_set}


def _camel(family: str) -> str:
    return "".join(part.capitalize() for part in family.split("_"))


def _set_model(family: str) -> type[BaseModel]:
    params = _params(family)
    doc = {name: _DESCRIPTIONS[name] for name in params}
    fixed = create_model(f"{_camel(family)}Fixed", __base__=StrictModel, __doc__=f"Constant parameters of a {family} "
                         "set.", **{n: (_value_type(n, p), Field(None, description=doc[n])) for n, p in params.items()})
    grid = create_model(f"{_camel(family)}Grid", __base__=_Design, __doc__=f"Swept parameters of a {family} set "
                        "(full factorial, first key slowest).",
                        **{n: (_axis_type(n, p), Field(None, description=doc[n])) for n, p in params.items()})
    designs = Annotated[Union[Annotated[grid, Tag("<design>")],
                              Annotated[list[grid], Field(min_length=1), Tag("<designs>")]],
                        Discriminator(lambda v: "<designs>" if isinstance(v, list) else "<design>")]
    return create_model(
        f"{_camel(family)}Set", __base__=_SetBase, __doc__=f"A stimulus set of family {family}.",
        family=(Literal[family], Field(description="the stimulus family")),
        fixed=(fixed, Field(default_factory=fixed, description="parameters constant over the set")),
        grid=(designs, Field(default_factory=grid, description="swept parameters, full factorial (first key "
                             "slowest); or a list of such designs, whose union is the set")),
    )


#: The model of each family's stimulus-set files.
SET_MODELS: dict[str, type[BaseModel]] = {family: _set_model(family) for family in FAMILIES}
#: Any stimulus-set file: the family's model, chosen by ``family``.
StimulusSetFile = Annotated[Union[tuple(SET_MODELS.values())], Field(discriminator="family")]
_ADAPTER = TypeAdapter(StimulusSetFile)


def _location(loc) -> tuple:
    """The path of an error in the file: union tags (``<...>``, the family) dropped."""
    parts = [p for p in loc if not (isinstance(p, str) and p.startswith("<"))]
    return tuple(parts[1:]) if parts and parts[0] in SET_MODELS else tuple(parts)


def _unknown(loc: tuple, family: str) -> str:
    key, parent = str(loc[-1]), ".".join(str(p) for p in loc[:-1])
    if not parent:
        known = list(_SetBase.model_fields) + ["family", "fixed", "grid"]
    elif loc[:-1] in (("fixed",), ("grid",)) or len(loc) == 3 and loc[0] == "grid" and isinstance(loc[1], int):
        known, parent = list(_params(family)), f"{parent}' for family '{family}"
    else:
        known = list(AXIS_KEYS)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(known)})"
    return f"unknown field '{key}'" + (f" in '{parent}'" if parent else "") + hint


def _describe(err: dict, family: str) -> str:
    kind, loc = err["type"], _location(err["loc"])
    field = ".".join(str(p) for p in loc)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return (f"field 'family' is {short_repr(err['input'].get('family'))}, expected one of: "
                f"{', '.join(SET_MODELS)}")
    if kind == "extra_forbidden":
        return _unknown(loc, family)
    if kind == "missing":
        return f"field '{field}' is missing"
    if kind == "stimulus_set":
        return err["msg"]
    if kind == "empty_axis" and err["input"] == []:
        return f"field '{field}' is an empty parameter list, expected values"
    expected = ("a mapping" if kind in ("model_type", "dict_type") else
                err["msg"].removeprefix("Value error, ").removeprefix("Input should be "))
    return f"field '{field}' is {short_repr(err['input'])}, expected {expected[:1].lower()}{expected[1:]}"


def parse_stimulus_set(data: Any, *, source: str = "<dict>") -> BaseModel:
    """Validate a stimulus-set definition (a file's content or an inline set) as its family's model.

    Raises one-line :class:`~v1lab.errors.ProtocolError` naming ``source`` and the field.
    """
    if not isinstance(data, dict):
        raise ProtocolError(f"{source}: the stimulus set is {type(data).__name__}, expected a mapping")
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")   # a typo explains the rest
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ProtocolError(f"{source}: {_describe(errors[0], str(data.get('family')))}{more}") from None


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.2g} s"


def predicted_cost(n: int) -> str:
    """Rough cost of ``n`` stimuli per layer, from the shipped benchmarks (docs/performance.md): the parameter
    table (about 1 kB and 0.5 ms per stimulus) and recording on a 2-core CPU (resnet50-caffe: 9 569 stimuli/s at
    conv1 to 19.7 at layer4)."""
    return (f"about {n * 1e3 / 2**30:.3g} GiB and {_duration(n * 5e-4)} to build the parameter table, then "
            f"{_duration(n / 9569)} (conv1) to {_duration(n / 19.7)} (layer4) of recording per layer on a "
            "2-core CPU")


def check_stimulus_count(n: int, limit: int, where: str) -> None:
    """Refuse ``n`` stimuli above ``limit`` (one line: the count, the predicted cost, how to allow it)."""
    if n > limit:
        raise ProtocolError(f"{where}: {n:,} stimuli per layer, above the limit of {limit:,} ({predicted_cost(n)}); "
                            f"expected at most {limit:,}, or allow it with --max-stimuli {n} "
                            f"(Python: max_stimuli={n})")
