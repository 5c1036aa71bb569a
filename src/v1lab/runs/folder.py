"""Run folders: each run writes into a new folder, never over an earlier one, and can be resumed.

Layout of a run folder::

    RUN/
      manifest.json            model, weights sha256, versions, device, seed, protocol text, status
      protocol.yaml            the effective protocol (after command-line overrides)
      responses/<layer>.nc     the layer's responses to every stimulus set (netCDF, v1lab.recording.dataset)
      responses/<layer>.parts/<set>.nc   one set's responses while the layer is being recorded (for resuming)
      units.csv, units.parquet one row per unit (v1lab.units)
      ...

Every file is written atomically (``v1lab.runs.atomic``), so an interrupted run leaves only whole files: resuming
keeps every file that exists and computes only what is missing.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import platform
import socket
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from v1lab.runs.atomic import write_json, write_text
from v1lab.errors import RunFolderError

__all__ = ["RunFolder", "package_versions"]

_PACKAGES = (
    "v1lab", "torch", "torchvision", "numpy", "scipy", "pandas", "statsmodels", "xarray",
    "colour-science", "seaborn", "pydantic",
)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a result depends on (and Python's)."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


class RunFolder:
    """A run's folder on disk: creation, resumption, manifest and result paths."""

    def __init__(self, path: Path):
        self.path = Path(path)

    # -- creation ---------------------------------------------------------------------------------
    @classmethod
    def create(cls, root: str | Path, name: str, *, out: str | Path | None = None) -> "RunFolder":
        """Make a new, empty run folder: ``out`` if given (must not exist or be empty), else
        ``root/<name>-<UTC timestamp>`` with a numeric suffix if that exists already."""
        if out is not None:
            path = Path(out)
            if path.exists() and any(path.iterdir()):
                raise RunFolderError(
                    f"--out {path}: folder exists and is not empty; runs never overwrite earlier results "
                    "(choose a new folder, or --resume it)"
                )
            path.mkdir(parents=True, exist_ok=True)
            return cls(path)
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        for k in range(1000):
            path = root / (f"{_safe(name)}-{stamp}" + (f"-{k}" if k else ""))
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return cls(path)
        raise RunFolderError(f"{root}: could not create a new run folder for {name}")

    @classmethod
    def resume(cls, path: str | Path, protocol_text: str) -> "RunFolder":
        """Re-open an interrupted run; the effective protocol must be the one it started with."""
        folder = cls(Path(path))
        manifest = folder.read_manifest()
        if manifest.get("protocol_sha256") != _sha256_text(protocol_text):
            raise RunFolderError(
                f"--resume {path}: the protocol differs from the one this run started with "
                "(resume with the same file and options, or start a new run)"
            )
        return folder

    # -- manifest ---------------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def read_manifest(self) -> dict:
        if not self.manifest_path.is_file():
            raise RunFolderError(f"{self.path}: not a v1lab run folder (no manifest.json)")
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RunFolderError(f"{self.manifest_path}: unreadable manifest ({exc.msg})") from None

    def start(self, *, protocol_text: str, model_spec: str, weights_sha256: str | None, device: str,
              seed: int, argv: list[str] | None = None) -> dict:
        """Write ``protocol.yaml`` and a new manifest (or update it when resuming)."""
        write_text(self.path / "protocol.yaml", protocol_text)
        previous = self.read_manifest() if self.manifest_path.is_file() else {}
        manifest = {
            "v1lab_run": 2,
            "model": model_spec,
            "weights_sha256": weights_sha256,
            "device": device,
            "seed": seed,
            "versions": package_versions(),
            "platform": platform.platform(),
            "host": socket.gethostname(),
            "user": getpass.getuser(),
            "command": argv if argv is not None else sys.argv,
            "protocol": protocol_text,
            "protocol_sha256": _sha256_text(protocol_text),
            "started": previous.get("started", _now()),
            "resumed": previous.get("resumed", []) + ([_now()] if previous else []),
            "status": "running",
        }
        write_json(self.manifest_path, manifest)
        return manifest

    def finish(self, **extra) -> None:
        """Mark the run complete (with any extra fields, e.g. timings)."""
        manifest = self.read_manifest()
        manifest.update(extra, status="complete", finished=_now())
        write_json(self.manifest_path, manifest)

    # -- result paths -----------------------------------------------------------------------------
    def layer_path(self, layer: str) -> Path:
        """A layer's responses: ``responses/<layer>.nc`` (or, in a v1lab 0.1 folder, ``responses/<layer>/``)."""
        path = self.path / "responses" / f"{_safe(layer)}.nc"
        legacy = self.path / "responses" / _safe(layer)
        return legacy if not path.exists() and legacy.is_dir() else path

    def parts_folder(self, layer: str) -> Path:
        """Where a layer's sets are kept while it is being recorded (removed once the layer's file is written)."""
        return self.path / "responses" / f"{_safe(layer)}.parts"

    def part_path(self, layer: str, stimulus_set: str) -> Path:
        """One set's responses while the layer is being recorded."""
        return self.parts_folder(layer) / f"{_safe(stimulus_set)}.nc"

    def file(self, name: str) -> Path:
        return self.path / name


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
