"""Run folders: each run writes into a new folder, never over an earlier one, and can be resumed.

Layout of a run folder::

    RUN/
      manifest.json            model, weights sha256, versions, device, seed, protocol text, status
      protocol.yaml            the effective protocol (after command-line overrides)
      responses/<layer>.nc     the layer's responses to every stimulus set (netCDF, v1lab.recording.dataset)
      responses/<layer>.parts/<set>.nc   one set's responses while the layer is being recorded (for resuming)
      units.csv, units.parquet one row per unit (v1lab.units)
      .lock                    held (``flock``) by the process writing the run; it holds that process's id
      ...

Every file is written atomically (``v1lab.runs.atomic``), so an interrupted run leaves only whole files: resuming
keeps every file that exists and computes only what is missing. The manifest's ``status`` is one of
:data:`STATUSES`.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import shutil
import socket
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from v1lab.errors import RunFolderError, StorageError
from v1lab.runs.atomic import write_json, write_text

try:
    import fcntl
except ImportError:  # not POSIX: runs are not locked
    fcntl = None

__all__ = ["RunFolder", "STATUSES", "package_versions"]

#: A run's status in its manifest: being written (or killed outright), finished, stopped by SIGINT/SIGTERM,
#: stopped by an error (recorded as ``error``). Every status but ``complete`` can be resumed.
STATUSES = ("running", "complete", "interrupted", "failed")

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

    def __init__(self, path: Path, *, created: bool = False):
        self.path = Path(path)
        self.created = created  # made by RunFolder.create (removed by discard)

    # -- creation ---------------------------------------------------------------------------------
    @classmethod
    def create(cls, root: str | Path, name: str, *, out: str | Path | None = None) -> "RunFolder":
        """Make a new, empty run folder: ``out`` if given (must not exist or be empty), else
        ``root/<name>-<UTC timestamp>`` with a numeric suffix if that exists already."""
        if out is not None:
            path = Path(out)
            if path.exists() and not path.is_dir():
                raise RunFolderError(f"--out {path}: a file, not a folder; expected a new or empty folder")
            if path.exists() and any(path.iterdir()):
                raise RunFolderError(
                    f"--out {path}: folder exists and is not empty; runs never overwrite earlier results "
                    "(choose a new folder, or --resume it)"
                )
            created = not path.exists()
            _mkdir(path, parents=True, exist_ok=True)
            return cls(path, created=created)
        root = Path(root)
        _mkdir(root, parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        for k in range(1000):
            path = root / (f"{_safe(name)}-{stamp}" + (f"-{k}" if k else ""))
            try:
                _mkdir(path)
            except FileExistsError:
                continue
            return cls(path, created=True)
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
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RunFolderError(f"{self.manifest_path}: unreadable manifest ({exc.msg})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RunFolderError(f"{self.manifest_path}: unreadable manifest ({exc}); expected UTF-8 JSON") from None
        if not isinstance(manifest, dict):
            raise RunFolderError(f"{self.manifest_path}: a JSON {type(manifest).__name__}; expected an object")
        return manifest

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
        self._mark("complete", finished=_now(), **extra)

    def interrupted(self, signal_name: str) -> None:
        """Mark the run interrupted by a signal (``SIGINT``, ``SIGTERM``); it can be resumed."""
        self._mark("interrupted", interrupted=_now(), signal=signal_name)

    def failed(self, error: BaseException) -> None:
        """Mark the run failed, with the error (type and one-line message); it can be resumed."""
        self._mark("failed", failed=_now(), error=f"{type(error).__name__}: {' '.join(str(error).split())}")

    def _mark(self, status: str, **extra) -> None:
        manifest = self.read_manifest()
        for key in ("finished", "interrupted", "signal", "failed", "error"):   # left by an earlier attempt
            manifest.pop(key, None)
        manifest.update(extra, status=status)
        write_json(self.manifest_path, manifest)

    def discard(self) -> None:
        """Remove what a new run wrote before anything was recorded (and the folder, if create made it)."""
        if self.created:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        for name in ("protocol.yaml", "manifest.json", ".lock"):
            (self.path / name).unlink(missing_ok=True)

    # -- lock -------------------------------------------------------------------------------------
    @contextmanager
    def locked(self):
        """Hold the folder's lock (``RUN/.lock``, ``flock``) for the duration: a second process that tries to
        write the same run is refused with the first one's process id. The lock ends with its process."""
        if fcntl is None:
            yield self
            return
        try:
            fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError(f"{self.path / '.lock'}: not created ({exc.strerror}); expected a writable "
                               "run folder") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
                raise RunFolderError(f"{self.path}: is being written by another v1lab process (pid {pid}); "
                                     "expected one process per run folder: wait for it to finish, or stop it and "
                                     "then resume") from None
            try:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            except OSError:
                pass  # the process id is a courtesy; the lock is what counts (e.g. on a full disk)
            yield self
        finally:
            os.close(fd)  # releases the lock

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


def _mkdir(path: Path, **options) -> None:
    try:
        path.mkdir(**options)
    except FileExistsError:
        if not options.get("exist_ok"):
            raise  # a name taken: the caller tries the next
        raise StorageError(f"{path}: a file, not a folder; expected a folder for run folders (output.root or "
                           "--out)") from None
    except OSError as exc:
        raise StorageError(f"{path}: run folder not created ({exc.strerror}); expected a writable place for "
                           "results (output.root or --out)") from None


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
