"""pixelrnn_gui: the PySide6 desktop app (`pixelrnn gui`). It uses pixelrnn_core only through its
public API and runs every long job off the GUI thread."""
from .immortal_singletons import make_singletons_immortal

make_singletons_immortal()  # before any Qt call: see the module's docstring

from .app import run_app  # noqa: E402

__all__ = ["run_app"]
