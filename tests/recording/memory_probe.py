"""Subprocess of test_memory.py: record a grating set with a planted network and print the peak RSS rise.

``python memory_probe.py MAX_BATCH:ROOM_MB ...`` imports torch and v1lab once, then forks one child per probe,
one after the other, so each probe starts from the same fresh process without paying for the imports again.
Each child records 256 gratings on a 64 x 64 canvas with batches sized by
:func:`v1lab.recording.plan_memory` for a budget of the current resident set, the workspace and ``ROOM_MB``
(``0``: no plan at all, both batches are ``MAX_BATCH``), and prints one line of JSON: the batches and the rise of the peak resident
set (VmHWM, reset through ``/proc/self/clear_refs``) above the resident set at the start of the recording, in
bytes.
"""

import json
import os
import sys
import traceback

import torch
from torch import nn

from recording_nets import wrap
from v1lab.recording import CentreUnitRecorder, plan_memory
from v1lab.recording.memory import WORKSPACE_BYTES, baseline_bytes
from v1lab.stimuli import stimulus_set_from_dict


def _status(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith(key))


def main(max_batch: int, room_mb: float) -> dict:
    torch.manual_seed(0)
    # the pooled unit sees the whole 64 x 64 image; 32-channel maps make the forward pass's memory dominate
    net = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1),
                        nn.AvgPool2d(64))
    rec = CentreUnitRecorder(wrap(net, 64), "3", device="cpu", batch_size=max_batch)
    stim = stimulus_set_from_dict({"name": "g", "family": "grating", "grid": {
        "orientation_deg": {"linspace": [0, 180], "num": 16, "endpoint": False},
        "sf_cpd": {"geomspace": [1, 8], "num": 4}, "phase_deg": [0, 90, 180, 270]}})
    rec.record(stim.render(rec.canvas, range(4)))  # warm-up: one-off allocations are not the batch's
    if room_mb:
        plan = plan_memory(rec, int(baseline_bytes(rec.device) + WORKSPACE_BYTES + room_mb * 1e6), max_batch=max_batch)
        record_batch, render_batch, predicted = plan.record_batch, plan.render_batch, plan.peak - plan.baseline
    else:
        record_batch, render_batch, predicted = max_batch, max_batch, None
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")
    start = _status("VmRSS")
    rec.record_set(stim, batch_size=record_batch, render_batch_size=render_batch)
    return {"record_batch": record_batch, "render_batch": render_batch, "predicted_rise": predicted,
            "rise": _status("VmHWM") - start}


def _forked(max_batch: int, room_mb: float) -> None:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            print(json.dumps(main(max_batch, room_mb)), flush=True)
        except BaseException:  # noqa: BLE001 - reported, and the exit status says so
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"probe {max_batch}:{room_mb} exited with {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        batch, room = arg.split(":")
        _forked(int(batch), float(room))
