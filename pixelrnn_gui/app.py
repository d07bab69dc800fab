"""Starting the app: the QApplication on qasync's asyncio loop, the main window, and the files named
on the command line."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QSplashScreen

import pixelrnn_core as prc

from .background import StepThread, WorkController, WorkState
from .event_loop import app_loop
from .main_window import MainWindow

UP_FRONT_SECONDS = 4.0
LOADING_TORCH = "PixelRNN: loading PyTorch…"
LOADING_ENGINE = "PixelRNN: loading the completion engine…"


async def prepare(work: StepThread, window: MainWindow, preparing: WorkController) -> None:
    """Make the completion engine's compiled steps ready (the first time after installing, numba
    compiles them), saying so in the status bar meanwhile (a permanent label: the menus' status tips,
    which clear a status message, leave it), and saying when they are ready -- unless the splash
    readied them all, or preparing failed (the first Complete then prepares them and reports any error)."""
    note = QLabel("Preparing the completion engine's compiled steps…")
    note.setObjectName("preparingNote")
    window.statusBar().insertPermanentWidget(0, note)
    readied = []
    try:
        await work.run_steps(readied.extend)
    except Exception:  # noqa: BLE001 - see above
        readied = []
    preparing._end_work()
    window.statusBar().removeWidget(note)
    note.deleteLater()
    if readied:
        window.statusBar().showMessage("Completion engine ready.", 3000)


def load_torch_parts() -> None:
    """Import now what torch imports at the first optimizer it makes (some 800 modules, torch._dynamo
    and sympy among them): done later, by a run starting on its worker thread, the import holds the GIL
    for hundreds of milliseconds at a time and the window freezes in the first seconds of training."""
    torch.optim.RMSprop([torch.zeros(1, requires_grad=True)])


def prepare_up_front(preparation: Iterator[str], splash: QSplashScreen) -> None:
    """Make the completion engine's compiled steps ready behind the splash for up to
    :data:`UP_FRONT_SECONDS` when numba has them in its cache (loading them takes about a second, and
    holds the GIL for up to a few hundred milliseconds at a time, which would freeze an open window).
    Compiling them, on the first start after installing, takes much longer (~12 s for the PixelCNN's
    alone on a 2-core CPU): it is then all done with the window open."""
    if not prc.completion_steps_cached():
        return
    deadline = time.monotonic() + UP_FRONT_SECONDS
    for name in preparation:
        if time.monotonic() > deadline:
            return
        splash.showMessage(readying_message(name), Qt.AlignmentFlag.AlignCenter, QColor("white"))
        QApplication.processEvents()


def launch(image: str | None = None, mask: str | None = None) -> tuple[MainWindow, WorkController]:
    """Load what must not load later, open the window (with ``image`` and its ``mask`` if given), and
    start making the completion engine's compiled steps ready, so that the first Complete starts at once."""
    splash = QSplashScreen(splash_pixmap())
    splash.show()
    splash.showMessage(LOADING_TORCH, Qt.AlignmentFlag.AlignCenter, QColor("white"))
    QApplication.processEvents()
    load_torch_parts()
    splash.showMessage(LOADING_ENGINE, Qt.AlignmentFlag.AlignCenter, QColor("white"))
    QApplication.processEvents()
    preparation = prc.prepare_completion()
    prepare_up_front(preparation, splash)
    window = MainWindow()
    if image is not None:  # before the window shows: it showed "untitled" and no image for seconds
        window.files.open_image(image, mask)
    elif mask is not None:
        window.files.load_mask_file(mask)
    window.show()
    if image is None and mask is None:
        window.show_first_run()
    splash.finish(window)
    preparing = WorkController()
    preparing.launch(StepThread(preparation), lambda work: prepare(work, window, preparing), WorkState.RUNNING)
    return window, preparing


def readying_message(variant: str) -> str:
    """The splash's line while the compiled steps of ``variant`` load (see ``prc.completion_variants``)."""
    return f"PixelRNN: readying {variant} completion…"


def splash_pixmap() -> QPixmap:
    pixmap = QPixmap(440, 120)  # the longest message fits (test)
    pixmap.fill(QColor("#2b2b33"))
    return pixmap


def run_app(image: str | None = None, mask: str | None = None) -> int:
    """Open the window (see :func:`launch`) and run the app's loop until it closes."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("PixelRNN")
    app.setOrganizationName("pixelrnn")
    loop = app_loop(app)
    window, preparing = launch(image, mask)
    try:
        return app.exec() if loop.is_running() else loop.run_forever()
    finally:
        preparing.shutdown()  # before the loop closes: it would wait for the thread anyway
