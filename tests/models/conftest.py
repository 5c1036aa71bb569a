"""Fixtures for the model-zoo tests: an empty per-test v1lab home and torch home, offline by default."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from v1lab.models import resnet50_caffe
from v1lab.models.registry import NAMED


@pytest.fixture
def offline_home(tmp_path, monkeypatch) -> Path:
    """A fresh ``$V1LAB_HOME`` and ``$TORCH_HOME`` under tmp_path, with ``$V1LAB_OFFLINE=1``."""
    monkeypatch.setenv("V1LAB_HOME", str(tmp_path / "v1lab"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("V1LAB_OFFLINE", "1")
    return tmp_path


@pytest.fixture(scope="session")
def cached_caffe_weights():
    """Paths (archive, path, sidecar) of resnet50-caffe in the default cache, else skip.

    The cache is filled by ``v1lab fetch resnet50-caffe`` (CI runs it before pytest).
    """
    weights = resnet50_caffe.WEIGHTS
    if not (resnet50_caffe.is_cached() and weights.archive.is_file()):
        pytest.skip(f"resnet50-caffe weights not in {weights.folder}; run `v1lab fetch resnet50-caffe` first "
                    "(CI does so before pytest)")
    return SimpleNamespace(archive=weights.archive, path=weights.path, sidecar=weights.sidecar)


@pytest.fixture(scope="session")
def cached_zoo_weights():
    """``need(name)``: paths (archive, path, sidecar) of a named model in the default cache, else skip.

    The paths are resolved when the session starts, before a test points ``$V1LAB_HOME`` elsewhere.
    ``make fetch`` (run by ``make test``) fills the cache for every named model with weights.
    """
    found = {name: (model.is_cached() and model.weights.archive.is_file(), model.weights.folder,
                    SimpleNamespace(archive=model.weights.archive, path=model.weights.path,
                                    sidecar=model.weights.sidecar))
             for name, model in NAMED.items() if model.weights is not None}

    def need(name: str) -> SimpleNamespace:
        cached, folder, paths = found[name]
        if not cached:
            pytest.skip(f"{name} weights not in {folder}; run `v1lab fetch {name}` first (`make test` does so)")
        return paths

    return need
