"""A guard against a reference-counting bug of PySide6 6.12's abi3 wheels on Python < 3.12.

Their void methods (``QWidget.update``, ``QPainter.drawLine``, ...) return ``None``, and
``Signal.emit`` returns ``True``/``False``, without taking a new reference, as if these singletons were
immortal -- which they are only from Python 3.12 on (PEP 683). On Python 3.10/3.11 every such call
lowers the reference count of None/True/False by one, and after a few thousand calls the interpreter
aborts with "deallocating None". Adding a huge count to the three singletons makes them effectively
immortal, as Python 3.12 does itself; it changes nothing else.
"""
from __future__ import annotations

import ctypes
import sys

IMMORTAL_MARGIN = 1 << 40  # more calls than an app could make in centuries


def make_singletons_immortal() -> None:
    """Give None, True and False a reference count no leak can exhaust (CPython before 3.12 only)."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object.
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        if refcount.value < IMMORTAL_MARGIN:
            refcount.value += IMMORTAL_MARGIN
