"""Fixtures of the lesion tests: the planted network and its synthetic images."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import planted  # noqa: E402


@pytest.fixture
def planted_net():
    return planted.make()


@pytest.fixture(scope="session")
def planted_images():
    return planted.images(n=160)


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """Tiny tensors on a shared 2-core machine: one intra-op thread avoids thread hand-off overhead."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
