"""Starting the app: the QApplication on qasync's asyncio loop, the main window, and the files named
on the command line."""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

import pixelrnn_core as prc

from .background import StepThread, WorkController, WorkState
from .event_loop import app_loop
from .main_window import MainWindow


async def prepare(work: StepThread, window: MainWindow, preparing: WorkController) -> None:
    """Make the completion engine's compiled steps ready (the first time after installing, numba
    compiles them), saying so in the status bar meanwhile."""
    window.statusBar().showMessage("Preparing the completion engine's compiled steps…")
    try:
        await work.run_steps(lambda _: None)
    except Exception:  # noqa: BLE001 - the first Complete then prepares them (and reports any error)
        pass
    preparing._end_work()
    if window.statusBar().currentMessage().startswith("Preparing"):
        window.statusBar().showMessage("Completion engine ready.", 3000)


def run_app(image: str | None = None, mask: str | None = None) -> int:
    """Open the window (with ``image`` and its ``mask`` if given) and run until it closes. Meanwhile the
    completion engine's compiled steps are made ready, so that the first Complete starts at once."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("PixelRNN")
    app.setOrganizationName("pixelrnn")
    loop = app_loop(app)
    window = MainWindow()
    window.show()
    if image is not None:
        window.open_image(image, mask)
    elif mask is not None:
        window.load_mask_file(mask)
    else:
        window.show_first_run()
    preparing = WorkController()
    preparing.launch(StepThread(prc.prepare_completion()), lambda work: prepare(work, window, preparing), WorkState.RUNNING)
    try:
        return app.exec() if loop.is_running() else loop.run_forever()
    finally:
        preparing.shutdown()  # before the loop closes: it would wait for the thread anyway
