"""Fuzzed protocol and stimulus-set files: whatever the content, a check either passes or raises one V1labError line
naming the file (never another exception, a warning or a multi-line message)."""

import copy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from v1lab.errors import V1labError
from v1lab.protocol import prepare_run
from v1lab.stimuli import stimulus_set_from_dict

GRATINGS = {"name": "g", "family": "grating", "fixed": {"sf_cpd": 2.0, "contrast": 0.5},
            "grid": {"orientation_deg": {"linspace": [0, 180], "num": 4, "endpoint": False}, "phase_deg": [0, 180]}}
PROTOCOL = {"name": "fuzz", "model": "resnet50-caffe", "device": "cpu", "seed": 0, "ppd": 28.0,
            "layers": [{"name": "relu", "label": "conv1"}, "layer1"], "units": {"mode": "range", "start": 0, "stop": 4},
            "stimuli": [{"inline": GRATINGS}], "analyses": {"roles": {"luminance_gratings": "g"}, "fits": False},
            "references": ["ringach2002"], "output": {"formats": ["csv"], "batch_size": 16, "report": False}}
WORDS = ["name", "family", "fixed", "grid", "ppd", "linspace", "geomspace", "range", "num", "endpoint", "sf_cpd",
         "orientation_deg", "size_deg", "aperture", "color_direction", "contrast", "mean_luminance", "layers",
         "stimuli", "inline", "file", "at", "size_rf", "units", "mode", "start", "stop", "sample", "seed", "analyses",
         "roles", "criteria", "output", "batch_size", "lesion", "preferred_stimuli", "references", "label"]

SCALARS = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from(WORDS + ["luminance", "L-M", "annulus", "preferred", "sine", "all", "x" * 300])
           | st.text(max_size=12))
JUNK = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=8), inner, max_size=4), max_leaves=12)


def _paths(node, prefix=()) -> list[tuple]:
    """Every place in ``node`` a value can be put (existing keys and items, and one new key per mapping)."""
    out = [prefix]
    if isinstance(node, dict):
        out.append(prefix + ("<new>",))
        for key, value in node.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, prefix + (i,))
    return out


def _mutated(base: dict):
    paths = _paths(base)

    @st.composite
    def build(draw):
        data = copy.deepcopy(base)
        for _ in range(draw(st.integers(1, 3))):
            path, value = draw(st.sampled_from(paths)), draw(JUNK)
            if not path:
                return value
            node = data
            for part in path[:-1]:
                if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) \
                        and part < len(node):
                    node = node[part]
                else:
                    break
            else:
                last = draw(st.sampled_from(WORDS)) if path[-1] == "<new>" else path[-1]
                if isinstance(node, dict) or isinstance(node, list) and isinstance(last, int) and last < len(node):
                    node[last] = value
        return data

    return build()


def _check(exc: V1labError, where: str) -> None:
    message = str(exc)
    assert "\n" not in message and where in message and len(message) < 2000, message


FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(data=_mutated(PROTOCOL))
def test_fuzzed_protocols(tmp_path, data):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    try:
        prepare_run(path)
    except V1labError as exc:
        _check(exc, str(path))


@FUZZ
@given(data=_mutated(GRATINGS))
def test_fuzzed_stimulus_sets(data):
    try:
        stimulus_set_from_dict(data, source="s.yaml")
    except V1labError as exc:
        _check(exc, "s.yaml")


TOKENS = list("ab:-[]{}&*!|>'\",#\n .0123456789\t") + ["name: ", "  ", "&a ", "*a", "!!", "<<: ", "\xff", ".nan"]


@FUZZ
@given(text=st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_fuzzed_yaml_text(tmp_path, text):
    path = Path(tmp_path) / "p.yaml"
    path.write_text(text)
    try:
        prepare_run(path)
    except V1labError as exc:
        _check(exc, str(path))
