"""The memory budget: the probe's forward working set equals a planted network's activations, the batches fit the
budget, and the peak resident memory stays flat when the batch is raised 8-fold (RSS probe, subprocess)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from recording_nets import wrap
from torch import nn

from v1lab.recording import CentreUnitRecorder, plan_memory
from v1lab.recording.memory import (CPU_WORKING_SET_BYTES, WORKSPACE_BYTES, baseline_bytes,
                                   forward_bytes_per_stimulus)
from v1lab.stimuli.stimulus_set import RENDER_BYTES_PER_PIXEL

HERE = Path(__file__).parent


def _recorder(c1=16, c2=40, max_batch=64):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, c1, 3, padding=1), nn.ReLU(), nn.Conv2d(c1, c2, 3, padding=1))
    return CentreUnitRecorder(wrap(net, 32), "2", device="cpu", batch_size=max_batch, fold_batch_norm=False)


@pytest.mark.parametrize("c1, c2", [(16, 40), (24, 4)])
def test_forward_working_set_is_the_largest_set_of_live_activations(c1, c2):
    rec = _recorder(c1, c2)
    h, w = rec.canvas_shape                      # the 5 x 5 crop of the second conv's centre unit
    # Sequential keeps a module's input alive while it runs: conv1 out + ReLU out, then ReLU out + conv2 out
    want = max(c1, 2 * c1, c1 + c2) * h * w * 4
    assert (h, w) == (5, 5) and forward_bytes_per_stimulus(rec) == want


def test_batches_fit_the_budget_and_never_exceed_the_batch_size():
    rec = _recorder()
    room = 200_000
    plan = plan_memory(rec, baseline_bytes(rec.device) + WORKSPACE_BYTES + room, max_batch=64)
    per_stimulus = 3 * plan.image_bytes + plan.forward_bytes
    assert plan.image_bytes == 3 * 25 * 4 and plan.render_bytes == RENDER_BYTES_PER_PIXEL * 25
    assert 1 <= plan.record_batch < 64 and plan.record_batch * per_stimulus <= room + 1e5  # baseline moves a little
    assert plan.render_batch <= plan.record_batch and plan.peak <= plan.budget + 1e5 and not plan.note
    roomy = plan_memory(rec, 2**40, max_batch=64)
    assert roomy.record_batch == roomy.render_batch == 64
    tight = plan_memory(rec, 1, max_batch=64)
    assert tight.record_batch == tight.render_batch == 1 and "below what one stimulus needs" in tight.note



@pytest.mark.parametrize("c1, c2", [(16, 40), (1024, 8)])
def test_cpu_batches_hold_at_most_the_working_set_of_activations(c1, c2):
    rec = _recorder(c1, c2, max_batch=4096)
    forward = forward_bytes_per_stimulus(rec)   # 5,600 B (first) or 204,800 B per stimulus (second)
    plan = plan_memory(rec, 2**40, max_batch=4096)
    fits = CPU_WORKING_SET_BYTES // forward     # 11,983 or 327 stimuli
    assert plan.record_batch == min(4096, fits) and plan.forward_bytes == forward
    assert (plan.record_batch + 1) * forward > CPU_WORKING_SET_BYTES or plan.record_batch == 4096
    small = plan_memory(rec, 2**40, max_batch=7)  # the batch size still caps it
    assert small.record_batch == 7

def _probes(*runs: tuple[int, float]) -> list[dict]:
    """Each (max batch, room in MB) probed in a fresh child process (memory_probe.py)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    out = subprocess.run([sys.executable, str(HERE / "memory_probe.py"), *(f"{b}:{r}" for b, r in runs)], env=env,
                         capture_output=True, text=True, check=True, timeout=300)
    return [json.loads(line) for line in out.stdout.strip().splitlines()[-len(runs):]]


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="needs Linux's resettable VmHWM")
def test_peak_memory_stays_flat_when_the_batch_size_is_raised_8_fold():
    unbounded_small, unbounded_large, small, large = _probes((32, 0), (256, 0), (32, 40), (256, 40))
    # the probe sees the batch: without a budget, 8 times the batch is several times the memory (~1 MB/stimulus)
    assert unbounded_large["rise"] > unbounded_small["rise"] + 150e6
    assert small["record_batch"] <= 32 and large["record_batch"] <= 40
    assert large["rise"] < small["rise"] + 20e6
