"""A run's life in its manifest: interrupted by SIGINT or SIGTERM, failed with its error, always resumable.

:func:`recording` wraps the part of a run that writes results. Ctrl-C (SIGINT) and SIGTERM stop it cleanly:
the manifest's status becomes ``interrupted`` and :class:`RunInterrupted` carries the command that resumes the
run (the command line exits with 128 + the signal's number: 130 or 143). Any other exception marks the run
``failed`` with the error in the manifest; a :class:`~v1lab.errors.V1labError` is re-raised as one line that
also says how to resume.
"""

from __future__ import annotations

import shlex
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

from v1lab.errors import V1labError
from v1lab.runs.folder import RunFolder

__all__ = ["RunInterrupted", "recording", "marking", "resume_command"]


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by a signal; its manifest says ``interrupted``.

    Attributes
    ----------
    run_dir : pathlib.Path
        The run folder.
    resume : str
        The command (or Python call) that finishes the run.
    signum : int
        The signal's number (``signal.SIGINT`` or ``signal.SIGTERM``).
    """

    def __init__(self, run_dir: Path, resume: str, signum: int):
        super().__init__(f"{run_dir}: interrupted by {signal.Signals(signum).name}; resume with: {resume}")
        self.run_dir, self.resume, self.signum = Path(run_dir), resume, int(signum)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt."""

    signum = signal.SIGTERM


def _raise_terminated(signum, frame):
    raise _Terminated()


def resume_command(argv: list[str] | None, run_dir: Path) -> str:
    """The command that resumes ``run_dir``: ``argv`` (a ``v1lab run`` command line) without ``--out`` and with
    ``--resume RUN_DIR``; for a run started from Python (``argv`` None), the ``run_protocol`` call."""
    if argv is None:
        return f"run_protocol(..., resume={str(run_dir)!r})"
    kept, skip = [], False
    for arg in argv[1:]:
        if skip or arg.startswith(("--out=", "--resume=")):
            skip = False
            continue
        if arg in ("--out", "--resume"):
            skip = True
            continue
        kept.append(arg)
    return shlex.join(["v1lab", *kept, "--resume", str(run_dir)])


@contextmanager
def _quiet_signals():
    """SIGINT and SIGTERM ignored while a status is written (a second Ctrl-C cannot leave it half-done)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _mark(write, *args) -> str:
    """Write a status; '' on success, else why it could not be written (the run's own error comes first)."""
    try:
        with _quiet_signals():
            write(*args)
    except (OSError, V1labError) as exc:
        return f" (the manifest could not be updated: {exc})"
    return ""


@contextmanager
def marking(folder: RunFolder):
    """Mark ``folder`` interrupted or failed when the block is stopped by a signal or an exception."""
    try:
        yield folder
    except KeyboardInterrupt as exc:
        _mark(folder.interrupted, signal.Signals(getattr(exc, "signum", signal.SIGINT)).name)
        raise
    except Exception as exc:
        _mark(folder.failed, exc)
        raise


@contextmanager
def recording(folder: RunFolder, resume: str):
    """Write a run's results: SIGTERM stops it like Ctrl-C, and either marks it ``interrupted`` and raises
    :class:`RunInterrupted`; an exception marks it ``failed`` (a V1labError gains the ``resume`` hint)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if main else None
    try:
        yield folder
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        _mark(folder.interrupted, signal.Signals(signum).name)
        raise RunInterrupted(folder.path, resume, signum) from None
    except V1labError as exc:
        note = _mark(folder.failed, exc)
        raise type(exc)(f"{exc}; the run is marked failed{note}; resume with: {resume}") from None
    except Exception as exc:
        _mark(folder.failed, exc)
        raise
    finally:
        if main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
