"""How the app keeps up with a fill on a large photo: the sub-pixels a fill decides in the first
seconds, and the longest time the window's event loop did not run (the gap between 20 ms timer ticks).

    OMP_NUM_THREADS=2 QT_QPA_PLATFORM=offscreen PYTHONPATH=. python benchmarks/large_photo_fill.py --seconds 15

The photo is the sample cat scaled to 4000x3000; the hole is 300x305 pixels at the left edge, filled by
the app's default model for a colour image with 4 candidates, as the Complete button does.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="how long the fill runs before it is cancelled")
    args = parser.parse_args()
    app = QApplication([])
    from pixelrnn_gui.event_loop import app_loop
    from pixelrnn_gui.main_window import MainWindow

    loop = app_loop(app)
    folder = Path(tempfile.mkdtemp())
    photo = folder / "large.png"
    Image.open(ROOT / "resources/samples/photos/cat.png").convert("RGB").resize((4000, 3000)).save(photo)
    window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    window.resize(1200, 800)
    window.show()
    window.files.open_image(photo)
    hole = np.zeros((3000, 4000), bool)
    hole[1000:1300, :305] = True
    window._edit_mask("hole", hole)
    gaps, last = [], [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    def stop() -> None:
        print(f"decided {window.controller.fill.decided} sub-pixels in {args.seconds:.0f} s; "
              f"longest event-loop gap {max(gaps):.2f} s; median gap {np.median(gaps) * 1000:.0f} ms")
        window.controller.cancel(False)
        QTimer.singleShot(2000, loop.stop)

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(20)
    QTimer.singleShot(100, window.panel.start)
    QTimer.singleShot(int(args.seconds * 1000), stop)
    loop.run_forever()
    window.document.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
