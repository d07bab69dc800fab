"""pixelrnn_gui: the PySide6 desktop app (`pixelrnn gui`). It uses pixelrnn_core only through its
public API and runs every long job off the GUI thread."""
from .app import run_app

__all__ = ["run_app"]
