"""Spec strings: every form parses into its parts; malformed ones raise one-line ModelErrors."""

import pytest

from v1lab.errors import ModelError
from v1lab.models import parse_spec


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ("resnet50-caffe", "zoo", {"name": "resnet50-caffe"}),
        ("torchvision/resnet18", "torchvision", {"name": "resnet18", "options": {}}),
        ("torchvision/resnet50?weights=IMAGENET1K_V1", "torchvision",
         {"name": "resnet50", "options": {"weights": "IMAGENET1K_V1"}}),
        ("python:models/my net.py:build", "python", {"path": "models/my net.py", "factory": "build"}),
        ("python:C:/x/y.py:make_model", "python", {"path": "C:/x/y.py", "factory": "make_model"}),
        ("checkpoint:runs/a.pth?arch=torchvision/resnet34", "checkpoint",
         {"path": "runs/a.pth", "options": {"arch": "torchvision/resnet34"}}),
    ],
)
def test_parse_forms(text, kind, fields):
    spec = parse_spec(text)
    assert spec.kind == kind and spec.text == text
    for key, value in fields.items():
        assert getattr(spec, key) == value


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "non-empty"),
        (" resnet50-caffe", "surrounding spaces"),
        ("python:file.py", "python:path/to/file.py:factory"),
        ("python:file.py:not-an-identifier", "python:path/to/file.py:factory"),
        ("checkpoint:a.pth", r"\?arch="),
        ("checkpoint:a.pth?arch", "key=value"),
        ("torchvision/resnet18?weight=DEFAULT", "unknown option 'weight'; expected one of: weights"),
        ("torchvision/resnet18?weights=A&weights=", "key=value"),
        ("torchvision/", "builder name"),
        ("resnet50-caffe?weights=x", "expected a zoo name"),
        ("hub:foo/bar", "expected a zoo name"),
    ],
)
def test_malformed_specs(text, match):
    with pytest.raises(ModelError, match=match) as info:
        parse_spec(text)
    assert "\n" not in str(info.value)
