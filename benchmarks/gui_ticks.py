"""The harness the app's responsiveness benchmarks share: an app and a main window on Qt's offscreen
platform (unless QT_QPA_PLATFORM is set), set up as the app is (qasync's asyncio loop inside Qt's,
PyTorch's lazily loaded parts loaded first), a loop that keeps the GUI thread's events flowing, and a
1 ms QTimer whose ticks show how long the event loop was ever blocked.

Import it before anything that imports Qt: it chooses the platform.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from pixelrnn_gui.app import load_torch_parts  # noqa: E402
from pixelrnn_gui.event_loop import loop_inside_qt  # noqa: E402
from pixelrnn_gui.main_window import MainWindow  # noqa: E402


def application() -> QApplication:
    """The app, its asyncio loop running inside Qt's (as the app's does), and PyTorch's lazily
    loaded parts loaded, as the app does before its window opens."""
    existing = QApplication.instance()
    if existing is not None:
        return existing
    app = QApplication(sys.argv[:1])
    loop_inside_qt(app)
    load_torch_parts()
    return app


def main_window(folder: Path) -> MainWindow:
    """A shown main window whose settings live in ``folder`` (not the user's)."""
    window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    window.show()
    return window


def spin(app: QApplication, seconds: float) -> None:
    """Process the GUI thread's events for ``seconds``, as the app's own loop would."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.0005)


class TickClock:
    """Records every tick of a 1 ms timer on the GUI thread; a long gap between two ticks is a time
    the event loop was blocked."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self.timer = QTimer(interval=1)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))
        self.timer.start()

    def idle_worst_gap_ms(self, app: QApplication, seconds: float) -> float:
        """The worst gap over ``seconds`` with nothing running (the machine's own noise); the
        recorded ticks are cleared after it."""
        start = time.perf_counter()
        spin(app, seconds)
        worst = 1000 * float(np.diff([start] + self.ticks).max())
        self.ticks.clear()
        return worst

    def gaps_since(self, start: float) -> dict[str, float]:
        """Worst and 99th-percentile gap (ms) between ticks since ``start``."""
        gaps = np.diff([start] + self.ticks)
        return {"worst_tick_gap_ms": 1000 * float(gaps.max()), "p99_tick_gap_ms": 1000 * float(np.percentile(gaps, 99))}

    def stop(self) -> None:
        self.timer.stop()
