"""Atomic file writes: a file either appears whole or not at all (never a half-written result).

A write that fails (a full disk, no permission, a read-only file system) leaves no temporary file behind and
raises one :class:`~v1lab.errors.StorageError` line naming the file, never a traceback.
"""

import errno
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from v1lab.errors import StorageError

__all__ = ["atomic_path", "write_bytes", "write_text", "write_json"]

_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _storage_error(path: Path, exc: OSError) -> StorageError:
    if exc.errno in _FULL:
        return StorageError(f"{path}: not written, no space left on the device ({exc.strerror}); expected free "
                            "space: free some, then resume the run")
    return StorageError(f"{path}: not written ({exc.strerror or exc}); expected a writable folder")


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; on success rename it onto ``path`` (``os.replace``).

    The temporary file is removed whatever happens; an ``OSError`` while writing becomes a
    :class:`~v1lab.errors.StorageError` naming ``path``.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise _storage_error(path, exc) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, obj) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")
