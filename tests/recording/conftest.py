"""Fixtures of the recording tests (the networks themselves are in recording_nets.py)."""

import pytest
from recording_nets import make_resnet, wrap


@pytest.fixture(scope="session", params=["v1.5", "v1"])
def resnet(request):
    """LoadedModel-like seeded ResNet-50, both stride layouts."""
    return wrap(make_resnet(request.param))


@pytest.fixture(scope="session")
def resnet_v1():
    return wrap(make_resnet("v1", seed=1))
