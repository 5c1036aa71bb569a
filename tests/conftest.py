"""Shared fixtures: paths to the read-only data beside the checkout, skipped with a reason where absent; the
hypothesis profiles; one share of the cores per xdist worker."""

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests that set no example count take it from the profile: 60 in the suite,
# 2000 with `--hypothesis-profile=thorough` (docs/testing.md).
settings.register_profile("v1lab", max_examples=60, deadline=None)
settings.register_profile("thorough", parent=settings.get_profile("v1lab"), max_examples=2000)
settings.load_profile("v1lab")



def pytest_configure(config):
    """Under xdist, give each worker (and the processes it starts) its share of the cores as torch threads.

    Two workers with two OpenMP threads each on two cores spin against each other; one thread each does not.
    """
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threads = max(1, cores // int(workerinput["workercount"]))
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch.set_num_threads(threads)


REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _need(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.skip(f"{what} not found at {path} (it lives in ../shared beside the checkout; CI has it)")
    return path


@pytest.fixture(scope="session")
def imagenet_sample_dir() -> Path:
    """The 1000-photo ImageNet sample (one per class) in ../shared/data/imagenet-sample."""
    return _need(SHARED / "data" / "imagenet-sample", "ImageNet sample folder")


@pytest.fixture(scope="session")
def ringach_db_path() -> Path:
    """The Ringach et al. 2002 per-neuron database in ../shared/data/ringach2002."""
    return _need(SHARED / "data" / "ringach2002" / "ringach_2002_db.mat", "Ringach 2002 database")
