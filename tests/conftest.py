"""Shared fixtures: paths to the read-only data beside the checkout, skipped with a reason where absent; the
hypothesis profiles; one share of the cores per xdist worker; the longest modules first."""

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests that set no example count take it from the profile: 60 in the suite,
# 2000 with `--hypothesis-profile=thorough` (docs/testing.md).
settings.register_profile("v1lab", max_examples=60, deadline=None)
settings.register_profile("thorough", parent=settings.get_profile("v1lab"), max_examples=2000)
settings.load_profile("v1lab")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

#: Modules that take longest (a real model, several processes, a full run or a Ray), longest first, from
#: `pytest -n 2 --dist loadfile --durations=0`. They are handed out before the rest, so that the many short modules
#: fill both workers at the end (longest-first scheduling); `make test` keeps this order (`--no-loadscope-reorder`).
LONGEST_FIRST = (
    "tests/models/test_accuracy.py",
    "tests/sweep/test_sweep.py",
    "tests/protocol/test_failures.py",
    "tests/recording/test_recorder.py",
    "tests/protocol/test_run.py",
    "tests/test_api.py",
    "tests/protocol/test_sections.py",
    "tests/lesion/test_planted.py",
    "tests/compare/test_compare.py",
    "tests/test_tutorial.py",
    "tests/recording/test_memory.py",
    "tests/report/test_paper_figures.py",
    "tests/report/test_report.py",
    "tests/protocol/test_hostile.py",
    "tests/test_import_cost.py",
    "tests/residual/test_dissection.py",
    "tests/recording/test_release_memory.py",
    "tests/recording/test_fast_mode_metrics.py",
    "tests/cli/test_main.py",
    "tests/planted_network/test_planted_cli.py",
    "tests/models/test_pypi_fetch.py",
    "tests/protocol/test_closed_loop.py",
    "tests/models/test_weights_cache.py",
    "tests/models/test_keras_folds.py",
    "tests/models/test_models_cli.py",
)


def pytest_collection_modifyitems(config, items):
    """Put the modules of ``LONGEST_FIRST`` first, in that order; the others keep theirs."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    missing = [name for name in LONGEST_FIRST if not (REPO / name).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py: LONGEST_FIRST names {missing}, which do not exist")
    items.sort(key=lambda item: rank.get(Path(item.path).relative_to(REPO).as_posix(), len(rank)))


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
