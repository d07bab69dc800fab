"""A dismissable line at the top of the window for errors and notices."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class MessageBar(QWidget):
    """A dismissable line at the top of the window for errors and notices; never blocks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Message")
        close = QPushButton("Dismiss")
        close.setAccessibleName("Dismiss message")
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # its colour, over the canvas it lies on
        self._hide_timer = QTimer(self, singleShot=True, interval=8000)
        self._hide_timer.timeout.connect(self.hide)
        self.topic: str | None = None
        self.error = False
        self.hide()

    def _error_shown(self) -> bool:
        return self.error and self.isVisibleTo(self.parentWidget())

    def text(self) -> str:
        return self.label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def show_message(self, text: str, error: bool = False, sticky: bool = False, topic: str | None = None) -> None:
        """Show ``text``; notices hide after a few seconds unless ``sticky``, errors stay until
        dismissed or until :meth:`settle` says their ``topic`` no longer applies. A passing notice does
        not replace an error being shown."""
        if not (error or sticky) and self._error_shown():
            return
        colour = "#f8d7da" if error else "#fff3cd"
        self.setStyleSheet(f"MessageBar {{ background: {colour}; }} QLabel {{ color: #222; }}")
        self.label.setText(text)
        self.topic, self.error = topic, error
        self.show()
        if error or sticky:
            self._hide_timer.stop()
        else:
            self._hide_timer.start()

    def settle(self, topic: str) -> None:
        """Hide the message if it is about ``topic``: what it asked for has happened."""
        if self.topic == topic:
            self.hide()
