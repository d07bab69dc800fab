"""How responsive the desktop app is at launch (target: the worst gap between GUI event-loop ticks
under 50 ms while the completion engine's compiled steps are made ready in the background).

Launches the app as ``pixelrnn gui`` does (``pixelrnn_gui.app.launch``: PyTorch's lazily loaded parts
first, behind a splash screen, then the window with the first-run sample) and records every tick of
a 1 ms QTimer on the GUI thread from the moment the window is up until the compiled steps are ready,
plus one second. ``--fresh-cache`` points numba at an empty cache, so the steps are compiled as on
the first start after installing. Runs on Qt's offscreen platform unless QT_QPA_PLATFORM is set.

    OMP_NUM_THREADS=1 python benchmarks/launch_responsiveness.py [--fresh-cache]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh-cache", action="store_true", help="compile the engine's steps as on a first start")
    args = parser.parse_args()
    if args.fresh_cache:
        os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="pixelrnn-numba-")
    began = time.perf_counter()
    import numpy as np
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from pixelrnn_gui import app as pixelrnn_app
    from pixelrnn_gui.event_loop import loop_inside_qt

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="pixelrnn-settings-"))
    application = QApplication.instance() or QApplication(sys.argv[:1])
    loop_inside_qt(application)
    window, preparing = pixelrnn_app.launch()
    shown = time.perf_counter()
    ticks: list[float] = []
    ticker = QTimer(interval=1)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    ticker.start()
    while preparing.busy:
        application.processEvents()
        time.sleep(0.0005)
    ready = time.perf_counter()
    while time.perf_counter() < ready + 1.0:
        application.processEvents()
        time.sleep(0.0005)
    gaps = np.diff([shown] + ticks)
    window.document.undo_stack.setClean()
    window.close()
    print(
        f"{'fresh numba cache' if args.fresh_cache else 'numba cache filled'}: window up {shown - began:.1f} s after start "
        f"(imports and PyTorch included); compiled steps ready {ready - shown:.1f} s later; worst GUI tick gap "
        f"{1000 * gaps.max():.0f} ms (99th percentile {1000 * np.percentile(gaps, 99):.1f} ms)"
    )


if __name__ == "__main__":
    main()
