"""Fixtures of the preferred-stimulus tests: the planted network (see :mod:`planted_net`)."""

import pytest

from preferred.planted_net import planted_model


@pytest.fixture(scope="session")
def planted():
    return planted_model()
