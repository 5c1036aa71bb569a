"""Run folders: atomic writes that fail cleanly, the status values, the lock, SIGTERM as an interrupt."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from v1lab.errors import ProtocolError, RunFolderError, StorageError
from v1lab.runs import STATUSES, RunFolder, RunInterrupted, atomic_path, recording, resume_command, write_text


def _no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "no space left on the device"),
                                         (errno.EACCES, "Permission denied")])
def test_a_failed_write_is_one_line_naming_the_file_and_leaves_nothing(tmp_path, code, words):
    target = tmp_path / "out" / "units.csv"
    with pytest.raises(StorageError) as info:
        with atomic_path(target) as tmp:
            tmp.write_text("half a file")
            raise OSError(code, os.strerror(code), str(tmp))
    message = str(info.value)
    assert message.startswith(f"{target}: not written") and words in message and "\n" not in message
    assert not target.exists() and _no_temporaries(tmp_path)


def test_a_write_under_a_file_is_a_storage_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="file/a.txt: not written"):
        write_text(tmp_path / "file" / "a.txt", "y")
    with pytest.raises(StorageError, match="a file, not a folder"):
        RunFolder.create(tmp_path / "file", "run")
    with pytest.raises(RunFolderError, match="--out .*a file, not a folder"):
        RunFolder.create("runs", "run", out=tmp_path / "file")


def _started(tmp_path) -> RunFolder:
    folder = RunFolder.create(tmp_path, "run")
    folder.start(protocol_text="name: run\n", model_spec="m", weights_sha256=None, device="cpu", seed=0, argv=["v1lab"])
    return folder


def test_status_values(tmp_path):
    folder = _started(tmp_path)
    assert folder.read_manifest()["status"] == "running"
    folder.interrupted("SIGTERM")
    assert {k: folder.read_manifest().get(k) for k in ("status", "signal")} == {"status": "interrupted",
                                                                              "signal": "SIGTERM"}
    folder.failed(ProtocolError("x.yaml: field 'a'\n bad"))
    manifest = folder.read_manifest()
    assert manifest["status"] == "failed" and manifest["error"] == "ProtocolError: x.yaml: field 'a' bad"
    assert "signal" not in manifest
    folder.finish(n_units=3)
    manifest = folder.read_manifest()
    assert manifest["status"] == "complete" and "error" not in manifest and manifest["n_units"] == 3
    assert STATUSES == ("running", "complete", "interrupted", "failed")


def test_the_lock_refuses_a_second_writer_with_the_first_ones_pid(tmp_path):
    folder = _started(tmp_path)
    with folder.locked():
        with pytest.raises(RunFolderError, match=rf"is being written by another v1lab process \(pid {os.getpid()}\)"):
            with RunFolder(folder.path).locked():
                pass
    with RunFolder(folder.path).locked():   # released
        pass


def test_the_lock_holds_across_processes(tmp_path):
    folder = _started(tmp_path)
    holder = (f"import sys, time; sys.path.insert(0, {str(Path(__file__).parents[2] / 'src')!r}); "
              "from v1lab.runs.folder import RunFolder; "
              f"lock = RunFolder({str(folder.path)!r}).locked(); lock.__enter__(); print('held', flush=True); "
              "time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(RunFolderError, match=rf"\(pid {proc.pid}\)"):
            with folder.locked():
                pass
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    with folder.locked():   # the lock ends with its process
        pass


def test_resume_command_drops_out_and_adds_resume():
    argv = ["v1lab", "run", "p q.yaml", "--out", "new", "--set", "seed=3", "--resume=old", "--trust-code"]
    assert resume_command(argv, Path("runs/r 1")) == ("v1lab run 'p q.yaml' --set seed=3 --trust-code "
                                                     "--resume 'runs/r 1'")
    assert resume_command(None, Path("runs/r")) == "run_protocol(..., resume='runs/r')"


def test_recording_marks_interrupted_on_sigterm_and_restores_the_handler(tmp_path):
    folder = _started(tmp_path)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(RunInterrupted) as info:
        with recording(folder, "v1lab run p.yaml --resume R"):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)   # the handler raises before this ends
    assert info.value.signum == signal.SIGTERM and info.value.resume == "v1lab run p.yaml --resume R"
    assert folder.read_manifest()["status"] == "interrupted"
    assert signal.getsignal(signal.SIGTERM) is before
    with pytest.raises(RunInterrupted) as info:
        with recording(folder, "R"):
            raise KeyboardInterrupt
    assert info.value.signum == signal.SIGINT and folder.read_manifest()["signal"] == "SIGINT"


def test_recording_marks_failed_with_the_error(tmp_path):
    folder = _started(tmp_path)
    with pytest.raises(ProtocolError, match=r"^bad value; the run is marked failed; resume with: CMD$"):
        with recording(folder, "CMD"):
            raise ProtocolError("bad value")
    assert folder.read_manifest()["error"] == "ProtocolError: bad value"
    with pytest.raises(ZeroDivisionError):   # a bug keeps its traceback, and is recorded too
        with recording(folder, "CMD"):
            raise ZeroDivisionError("division by zero")
    manifest = json.loads((folder.path / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"].startswith("ZeroDivisionError")
