"""Failures are recorded: a full disk, SIGTERM, SIGINT and a second process each end in one line, a manifest that
says what happened, no temporary file, and a run that ``--resume`` finishes with the same results."""

import errno
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd
import pytest
import yaml

from v1lab.cli import main

HERE = Path(__file__).parent
MODEL = f"python:{HERE / 'tiny_net.py'}:make_slow"   # TINY_NET_DELAY_S sets its speed; 0 here


def _inline(name: str, sf: float) -> dict:
    return {"inline": {"name": name, "family": "grating", "fixed": {"sf_cpd": sf},
                       "grid": {"orientation_deg": [0, 45, 90, 135], "phase_deg": [0, 90, 180, 270]}}}


@pytest.fixture(scope="module")
def protocol(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("failures")
    data = {"name": "failures", "model": MODEL, "device": "cpu", "layers": [{"name": "relu", "label": "conv1"}],
            "stimuli": [_inline("a", 2.0), _inline("b", 4.0), _inline("c", 6.0)],
            "analyses": {"roles": {"luminance_gratings": "a"}, "fits": False},
            "output": {"root": str(tmp / "runs"), "formats": ["csv"], "report": False, "batch_size": 2,
                       "max_memory": "1TB"}}  # batches of 2 whatever the worker holds (as in test_run.py)
    path = tmp / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def reference(protocol) -> Path:
    out = protocol.parent / "reference"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TINY_NET_DELAY_S", "0")
        assert main(["run", str(protocol), "--trust-code", "--no-progress", "--out", str(out)]) == 0
    return out


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _resume(line: str) -> list[str]:
    command = shlex.split(line.split("resume with: ")[1])
    assert command[0] == "v1lab"
    return command[1:]


def _same_results(run: Path, reference: Path) -> None:
    assert json.loads((run / "manifest.json").read_text())["status"] == "complete"
    assert not [p for p in run.rglob("*.tmp")] and not (run / "responses" / "conv1.parts").exists()
    pd.testing.assert_frame_equal(pd.read_csv(run / "units.csv"), pd.read_csv(reference / "units.csv"))


@pytest.mark.parametrize("pattern", ["*.parts/b.nc", "conv1.nc", "units.csv", "manifest.json"])
def test_a_full_disk_is_one_line_a_failed_manifest_and_a_resumable_run(protocol, reference, tmp_path, capsys,
                                                                     monkeypatch, pattern):
    """The write of ``pattern`` fails with ENOSPC once (for the manifest: the one marking the run complete)."""
    monkeypatch.setenv("TINY_NET_DELAY_S", "0")
    replace, seen = os.replace, []

    def full_disk(src, dst):
        if fnmatch(str(dst), f"*/{pattern}"):
            seen.append(dst)
            if len(seen) == (2 if pattern == "manifest.json" else 1):
                raise OSError(errno.ENOSPC, "No space left on device", str(src))
        return replace(src, dst)

    monkeypatch.setattr(os, "replace", full_disk)
    out = tmp_path / "run"
    assert main(["run", str(protocol), "--trust-code", "--no-progress", "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"v1lab: error: {seen[-1]}: not written, no space left on the device")
    assert f"the run is marked failed; resume with: v1lab run {protocol} --trust-code --no-progress --resume" in line
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "no space left" in manifest["error"]
    assert not [p for p in out.rglob("*.tmp")]
    assert pattern == "manifest.json" or not Path(seen[-1]).exists()
    monkeypatch.setattr(os, "replace", replace)          # space is free again
    assert main(_resume(line)) == 0
    _same_results(out, reference)


def _unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


SMALL_DISK = '''
import contextlib, io, json, subprocess, sys
from pathlib import Path
from v1lab.cli import main
mnt, protocol, result = sys.argv[1:4]
run = Path(mnt) / "run"
err = io.StringIO()
with contextlib.redirect_stderr(err):
    first = main(["run", protocol, "--trust-code", "--no-progress", "--out", str(run)])
state = {"first": first, "err": err.getvalue(), "files": sorted(str(p.relative_to(run)) for p in run.rglob("*")),
         "manifest": json.loads((run / "manifest.json").read_text())}
subprocess.run(["mount", "-o", "remount,size=64m", "tmpfs", mnt], check=True)
state["second"] = main(["run", protocol, "--trust-code", "--no-progress", "--resume", str(run)])
state["units"] = (run / "units.csv").read_text()
state["status"] = json.loads((run / "manifest.json").read_text())["status"]
Path(result).write_text(json.dumps(state))
'''


@pytest.mark.slow
@pytest.mark.skipif(not _unshare_works(), reason="needs `unshare -rm` (user and mount namespaces) for a small tmpfs")
def test_a_real_small_filesystem(protocol, reference, tmp_path):
    """``--out`` on a 64 kB tmpfs (in a private mount namespace): the run fails in one line, without a segmentation
    fault or a temporary file, and resumes once the filesystem is enlarged."""
    mnt, result = tmp_path / "mnt", tmp_path / "result.json"
    mnt.mkdir()
    (tmp_path / "small_disk.py").write_text(SMALL_DISK)
    script = (f"mount -t tmpfs -o size=64k tmpfs {shlex.quote(str(mnt))} && exec {shlex.quote(sys.executable)} "
              f"{shlex.quote(str(tmp_path / 'small_disk.py'))} {shlex.quote(str(mnt))} "
              f"{shlex.quote(str(protocol))} {shlex.quote(str(result))}")
    env = {**os.environ, "TINY_NET_DELAY_S": "0"}
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]   # 139 would be a segmentation fault
    state = json.loads(result.read_text())
    line = _one_line(state["err"])
    assert state["first"] == 2 and "no space left on the device" in line and "resume with:" in line
    assert state["manifest"]["status"] == "failed" and "no space left" in state["manifest"]["error"]
    assert not [f for f in state["files"] if f.endswith(".tmp")], state["files"]
    assert state["second"] == 0 and state["status"] == "complete"
    assert state["units"] == (reference / "units.csv").read_text()


def _start(protocol: Path, out: Path, delay: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "v1lab", "run", str(protocol), "--trust-code", "--no-progress", "--out", str(out)]
    # SIGINT back to its default in the child: a shell that starts the suite in the background (`make test &`)
    # leaves SIGINT ignored, and Python then never raises KeyboardInterrupt
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TINY_NET_DELAY_S": delay}, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for(path_glob, folder: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while not list(folder.glob(path_glob)):
        assert proc.poll() is None, proc.stderr.read()
        assert time.time() < deadline, f"no {path_glob} in {folder}"
        time.sleep(0.1)


@pytest.mark.slow
def test_sigterm_and_a_second_process(protocol, reference, tmp_path, capsys, monkeypatch):
    """A second process that resumes a running run is refused by the lock; SIGTERM marks the run interrupted,
    exits 143 and prints the command that resumes it, which finishes it with the same results."""
    out = tmp_path / "run"
    proc = _start(protocol, out, delay="0.3")
    try:
        _wait_for("manifest.json", out, proc)
        assert main(["run", str(protocol), "--trust-code", "--no-progress", "--resume", str(out)]) == 2
        line = _one_line(capsys.readouterr().err)
        assert f"{out}: is being written by another v1lab process (pid {proc.pid})" in line
        _wait_for("responses/conv1.parts/a.nc", out, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 143
    finally:
        proc.kill()
        err = proc.stderr.read()
        proc.stderr.close()
    line = _one_line(err)
    assert line == f"v1lab: interrupted; resume with: v1lab run {protocol} --trust-code --no-progress --resume {out}"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["signal"] == "SIGTERM"
    assert not [p for p in out.rglob("*.tmp")] and not (out / "units.csv").exists()
    monkeypatch.setenv("TINY_NET_DELAY_S", "0")
    assert main(_resume(line)) == 0
    _same_results(out, reference)


@pytest.mark.slow
def test_sigint(protocol, tmp_path):
    out = tmp_path / "run"
    proc = _start(protocol, out, delay="0.3")
    try:
        _wait_for("responses/conv1.parts/a.nc", out, proc)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130
    finally:
        proc.kill()
        err = proc.stderr.read()
        proc.stderr.close()
    assert _one_line(err).startswith("v1lab: interrupted; resume with: v1lab run ")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["signal"] == "SIGINT"
    assert not [p for p in out.rglob("*.tmp")]


def test_no_folder_before_validation_passes(protocol, tmp_path, capsys):
    """A bad layer is found after the model is loaded and before the run folder is created."""
    root = tmp_path / "runs"
    assert main(["run", str(protocol), "--trust-code", "--no-progress", "--layers", "conv9",
                 "--set", f"output.root={root}"]) == 2
    assert "'layers.0.name'" in _one_line(capsys.readouterr().err)
    assert not root.exists()
