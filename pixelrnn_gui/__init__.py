"""pixelrnn_gui: the PySide6 desktop app. It uses pixelrnn_core only through its public API."""
