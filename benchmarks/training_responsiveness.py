"""How responsive the desktop app stays while it trains (target: the worst gap between GUI event-loop
ticks under 50 ms in every phase: the first seconds after Start, training with previews, and Stop).

Writes a folder of random PNGs, starts a run from the Train panel, and records every tick of a 1 ms
QTimer on the GUI thread: for ``--start-seconds`` from the Start click (reading the images, building
the model, the first steps), then for ``--seconds`` of training. Runs on Qt's offscreen platform
unless QT_QPA_PLATFORM is set.

    OMP_NUM_THREADS=1 python benchmarks/training_responsiveness.py [--size 16] [--arch pixelcnn]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from gui_ticks import TickClock, application, main_window, spin

import numpy as np  # noqa: E402  (after gui_ticks, which chooses Qt's platform)
from PIL import Image  # noqa: E402

import pixelrnn_core as prc  # noqa: E402


def write_pictures(folder: Path, count: int, size: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / f"{index:03d}.png")


def measure(args: argparse.Namespace) -> dict:
    app = application()
    for _ in prc.prepare_completion():  # as the app does at launch (the previews complete images)
        pass
    folder = Path(tempfile.mkdtemp(prefix="pixelrnn-train-bench-"))
    write_pictures(folder / "pictures", args.images, args.size)
    window = main_window(folder)
    panel, training = window.training_panel, window.training
    scanned: list = []
    training.scanned.connect(scanned.append)
    panel.size_spin.setValue(args.size)
    panel.set_folder(str(folder / "pictures"))
    while not scanned:
        spin(app, 0.01)
    panel.arch_combo.setCurrentIndex(panel.arch_combo.findData(args.arch))
    panel.hidden_spin.setValue(args.hidden)
    panel.layers_spin.setValue(args.layers)
    panel.out_hidden_spin.setValue(args.hidden * 2)
    panel.batch_spin.setValue(args.batch)
    panel.epochs_spin.setValue(10_000)
    panel.preview_spin.setValue(args.preview_every)
    panel.workspace_edit.setText(str(folder / "runs"))

    ticker = TickClock()
    idle_gap_ms = ticker.idle_worst_gap_ms(app, args.idle_seconds)
    previews: list = []
    training.previewed.connect(previews.append)
    clicked = time.perf_counter()
    panel.start_button.click()
    while training.trainer is None:  # reading the images and building the model
        spin(app, 0.01)
    spin(app, max(0.0, clicked + args.start_seconds - time.perf_counter()))
    start_gaps = np.diff([clicked] + [t for t in ticker.ticks if t <= clicked + args.start_seconds])
    ticker.ticks.clear()
    started, first_step = time.perf_counter(), training.trainer.step
    spin(app, args.seconds)
    gaps = ticker.gaps_since(started)
    steps = training.trainer.step - first_step
    stop_clicked = time.perf_counter()
    panel.stop_button.click()
    while training.busy:
        spin(app, 0.001)
    result = {
        "steps": steps,
        "images_per_second": steps * args.batch / args.seconds,
        "previews": len(previews),
        **gaps,
        "start_worst_tick_gap_ms": 1000 * float(start_gaps.max()),
        "idle_worst_tick_gap_ms": idle_gap_ms,
        "stop_to_saved_ms": 1000 * (time.perf_counter() - stop_clicked),
    }
    ticker.stop()
    window.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=16, help="side of the square training images")
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--arch", default="pixelcnn")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--preview-every", type=int, default=20, help="steps between sample/completion previews")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to measure while training")
    parser.add_argument("--start-seconds", type=float, default=2.0, help="how long to measure from the Start click")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="first measure the loop with no run")
    args = parser.parse_args()
    r = measure(args)
    print(
        f"{args.arch} h={args.hidden} layers={args.layers}, {args.size}x{args.size} RGB, batch {args.batch}, "
        f"preview every {args.preview_every} steps: {r['steps']} steps in {args.seconds:.0f} s "
        f"({r['images_per_second']:.1f} images/s, {r['previews']} previews); worst GUI tick gap in the first "
        f"{args.start_seconds:.0f} s after Start {r['start_worst_tick_gap_ms']:.0f} ms, while training "
        f"{r['worst_tick_gap_ms']:.0f} ms (99th percentile {r['p99_tick_gap_ms']:.1f} ms; "
        f"{r['idle_worst_tick_gap_ms']:.0f} ms with no run); Stop to saved and idle {r['stop_to_saved_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
