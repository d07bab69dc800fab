"""How responsive the desktop app stays while it fills a mask (issue 5 targets: the worst gap between
GUI event-loop ticks under 50 ms; from Complete to the first filled pixel painted under 200 ms).

A 1 ms QTimer records every tick of the GUI thread's event loop during the fill; an event filter on
the canvas records its paint events. Runs on Qt's offscreen platform unless QT_QPA_PLATFORM is set.
The completion engine's compiled steps are made ready first (``prc.prepare_completion``), as the app
does on a background thread while its window opens.

    OMP_NUM_THREADS=1 python benchmarks/gui_responsiveness.py [--size 32] [--samples 1] [--arch pixelcnn]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from gui_ticks import TickClock, application, main_window, spin

import numpy as np  # noqa: E402  (after gui_ticks, which chooses Qt's platform)
import pixelrnn_core as prc  # noqa: E402
from PySide6.QtCore import QEvent, QObject  # noqa: E402


class PaintClock(QObject):
    """Records when the watched widget paints."""

    def __init__(self) -> None:
        super().__init__()
        self.paints: list[float] = []

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.paints.append(time.perf_counter())
        return False


def measure(args: argparse.Namespace) -> dict:
    app = application()
    for _ in prc.prepare_completion():
        pass
    folder = Path(tempfile.mkdtemp(prefix="pixelrnn-bench-"))
    model = prc.build_model(args.arch, channels=3, levels=256, hidden=args.hidden, layers=args.layers)
    checkpoint = folder / "model.safetensors"
    prc.save_checkpoint(checkpoint, model)
    window = main_window(folder)
    window.files.new_blank(args.size, args.size)
    window.document.image[:] = np.random.default_rng(0).integers(0, 256, window.document.image.shape, dtype=np.uint8)
    window.load_checkpoint(str(checkpoint))
    window.mask_bottom_half()
    window.panel.samples.setValue(args.samples)
    app.processEvents()

    ticker = TickClock()
    idle_gap_ms = ticker.idle_worst_gap_ms(app, args.idle_seconds)
    clock = PaintClock()
    window.canvas.installEventFilter(clock)
    first_step: list[float] = []
    window.controller.progressed.connect(lambda *_: first_step or first_step.append(time.perf_counter()))
    done: list[float] = []
    window.controller.finished.connect(lambda: done.append(time.perf_counter()))

    started = time.perf_counter()
    window.panel.complete_button.click()
    while not done:
        spin(app, 0.0005)
    ticker.stop()
    painted_after = [t for t in clock.paints if first_step and t >= first_step[0]]
    result = {
        "sub_pixels": window.controller.job.total,
        "fill_seconds": done[0] - started,
        "first_pixel_painted_ms": 1000 * (painted_after[0] - started) if painted_after else float("nan"),
        **ticker.gaps_since(started),
        "idle_worst_tick_gap_ms": idle_gap_ms,
    }
    window.document.undo_stack.setClean()
    window.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32, help="side of the square image; its bottom half is filled")
    parser.add_argument("--samples", type=int, default=1, help="candidates K")
    parser.add_argument("--arch", default="pixelcnn")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="first measure the loop with no fill")
    args = parser.parse_args()
    result = measure(args)
    print(
        f"{args.arch} h={args.hidden} layers={args.layers}, {args.size}x{args.size}, bottom half, K={args.samples}: "
        f"{result['sub_pixels']} sub-pixels in {result['fill_seconds']:.1f} s; first pixel painted after "
        f"{result['first_pixel_painted_ms']:.0f} ms; worst GUI tick gap {result['worst_tick_gap_ms']:.0f} ms "
        f"(99th percentile {result['p99_tick_gap_ms']:.1f} ms; {result['idle_worst_tick_gap_ms']:.0f} ms with no fill)"
    )


if __name__ == "__main__":
    main()
