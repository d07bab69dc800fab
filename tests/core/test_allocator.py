"""Freed memory stays with the process (glibc), so a batch does not fault its feature maps in again."""
from __future__ import annotations

import subprocess
import sys

import pytest

import pixelrnn_core.cli

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")

BLOCK = 24 * 2**20  # above glibc's initial thresholds, below the 32 MB the heap now serves

PROBE = f"""
import ctypes, sys
import numpy as np
import pixelrnn_core as prc

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "keep":
    assert prc.keep_freed_memory()
block = np.ones({BLOCK}, dtype=np.uint8)
mapped_while_alive = libc.mallinfo2().hblkhd >= {BLOCK}
del block
kept_free = libc.mallinfo2().fordblks >= {BLOCK}
print(mapped_while_alive, kept_free)
"""


def probe(mode: str) -> list[str]:
    """In a fresh process: whether a 24 MB block got its own pages, and whether its memory stayed free in the heap."""
    return subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True).stdout.split()


def test_large_blocks_come_from_the_heap_and_stay_for_reuse():
    assert probe("default") == ["True", "False"]  # glibc's default: own pages, handed back on free
    assert probe("keep") == ["False", "True"]


def test_the_command_line_keeps_freed_memory(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(pixelrnn_core.cli, "keep_freed_memory", lambda: calls.append(True))
    assert pixelrnn_core.cli.main(["presets"]) == 0
    assert calls == [True]
