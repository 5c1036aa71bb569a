"""Stimulus-set files as pydantic models: one model per family, typed axes, one-line errors, counts before expansion."""

import time

import pytest

from v1lab.errors import ProtocolError
from v1lab.stimuli import FAMILIES, MAX_STIMULI, parse_stimulus_set, stimulus_set_from_dict
from v1lab.stimuli.grid_axes import Geomspace, Linspace, Range
from v1lab.stimuli.schema import SET_MODELS

GOOD = {"name": "g", "family": "grating", "fixed": {"sf_cpd": 2.0},
        "grid": {"orientation_deg": {"linspace": [0, 180], "num": 4, "endpoint": False}, "phase_deg": [0, 180]}}


def test_one_model_per_family_with_typed_axes():
    assert set(SET_MODELS) == set(FAMILIES)
    model = parse_stimulus_set(GOOD)
    assert type(model).__name__ == "GratingSet" and isinstance(model.grid.orientation_deg, Linspace)
    white = parse_stimulus_set({"name": "w", "family": "white_noise", "fixed": {"check_deg": 0.5},
                                "grid": {"seed": {"range": [0, 3]}, "size_deg": {"geomspace": [1, 4], "num": 3}}})
    assert isinstance(white.grid.seed, Range) and isinstance(white.grid.size_deg, Geomspace)
    assert white.n_stimuli == 9


def test_grid_keeps_the_files_key_order():
    data = {**GOOD, "grid": {"phase_deg": [0, 90], "orientation_deg": [0, 45, 90]}}   # phase slowest here
    params = stimulus_set_from_dict(data).params
    assert params["phase_deg"].tolist() == [0, 0, 0, 90, 90, 90]
    assert params["orientation_deg"].tolist() == [0, 45, 90] * 2


@pytest.mark.parametrize("change, match", [
    ({"fixed": {"sf_cpd": 2.0, "orientaton_deg": 3}},
     r"unknown field 'orientaton_deg' in 'fixed' for family 'grating' \(did you mean 'orientation_deg'\?\)"),
    ({"grid": [{"orientation_deg": [0]}, {"orientaton_deg": [0]}]}, r"unknown field 'orientaton_deg' in 'grid\.1'"),
    ({"grid": {"orientation_deg": {"linspace": [0, 1], "nmu": 2}}},
     r"unknown field 'nmu' in 'grid.orientation_deg' \(did you mean 'num'\?\)"),
    ({"grid": {"orientation_deg": {"linspace": [0, 1]}}}, r"field 'grid\.orientation_deg\.num' is missing"),
    ({"grid": {"orientation_deg": 5}}, r"field 'grid\.orientation_deg' is 5, expected a list, \{linspace"),
    ({"grid": {"waveform": {"linspace": [0, 1], "num": 2}}}, r"field 'grid\.waveform' is .*expected a list of values"),
    ({"grid": {"waveform": ["sin"]}}, r"field 'grid\.waveform\.0' is 'sin', expected 'sine' or 'square'"),
    ({"grid": {"phase_deg": [0, "a"]}}, r"field 'grid\.phase_deg\.1' is 'a', expected a valid number"),
    ({"grid": {"phase_deg": [True]}}, r"field 'grid\.phase_deg\.0' is True, expected a number \(true/false"),
    ({"grid": {"sf_cpd": {"geomspace": [0, 8], "num": 3}}, "fixed": {}},
     r"field 'grid\.sf_cpd\.geomspace' is \[0, 8\], expected two non-zero numbers of the same sign"),
    ({"grid": {"orientation_deg": {"range": [5, 5]}}},
     r"field 'grid\.orientation_deg\.range' is \[5, 5\], expected start < stop"),
    ({"grid": {"orientation_deg": {"linspace": [0, float("inf")], "num": 3}}},
     r"field 'grid\.orientation_deg\.linspace\.1' is inf, expected a finite"),
    ({"ppd": float("inf")}, r"field 'ppd' is inf, expected a finite number"),
    ({"ppd": True}, r"field 'ppd' is True, expected a number"),
    ({"name": ""}, r"field 'name' is '', expected"),
    ({"fixed": [1]}, r"field 'fixed' is \[1\], expected"),
])
def test_structure_and_type_errors_name_the_file_and_the_field(change, match):
    with pytest.raises(ProtocolError, match=r"^set\.yaml: " + match):
        parse_stimulus_set({**GOOD, **change}, source="set.yaml")


def test_a_long_value_is_cut_in_the_message():
    with pytest.raises(ProtocolError) as info:
        parse_stimulus_set({**GOOD, "name": ["x" * 10_000] * 1000}, source="set.yaml")
    assert len(str(info.value)) < 200


def test_a_huge_grid_is_refused_with_its_cost_before_expansion():
    data = {**GOOD, "grid": {"orientation_deg": {"range": [0, 10**9]}, "phase_deg": {"range": [0, 10**9]}}}
    assert parse_stimulus_set(data).n_stimuli == 10**18
    start = time.perf_counter()
    with pytest.raises(ProtocolError, match=r"field 'grid': 1,000,000,000,000,000,000 stimuli per layer, above the "
                                            r"limit of 1,000,000 \(about .* GiB .* of recording per layer.*"
                                            r"--max-stimuli 1000000000000000000"):
        stimulus_set_from_dict(data, source="set.yaml")
    assert time.perf_counter() - start < 1.0
    assert MAX_STIMULI == 1_000_000


def test_the_limit_can_be_raised_explicitly():
    data = {**GOOD, "grid": {"orientation_deg": {"linspace": [0, 180], "num": 30}, "phase_deg": [0, 180]}}
    with pytest.raises(ProtocolError, match="60 stimuli per layer, above the limit of 50"):
        stimulus_set_from_dict(data, max_stimuli=50)
    assert len(stimulus_set_from_dict(data, max_stimuli=60)) == 60
