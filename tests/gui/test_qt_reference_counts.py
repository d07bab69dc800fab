"""The installed PySide6 must not leak references to None/True/False (6.12.0 does on Python < 3.12,
which aborts the app after a few thousand calls: pyproject.toml excludes it there)."""
import subprocess
import sys

LOOP = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
class Emitter(QObject):
    fired = Signal(int)
label, emitter = QLabel(), Emitter()
before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(20_000):
    label.setText("x")
    label.update()
    emitter.fired.emit(1)
after = sys.getrefcount(None), sys.getrefcount(True)
print(before[0] - after[0], before[1] - after[1])
"""


def test_a_long_session_of_void_calls_and_emits_keeps_none_and_true_alive():
    run = subprocess.run([sys.executable, "-c", LOOP], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"Qt loop aborted: {run.stderr.strip().splitlines()[-3:]}"
    dropped_none, dropped_true = map(int, run.stdout.split())
    assert dropped_none < 100 and dropped_true < 100
