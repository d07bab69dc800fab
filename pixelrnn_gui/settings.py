"""The settings kept between sessions (Qt's QSettings): recent files and models, last folders, the
window's layout, brush sizes and colour, tool, device and model, and the Complete panel's candidates,
temperature and greedy choice. The one place that reads and writes them."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMainWindow

from .canvas import Canvas, Tool

if TYPE_CHECKING:
    from .completion_panel import CompletionPanel

RECENT_LIMIT = 8
DEFAULT_WINDOW_SIZE = (1280, 820)
# The Complete panel's temperature; a new key since fills default to 0.8 (the one before, "temperature",
# held the default of then, 1.0, for everyone who had closed the window)
TEMPERATURE_KEY = "fillTemperature"


class AppSettings(QObject):
    """``store`` is the QSettings; ``recentChanged`` tells menus and pickers to list anew."""

    recentChanged = Signal()

    def __init__(self, store: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store or QSettings("pixelrnn", "pixelrnn")

    def value(self, key: str, default=None):
        return self.store.value(key, default)

    def flag(self, key: str, default: bool = False) -> bool:
        """A yes/no setting, ``default`` until set (an INI file gives back "true", not True)."""
        return str(self.store.value(key, default)).lower() == "true"

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

    def folder(self, key: str, fallback: Path | None = None) -> str:
        """The folder a file dialog opens in: where the user last went for that kind of file, else
        ``fallback``, else the home folder."""
        return str(self.store.value(key, str(fallback or Path.home())))

    # ---- the window as the user left it -----------------------------------------------------
    def restore_window(self, window: QMainWindow) -> None:
        """The window's size, position and dock layout (a first start: the default size)."""
        geometry = self.store.value("geometry")
        if geometry is not None:
            window.restoreGeometry(geometry)
        else:
            window.resize(*DEFAULT_WINDOW_SIZE)
        state = self.store.value("windowState")
        if state is not None:
            window.restoreState(state)

    def restore_brushes(self, canvas: Canvas) -> None:
        """Each brush tool's size and the paint colour."""
        for tool in canvas.brush_sizes:
            canvas.brush_sizes[tool] = int(self.store.value(f"brushSize/{tool.name}", canvas.brush_sizes[tool]))
        canvas.colour = QColor(str(self.store.value("brushColour", "#000000")))

    def restore_sampling(self, panel: CompletionPanel) -> None:
        """The Complete panel's candidates, temperature and greedy choice (a first start: its defaults)."""
        panel.samples.setValue(int(self.store.value("candidates", panel.samples.value())))
        panel.temperature.setValue(float(self.store.value(TEMPERATURE_KEY, panel.temperature.value())))
        panel.greedy.setChecked(self.flag("greedy", panel.greedy.isChecked()))

    def tool(self) -> Tool:
        return Tool[str(self.store.value("tool", Tool.MASK_BRUSH.name))]

    def device(self) -> str:
        return str(self.store.value("device", "cpu"))

    def save_window(self, window: QMainWindow, canvas: Canvas, panel: CompletionPanel) -> None:
        """What :meth:`restore_window`, :meth:`restore_brushes`, :meth:`restore_sampling` and :meth:`tool`
        read back."""
        self.store.setValue("geometry", window.saveGeometry())
        self.store.setValue("windowState", window.saveState())
        for tool, size in canvas.brush_sizes.items():
            self.store.setValue(f"brushSize/{tool.name}", size)
        self.store.setValue("brushColour", canvas.colour.name())
        self.store.setValue("tool", canvas.tool.name)
        self.store.setValue("candidates", panel.samples.value())
        self.store.setValue(TEMPERATURE_KEY, panel.temperature.value())
        self.store.remove("temperature")  # the key before fills defaulted to 0.8: it held the old default
        self.store.setValue("greedy", panel.greedy.isChecked())
        self.store.sync()
