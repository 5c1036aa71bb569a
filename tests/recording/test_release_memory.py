"""release_free_memory hands freed heap pages back: a child process frees most of 200 MB of small blocks, and its
resident set falls by most of that only when it calls the function (glibc keeps the pages otherwise)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import ctypes, json, sys
    from v1lab.recording.memory import release_free_memory

    def rss():
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS"))

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(64 * 1024) for _ in range(3200)]      # 200 MiB below the mmap threshold: the heap
    for b in blocks:
        ctypes.memset(b, 1, 64 * 1024)                           # touched, so resident
    for b in blocks[:-1]:
        libc.free(b)                                             # the last block pins the heap's top
    before = rss()
    released = release_free_memory() if sys.argv[1] == "release" else None
    print(json.dumps({"before": before, "after": rss(), "released": released}))
""")


def _child(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not os.path.exists("/proc/self/status") or not hasattr(os, "confstr")
                    or "glibc" not in (os.confstr("CS_GNU_LIBC_VERSION") or ""), reason="needs Linux with glibc")
def test_freed_heap_pages_go_back_to_the_system_only_when_released():
    kept, released = _child("keep"), _child("release")
    assert kept["after"] > kept["before"] - 20 * 2**20          # glibc alone keeps (nearly) all of them
    assert released["released"] is True
    assert released["after"] < released["before"] - 150 * 2**20  # most of the 200 MiB are handed back
