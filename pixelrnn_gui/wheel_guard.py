"""The wheel over a panel scrolls the panel: a spin box, drop-down or slider it passes over changes
only once it has been clicked or tabbed into (Qt turns whatever field lies under the pointer, so
scrolling a long form changed its settings without a word)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QSlider, QWidget

VALUE_FIELDS = (QAbstractSpinBox, QComboBox, QSlider)


class WheelGuard(QObject):
    """Hands a wheel event over an unfocused field to the scroll area the field lies in."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        scroll = watched.parentWidget()
        while scroll is not None and not isinstance(scroll, QAbstractScrollArea):
            scroll = scroll.parentWidget()
        if scroll is not None:  # Qt passes a wheel event on to the parents only when it comes from the system
            viewport = scroll.viewport()
            position = QPointF(viewport.mapFromGlobal(event.globalPosition()))
            QApplication.sendEvent(viewport, QWheelEvent(
                position, event.globalPosition(), event.pixelDelta(), event.angleDelta(), event.buttons(),
                event.modifiers(), event.phase(), event.inverted(),
            ))
        return True


def guard_wheel(panel: QWidget) -> None:
    """Let the wheel change the value fields of ``panel`` only while they have the keyboard focus
    (the wheel no longer gives them the focus either)."""
    guard = WheelGuard(panel)
    for field in panel.findChildren(QWidget):
        if isinstance(field, VALUE_FIELDS):
            field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            field.installEventFilter(guard)
