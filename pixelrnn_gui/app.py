"""Starting the app: the QApplication, the main window, and the files named on the command line."""
from __future__ import annotations

import sys

import pixelrnn_core as prc
from PySide6.QtWidgets import QApplication

from .background import BackgroundWork
from .main_window import MainWindow


def run_app(image: str | None = None, mask: str | None = None) -> int:
    """Open the window (with ``image`` and its ``mask`` if given) and run until it closes. Meanwhile the
    completion engine's compiled steps are made ready, so that the first Complete starts at once."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("PixelRNN")
    app.setOrganizationName("pixelrnn")
    window = MainWindow()
    window.show()
    if image is not None:
        window.open_image(image, mask)
    elif mask is not None:
        window.load_mask_file(mask)
    else:
        window.show_first_run()
    preparing = BackgroundWork(prc.prepare_completion())
    preparing.start()
    try:
        return app.exec()
    finally:
        preparing.stop_and_wait()
