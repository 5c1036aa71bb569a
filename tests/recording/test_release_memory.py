"""release_free_memory hands freed heap pages back: a child process frees most of 200 MB of small blocks; its
resident set stays where it was (glibc keeps the pages) until it calls the function, and then falls by most of it."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import ctypes, json
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
    touched = rss()
    for b in blocks[:-1]:
        libc.free(b)                                             # the last block pins the heap's top
    freed = rss()
    released = release_free_memory()
    print(json.dumps({"touched": touched, "freed": freed, "released": released, "after": rss()}))
""")


def _child() -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not os.path.exists("/proc/self/status") or not hasattr(os, "confstr")
                    or "glibc" not in (os.confstr("CS_GNU_LIBC_VERSION") or ""), reason="needs Linux with glibc")
def test_freed_heap_pages_go_back_to_the_system_only_when_released():
    child = _child()
    assert child["freed"] > child["touched"] - 20 * 2**20       # glibc alone keeps (nearly) all of them
    assert child["released"] is True
    assert child["after"] < child["freed"] - 150 * 2**20         # most of the 200 MiB are handed back
