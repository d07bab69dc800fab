"""The settings kept between sessions (Qt's QSettings): recent files and models, last folders, the
window's layout, brush sizes and colour, tool, device and model. The one place that reads and writes them."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

RECENT_LIMIT = 8


class AppSettings(QObject):
    """``store`` is the QSettings; ``recentChanged`` tells menus and pickers to list anew."""

    recentChanged = Signal()

    def __init__(self, store: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store or QSettings("pixelrnn", "pixelrnn")

    def value(self, key: str, default=None):
        return self.store.value(key, default)

    def set(self, key: str, value) -> None:
        self.store.setValue(key, value)

    def recent(self, key: str) -> list[str]:
        """The paths last used under ``key`` ("recentFiles", "recentModels"), newest first."""
        value = self.store.value(key, [])
        return [value] if isinstance(value, str) else list(value or [])

    def remember(self, key: str, path: Path) -> None:
        recent = [str(path)] + [p for p in self.recent(key) if p != str(path)]
        self.store.setValue(key, recent[:RECENT_LIMIT])
        self.recentChanged.emit()

    def folder(self, key: str) -> str:
        """The folder a file dialog opens in: where the user last went for that kind of file."""
        return str(self.store.value(key, str(Path.home())))
