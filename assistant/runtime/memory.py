"""Handing freed memory back to the system, so that a months-long ``tandem run`` stays its size.

Why: in the month-long soak by voice, resident memory grew by about 1 MB at
each long exercise (a check-in, the trust talk) and not at all on quiet days,
while Python's own allocations (tracemalloc, sampled through a 12-day run)
did not grow: the growth was freed memory that glibc's allocator kept. A
spoken reply's audio is a few large buffers (int16 samples, float32, the
resampled copy: 0.2-4 MB each). glibc serves the first such buffer with
``mmap`` and, when it is freed, raises its mmap threshold to that size, so
every later buffer of up to that size is carved from the heap instead; the
holes they leave between long-lived allocations stay resident.

Two measures, both glibc-only and harmless elsewhere (macOS, musl: no-ops):

* ``tune()`` at start: a fixed mmap threshold (which also turns the
  dynamic one off), so large buffers always go back to the system on free;
* ``release()`` after each conversation: ``malloc_trim(0)``, which returns
  the free pages inside the heap, not only at its top.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt parameter number, from glibc's malloc.h
# glibc's default is 128 KiB before it starts to float; 256 KiB keeps small numpy arrays on the heap
MMAP_THRESHOLD_BYTES = 256 * 1024


@cache
def _libc() -> Any | None:
    """glibc, when this process runs on it (``malloc_trim`` is a GNU extension)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018 - AttributeError when the C library is not glibc
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    libc.malloc_trim.restype = ctypes.c_int
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    return libc


def tune() -> bool:
    """Fix glibc's mmap threshold (call once, at start); False when not on glibc."""
    libc = _libc()
    if libc is None:
        return False
    ok = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    if not ok:
        log.debug("mallopt(M_MMAP_THRESHOLD) was refused")
    return ok


def release() -> bool:
    """Give free heap pages back to the system; True when some were (False when none, or not on glibc)."""
    libc = _libc()
    return libc is not None and bool(libc.malloc_trim(0))
