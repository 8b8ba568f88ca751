"""Freed memory handed back to the system (glibc's allocator, for real)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from assistant.runtime import memory

glibc = pytest.mark.skipif(memory._libc() is None, reason="needs glibc (malloc_trim)")

# The start of each probe script, run in a fresh process: raw malloc/free, and the process's resident memory.
PROBE = textwrap.dedent("""
    import ctypes
    import sys
    from assistant.runtime import memory
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    def rss():
        return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS"))
""")


@glibc
def test_release_returns_free_pages_from_inside_the_heap() -> None:
    # In a fresh process: 40 MB of small blocks, all freed but the last (which pins the heap's top,
    # so glibc's own trimming at free cannot give any of it back). Only malloc_trim can.
    script = PROBE + textwrap.dedent("""
        blocks = [libc.malloc(1000) for _ in range(40_000)]
        for b in blocks:
            ctypes.memset(b, 1, 1000)
        pin = libc.malloc(1000)
        for b in blocks:
            libc.free(b)
        before = rss()
        released = memory.release()
        print(before - rss(), released)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    freed_kb, released = int(out[0]), out[1]
    assert released == "True"
    assert freed_kb > 30_000, f"malloc_trim gave back only {freed_kb} KB of ~40 MB freed"


@glibc
def test_tune_fixes_the_mmap_threshold() -> None:
    # A fresh process: after tune(), a freed 8 MB buffer does not raise the threshold, so the 4 MB ones
    # after it are mmapped too and go straight back to the system when freed.
    script = PROBE + textwrap.dedent("""
        if sys.argv[1] == "tuned":
            assert memory.tune()
        first = libc.malloc(8_000_000); libc.free(first)  # mmapped, then freed: glibc's threshold floats up
        pins = []
        for _ in range(5):
            b = libc.malloc(4_000_000)
            ctypes.memset(b, 1, 4_000_000)
            pins.append(libc.malloc(100))  # a small block after it, so freeing b cannot just shrink the heap
            libc.free(b)
        print(rss())
    """)

    def rss_kb(mode: str) -> int:
        return int(subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True,
                                  check=True).stdout)

    assert rss_kb("tuned") < rss_kb("default") - 2_000


def test_without_glibc_both_are_no_ops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_libc", lambda: None)
    assert memory.tune() is False
    assert memory.release() is False
