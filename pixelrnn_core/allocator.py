"""Keeping freed memory for reuse instead of handing it back to the operating system (glibc's malloc).

glibc gives each allocation of 128 kB or more its own pages (mmap) and trims the heap whenever more than
128 kB at its top is free; it raises both thresholds as it sees large blocks freed, but an evaluation
frees its feature maps layer by layer, so the maps went back to the system and were faulted in again,
page by page, at the next batch: `pixelrnn eval fashion-mnist-binary` of the 10,000 test images took
41.8-45.8 s, 15-23 s of them in the kernel; with blocks up to 32 MB taken from the heap and up to 256 MB
of free heap kept, 31.3-31.6 s (docs/benchmarks.md). Training keeps its maps until the backward pass and
gains little; the price is that a process keeps up to 256 MB it no longer uses.
"""
from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 2**20  # glibc's largest accepted value on 64-bit systems
TRIM_THRESHOLD_BYTES = 256 * 2**20


def keep_freed_memory() -> bool:
    """Make glibc's malloc serve blocks up to 32 MB from its heap and keep up to 256 MB of it free for
    reuse. Returns whether it did (False where the C library is not glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
