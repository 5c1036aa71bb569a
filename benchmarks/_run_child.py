"""``python -m benchmarks._run_child CUDA_JSON ARGS...``: ``v1lab ARGS...``, then torch's CUDA memory peaks.

The child process of :mod:`benchmarks.memory`: where the run used CUDA, ``max_memory_allocated`` and
``max_memory_reserved`` of the current device (MiB) are written to ``CUDA_JSON``.
"""

import json
import sys
from pathlib import Path

import torch

from v1lab.cli import main


def _run(argv) -> int:
    code = main(argv[1:])
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        peaks = {"max_memory_allocated_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1),
                 "max_memory_reserved_mib": round(torch.cuda.max_memory_reserved() / 2**20, 1)}
        Path(argv[0]).write_text(json.dumps(peaks), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(_run(sys.argv[1:]))
