"""A small live plot of a run's training and validation bits/dim against the step, drawn with
QPainter (no charting dependency). Long curves are drawn from at most one point per pixel column."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

TRAIN_COLOUR = QColor("#1f77b4")
VALIDATION_COLOUR = QColor("#d62728")
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_RIGHT = 56, 30, 8
LEGEND_GAP = 4


def thinned(steps: np.ndarray, values: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``columns`` points: the mean of the values that fall in each equal slice of the steps."""
    if len(steps) <= columns:
        return steps, values
    slices = np.array_split(np.arange(len(steps)), columns)
    return np.array([steps[s].mean() for s in slices]), np.array([values[s].mean() for s in slices])


class LossPlot(QWidget):
    """Train bits/dim (blue line) and validation bits/dim (red points and line) by step."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setAccessibleName("Loss curves")
        self.setToolTip("Bits per dimension by training step: training (blue) and validation (red); lower is better")
        self.setMinimumSize(240, 164)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.train: list[tuple[int, float]] = []
        self.validation: list[tuple[int, float]] = []

    def clear(self) -> None:
        self.train, self.validation = [], []
        self.update()

    def add_train(self, step: int, bits_per_dim: float) -> None:
        self.train.append((step, bits_per_dim))
        self.update()

    def add_validation(self, step: int, bits_per_dim: float) -> None:
        self.validation.append((step, bits_per_dim))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        area = self.plot_area()
        painter.setPen(self.palette().mid().color())
        painter.drawRect(area)
        points = [p for p in self.train + self.validation if math.isfinite(p[1])]
        painter.setPen(self.palette().text().color())
        if not points:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "bits/dim appear here as the run trains")
            self._paint_titles_and_legend(painter, area)
            return
        steps = [p[0] for p in points]
        values = [p[1] for p in points]
        first, last = min(steps), max(max(steps), min(steps) + 1)
        low, high = min(values), max(values)
        pad = max((high - low) * 0.05, 1e-3)
        low, high = low - pad, high + pad

        def at(step: float, value: float) -> QPointF:
            return QPointF(area.left() + (step - first) / (last - first) * area.width(),
                           area.bottom() - (value - low) / (high - low) * area.height())

        for value in (low + pad, high - pad):
            painter.drawText(QRectF(0, at(first, value).y() - 8, MARGIN_LEFT - 4, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:.3g}")
        ticks = QRectF(area.left(), area.bottom() + 2, area.width(), MARGIN_BOTTOM - 2)
        painter.drawText(ticks, Qt.AlignmentFlag.AlignLeft, f"{first}")
        painter.drawText(ticks, Qt.AlignmentFlag.AlignRight, f"{last}")
        self._paint_titles_and_legend(painter, area)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setClipRect(area)
        for series, colour in ((self.train, TRAIN_COLOUR), (self.validation, VALIDATION_COLOUR)):
            finite = [p for p in series if math.isfinite(p[1])]
            if not finite:
                continue
            xs, ys = thinned(np.array([p[0] for p in finite], float), np.array([p[1] for p in finite]), int(area.width()))
            line = QPolygonF([at(x, y) for x, y in zip(xs, ys)])
            painter.setPen(QPen(colour, 1.5))
            painter.drawPolyline(line)
            if series is self.validation:
                painter.setBrush(colour)
                for point in line:
                    painter.drawEllipse(point, 2.5, 2.5)

    def legend_box(self) -> QRectF:
        """The line above the plot that says which colour is which curve (inside, it hid the curves'
        ends)."""
        return QRectF(MARGIN_LEFT, 0, self.width() - MARGIN_LEFT - MARGIN_RIGHT, self.fontMetrics().height() + LEGEND_GAP)

    def plot_area(self) -> QRectF:
        """Where the curves are drawn: below the legend, right of the bits/dim ticks, above the steps."""
        top = self.legend_box().bottom()
        return QRectF(MARGIN_LEFT, top, self.width() - MARGIN_LEFT - MARGIN_RIGHT, self.height() - top - MARGIN_BOTTOM)

    def _paint_titles_and_legend(self, painter: QPainter, area: QRectF) -> None:
        """Axis titles (training step across, bits/dim up) and which colour is which curve."""
        painter.save()
        painter.setPen(self.palette().text().color())
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), MARGIN_BOTTOM - 2),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, "training step")
        painter.translate(2, area.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-area.height() / 2, 0, area.height(), 14), Qt.AlignmentFlag.AlignCenter, "bits/dim")
        painter.restore()
        metrics = painter.fontMetrics()
        legend = self.legend_box()
        x, y = legend.right(), legend.top() + LEGEND_GAP / 2
        for label, colour in (("validation", VALIDATION_COLOUR), ("train", TRAIN_COLOUR)):
            width = metrics.horizontalAdvance(label)
            painter.setPen(self.palette().text().color())
            painter.drawText(QPointF(x - width, y + metrics.ascent()), label)
            painter.setPen(QPen(colour, 2))
            middle = y + metrics.ascent() / 2 + 1
            painter.drawLine(QPointF(x - width - 20, middle), QPointF(x - width - 6, middle))
            x -= width + 32
