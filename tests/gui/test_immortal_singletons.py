"""Many calls of PySide6 void methods and signal emits must not exhaust the reference count of
None/True/False (PySide6 6.12 on Python < 3.12 lowers it by one per call; see immortal_singletons)."""
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

import pixelrnn_gui  # noqa: F401 - applies the guard


class Emitter(QObject):
    fired = Signal(int)


def test_a_long_session_of_void_calls_and_emits_survives(qtbot):
    label, emitter = QLabel(), Emitter()
    qtbot.addWidget(label)
    before = sys.getrefcount(None), sys.getrefcount(True)
    calls = 50_000  # several times the few thousand references None has at start-up
    for _ in range(calls):
        label.setText("x")
        emitter.fired.emit(1)
    after = sys.getrefcount(None), sys.getrefcount(True)
    assert after[0] > before[0] - 2 * calls and after[0] > calls
    assert after[1] > calls
