"""The canvas: shows the document's image with its mask overlay, lets the user paint the image and the
mask, zoom at the cursor, pan, and pick pixels for the inspector. It owns no state beyond the view.

The mask shows as a red tint while it is drawn; right after a fill of exactly that mask, as an outline,
so that the fill shows in its true colours (editing the mask brings the tint back)."""
from __future__ import annotations

import enum
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QObject, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import QLabel, QWidget

from .document import Box, Document
from .mask_ops import outline
from .qimages import MASK_COLOUR, mask_overlay, rgb_to_qimage


class Tool(enum.Enum):
    PAINT = "Brush"
    ERASE = "Eraser"
    MASK_BRUSH = "Mask brush"
    MASK_ERASER = "Mask eraser"
    MASK_RECT = "Mask rectangle"
    PICK = "Inspect"


BRUSH_TOOLS = (Tool.PAINT, Tool.ERASE, Tool.MASK_BRUSH, Tool.MASK_ERASER)
MIN_ZOOM, MAX_ZOOM = 0.25, 64.0
MAX_BRUSH_SIZE = 512  # pixels across: ~80 on screen for a 12-megapixel photo fitted to the window
GRID_ZOOM = 8.0
WHITE = np.array([255, 255, 255], dtype=np.uint8)
PENDING_COLOUR = (120, 120, 128)


def footprint(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column offsets of a round brush ``size`` pixels across, centred on the pointer pixel."""
    centre = (size - 1) / 2
    rows, cols = np.mgrid[0:size, 0:size]
    inside = (rows - centre) ** 2 + (cols - centre) ** 2 <= (size / 2) ** 2 + 0.25
    offset = (size - 1) // 2
    return rows[inside] - offset, cols[inside] - offset


def line_pixels(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    """The pixels on the segment from ``start`` to ``end`` (row, col), so fast strokes have no gaps."""
    steps = max(abs(end[0] - start[0]), abs(end[1] - start[1]), 1)
    rows = np.rint(np.linspace(start[0], end[0], steps + 1)).astype(int)
    cols = np.rint(np.linspace(start[1], end[1], steps + 1)).astype(int)
    return list(zip(rows.tolist(), cols.tolist()))


class Canvas(QWidget):
    """Image + mask editor. Signals carry image coordinates (row, col)."""

    pixelHovered = Signal(int, int)  # (-1, -1) when the pointer leaves the image
    pixelPicked = Signal(int, int)
    zoomChanged = Signal(float)
    brushSizeChanged = Signal(int)
    editRefused = Signal(str)
    comparingChanged = Signal(bool)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setAccessibleName("Image canvas")
        self.setToolTip(
            "The image and its mask. Wheel: zoom at the pointer; Space-drag or middle-drag: pan; "
            "[ and ]: brush size; hold Tab after a fill to see the original"
        )
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(False)  # the main window takes file drops
        self.setMinimumSize(240, 240)
        self.document = document
        self.tool = Tool.MASK_BRUSH
        self.brush_sizes = {Tool.PAINT: 1, Tool.ERASE: 3, Tool.MASK_BRUSH: 3, Tool.MASK_ERASER: 3}
        self.colour = QColor(0, 0, 0)
        self.zoom = 1.0
        self.origin = QPointF(0, 0)
        self.show_mask = True
        self.locked = False
        self.fill_cursor: tuple[int, int] | None = None
        self.comparing = False
        self.overlay: QImage | None = None
        self.overlay_opacity = 0.6
        self._image_cache: QImage | None = None
        self._image_cache_stale: Box | None = None  # during a fill: the part of the cached image to redraw
        self._mask_cache: QImage | None = None
        self._view_layers: dict[str, tuple[tuple, QPixmap]] = {}  # the grid, the outline: (view, pixmap)
        self._hover: tuple[int, int] | None = None
        self._pointer: QPointF | None = None  # where the pointer is over the canvas (widget coordinates)
        self._space_held = False
        self._pan_from: QPointF | None = None
        self._stroke_before: np.ndarray | None = None
        self._stroke_last: tuple[int, int] | None = None
        self._rect_from: tuple[int, int] | None = None
        self._fitted = True  # the view fits the image, and refits when the canvas resizes
        self.compare_badge = QLabel("Original: before the fill", self)  # while comparing, at the bottom left
        self.compare_badge.setObjectName("compareBadge")
        self.compare_badge.setStyleSheet("background: rgba(0, 0, 0, 170); color: white; padding: 3px 6px;")
        self.compare_badge.adjustSize()
        self.compare_badge.hide()
        document.imageChanged.connect(self._image_changed)
        document.maskChanged.connect(self._mask_changed)
        document.replaced.connect(self._document_replaced)
        document.pinChanged.connect(self.update)
        document.fillChanged.connect(self._fill_changed)

    @property
    def pending(self) -> np.ndarray | None:
        """The masked pixels a running fill has not decided yet (None when no fill runs)."""
        fill = self.document.fill
        return fill.pending if fill is not None else None

    @property
    def mask_outlined(self) -> bool:
        """Whether the mask shows as an outline rather than a tint: while a finished fill of exactly this
        mask is on the canvas (not undone, not painted over, not a kept partial fill)."""
        fill = self.document.fill
        return fill is not None and fill.pending is None and self.document.shown_candidate() is not None

    @property
    def compare_image(self) -> np.ndarray | None:
        """The image as it was before any fill (None when nothing was filled)."""
        return self.document.compare_image()

    # ---- view -------------------------------------------------------------------------------
    def _image_changed(self) -> None:
        if self._image_cache is not None and self.pending is not None:  # a running fill writes inside its box only
            self._image_cache_stale = self.document.fill.box
        else:
            self._image_cache = None
        self.update()

    def _mask_changed(self) -> None:
        self._mask_cache = None
        self._view_layers.pop("outline", None)
        self.update()

    def _fill_changed(self) -> None:
        self._view_layers.pop("outline", None)
        if self.comparing and self.compare_image is None:  # the fill undone: no original left to show
            self.set_comparing(False)
        self.update()

    def _document_replaced(self) -> None:
        self._image_cache = self._mask_cache = None
        self._view_layers.pop("outline", None)
        self.overlay = None
        self.set_comparing(False)
        self.fill_cursor = None
        self.fit()

    def fit(self) -> None:
        """Zoom so the whole image fits, centred; it keeps fitting as the canvas resizes until the user
        zooms or pans."""
        self._fitted = True
        if self.width() < 2 or self.height() < 2:
            return
        self._set_zoom(self._fit_zoom(), QPointF(self.width() / 2, self.height() / 2), centre=True)

    def actual_size(self) -> None:
        """One screen pixel per image pixel, about the pointer when it is over the canvas, else centred."""
        self._fitted = False
        self._set_zoom(1.0, self._zoom_anchor(), centre=self._pointer is None)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Multiply the zoom, keeping the image point under ``anchor`` (widget coords; default: the
        pointer when it is over the canvas, else the view's centre) in place."""
        self._fitted = False
        self._set_zoom(self.zoom * factor, anchor or self._zoom_anchor())

    def _zoom_anchor(self) -> QPointF:
        return self._pointer if self._pointer is not None else QPointF(self.width() / 2, self.height() / 2)

    def _fit_zoom(self) -> float:
        return min(self.width() / self.document.width, self.height() / self.document.height) * 0.95

    def zoom_to(self, box: Box) -> bool:
        """Zoom so that ``box`` (of the image) fills half the view, centred: a hole with its surroundings;
        False (the fitted view shown) for a box that large at the fitted zoom or less."""
        zoom = self._clamped(0.5 * min(self.width() / (box.right - box.left), self.height() / (box.bottom - box.top)))
        if zoom <= self._fit_zoom():
            self.fit()
            return False
        self._fitted = False
        middle = QPointF((box.left + box.right) / 2, (box.top + box.bottom) / 2)
        self.origin = QPointF(self.width() / 2, self.height() / 2) - middle * zoom
        self.zoom = zoom
        self.zoomChanged.emit(zoom)
        self._view_moved()
        return True

    def _clamped(self, zoom: float) -> float:
        """Zooming out stops at a quarter or at the fitted view, whichever shows more of the image."""
        return min(max(zoom, min(MIN_ZOOM, self._fit_zoom())), MAX_ZOOM)

    def _set_zoom(self, zoom: float, anchor: QPointF, centre: bool = False) -> None:
        zoom = self._clamped(zoom)
        if centre:
            self.origin = QPointF(
                (self.width() - self.document.width * zoom) / 2, (self.height() - self.document.height * zoom) / 2
            )
        else:
            self.origin = anchor - (anchor - self.origin) * (zoom / self.zoom)
        self.zoom = zoom
        self.zoomChanged.emit(zoom)
        self._view_moved()

    def _view_moved(self) -> None:
        """The view zoomed or moved under a still pointer: the pixel under it (the status bar's and the
        Inspector's) is another one now."""
        if self._pointer is not None:
            pixel = self.image_pixel(self._pointer)
            if pixel != self._hover:
                self._hover = pixel
                self.pixelHovered.emit(*(pixel if self._inside(pixel) else (-1, -1)))
        self.update()

    def set_tool(self, tool: Tool) -> None:
        self.tool = tool
        self.setCursor(Qt.CursorShape.BlankCursor if tool in BRUSH_TOOLS else Qt.CursorShape.CrossCursor)
        self.brushSizeChanged.emit(self.brush_size)
        self.update()

    @property
    def brush_size(self) -> int:
        return self.brush_sizes.get(self.tool, 1)

    def set_brush_size(self, size: int) -> None:
        if self.tool in self.brush_sizes:
            self.brush_sizes[self.tool] = min(max(size, 1), MAX_BRUSH_SIZE)
            self.brushSizeChanged.emit(self.brush_sizes[self.tool])
            self.update()

    def change_brush_size(self, steps: int) -> None:
        """Widen (or, negative, narrow) the current tool's brush by ``steps`` quarters of its size, at
        least a pixel each: from 3 pixels past 64 in 14 steps, to :data:`MAX_BRUSH_SIZE` in 23."""
        size = self.brush_size
        for _ in range(abs(steps)):
            size = max(size + 1, round(size * 1.25)) if steps > 0 else min(size - 1, round(size / 1.25))
        self.set_brush_size(size)

    def set_overlay(self, overlay: QImage | None) -> None:
        self.overlay = overlay
        self.update()

    def set_overlay_opacity(self, opacity: float) -> None:
        self.overlay_opacity = opacity
        self.update()

    def set_show_mask(self, shown: bool) -> None:
        self.show_mask = shown
        self.update()

    def set_fill_cursor(self, pixel: tuple[int, int] | None) -> None:
        self.fill_cursor = pixel
        self.update()

    def set_comparing(self, comparing: bool) -> None:
        """Show the image as it was before the last fill (only while there is one)."""
        self.comparing = comparing and self.compare_image is not None
        self.compare_badge.move(8, self.height() - self.compare_badge.height() - 8)
        self.compare_badge.setVisible(self.comparing)
        self.comparingChanged.emit(self.comparing)
        self.update()

    def pointer_over(self) -> bool:
        """Whether the pointer is over the canvas (also without the keyboard focus)."""
        return self.isVisible() and self.rect().contains(self.mapFromGlobal(QCursor.pos())) or self._hover is not None

    def image_pixel(self, position: QPointF) -> tuple[int, int]:
        """(row, col) of the image pixel under a widget position (may lie outside the image)."""
        point = (position - self.origin) / self.zoom
        return int(np.floor(point.y())), int(np.floor(point.x()))

    def widget_point(self, row: float, col: float) -> QPointF:
        return self.origin + QPointF(col, row) * self.zoom

    def _inside(self, pixel: tuple[int, int]) -> bool:
        return 0 <= pixel[0] < self.document.height and 0 <= pixel[1] < self.document.width

    # ---- painting the widget ----------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        if self._fitted:
            self.fit()
        elif event.oldSize().isValid():  # keep the image point at the view's centre where it was
            grown = event.size() - event.oldSize()
            self.origin += QPointF(grown.width() / 2, grown.height() / 2)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window().color().darker(130))
        painter.save()
        painter.translate(self.origin)
        painter.scale(self.zoom, self.zoom)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(0, 0, self._shown_image())
        if self.overlay is not None and not self.comparing:
            painter.setOpacity(self.overlay_opacity)
            painter.drawImage(QRectF(0, 0, self.document.width, self.document.height), self.overlay)
            painter.setOpacity(1.0)
        outlined = self.show_mask and not self.comparing and self.mask_outlined
        if self.pending is not None and not self.comparing:
            box = self.document.fill.box  # the hole's box only: the whole of a 4000x3000 photo took 0.1 s a paint
            painter.drawImage(box.left, box.top, mask_overlay(self.pending[box.slices], PENDING_COLOUR, 255))
        elif self.show_mask and not self.comparing and not outlined:
            if self._mask_cache is None:
                self._mask_cache = mask_overlay(self.document.mask)
            painter.drawImage(0, 0, self._mask_cache)
        painter.restore()
        if self.zoom >= GRID_ZOOM:
            self._paint_view_layer(painter, "grid", self._grid_pixmap)
        if outlined:
            self._paint_view_layer(painter, "outline", self._outline_pixmap)
        self._paint_markers(painter)
        painter.end()

    def _shown_image(self) -> QImage:
        if self.comparing and self.compare_image is not None:
            return rgb_to_qimage(self.compare_image)
        if self._image_cache is None:
            self._image_cache, self._image_cache_stale = rgb_to_qimage(self.document.image), None
        elif self._image_cache_stale is not None:  # a 4000x3000 photo took 30 ms to convert whole, each step batch
            box, self._image_cache_stale = self._image_cache_stale, None
            painter = QPainter(self._image_cache)
            painter.drawImage(box.left, box.top, rgb_to_qimage(self.document.image[box.slices]))
            painter.end()
        return self._image_cache

    def _paint_view_layer(self, painter: QPainter, name: str, build: Callable[[], QPixmap]) -> None:
        # Drawn once per view into a pixmap: during a fill the canvas repaints often, and every Qt call
        # made from Python here has to win the GIL back from the worker thread.
        key = (self.zoom, self.origin.x(), self.origin.y(), self.width(), self.height(), self.document.height, self.document.width)
        if name not in self._view_layers or self._view_layers[name][0] != key:
            self._view_layers[name] = (key, build())
        painter.drawPixmap(0, 0, self._view_layers[name][1])

    def _lines_pixmap(self, lines: list[QLineF], pens: list[QPen]) -> QPixmap:
        """A transparent pixmap of the widget's size with ``lines`` drawn with each of ``pens`` in turn."""
        pixmap = QPixmap(self.size())
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        for pen in pens:
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.end()
        return pixmap

    def _grid_pixmap(self) -> QPixmap:
        top_left = self.image_pixel(QPointF(0, 0))
        bottom_right = self.image_pixel(QPointF(self.width(), self.height()))
        rows = range(max(top_left[0], 0), min(bottom_right[0] + 1, self.document.height) + 1)
        cols = range(max(top_left[1], 0), min(bottom_right[1] + 1, self.document.width) + 1)
        left, top = self.origin.x(), self.origin.y()
        right, bottom = left + self.document.width * self.zoom, top + self.document.height * self.zoom
        lines = [QLineF(left, top + r * self.zoom, right, top + r * self.zoom) for r in rows]
        lines += [QLineF(left + c * self.zoom, top, left + c * self.zoom, bottom) for c in cols]
        return self._lines_pixmap(lines, [QPen(QColor(128, 128, 128, 90), 0)])

    def _outline_pixmap(self) -> QPixmap:
        """The mask's outline: a red line over a darker, wider one, visible on any colour."""
        segments = outline(self.document.mask)
        lines = [QLineF(self.widget_point(y0, x0), self.widget_point(y1, x1)) for x0, y0, x1, y1 in segments]
        return self._lines_pixmap(lines, [QPen(QColor(0, 0, 0, 160), 4), QPen(QColor(*MASK_COLOUR), 2)])

    def _paint_markers(self, painter: QPainter) -> None:
        if self.document.pinned is not None:
            row, col = self.document.pinned
            painter.setPen(QPen(QColor(0, 170, 255), 2, Qt.PenStyle.DashLine))
            painter.drawRect(QRectF(self.widget_point(row, col), self.widget_point(row + 1, col + 1)).adjusted(-3, -3, 3, 3))
        if self.fill_cursor is not None:
            row, col = self.fill_cursor
            painter.setPen(QPen(QColor(255, 220, 0), 2))
            painter.drawRect(QRectF(self.widget_point(row, col), self.widget_point(row + 1, col + 1)).adjusted(-2, -2, 2, 2))
        box = self._dragged_box()
        if box is not None and not box.empty:
            painter.setPen(QPen(QColor(255, 255, 255), 1, Qt.PenStyle.DashLine))
            painter.drawRect(QRectF(self.widget_point(box.top, box.left), self.widget_point(box.bottom, box.right)))
        if self._hover is not None and self.tool in BRUSH_TOOLS and self.underMouse():
            size = self.brush_size
            row, col = self._hover
            offset = (size - 1) // 2
            corner = self.widget_point(row - offset, col - offset)
            extent = QRectF(corner, corner + QPointF(size, size) * self.zoom)
            for colour, width in ((QColor(0, 0, 0), 3), (QColor(255, 255, 255), 1)):
                painter.setPen(QPen(colour, width))
                painter.drawEllipse(extent) if size > 2 else painter.drawRect(extent)

    # ---- input ------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.25**steps, event.position())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus()
        position = event.position()
        pixel = self.image_pixel(position)
        if event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space_held
        ):
            self._pan_from = position
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if self.tool == Tool.PICK:
            if self._inside(pixel):
                self.pixelPicked.emit(*pixel)
            return
        if self.locked:
            self.editRefused.emit("The image cannot be edited while a fill is running.")
            return
        if self.tool == Tool.MASK_RECT:
            self._rect_from = self._hover = pixel
            self.update()
            return
        self._stroke_before = getattr(self.document, self._stroke_layer()).copy()
        self._stroke_last = pixel
        self._dab([pixel])

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        position = event.position()
        if self._pan_from is not None:
            self.origin += position - self._pan_from
            self._fitted = False
            self._pan_from = position
            self.update()
            return
        self._pointer = position
        pixel = self.image_pixel(position)
        self._hover = pixel
        self.pixelHovered.emit(*(pixel if self._inside(pixel) else (-1, -1)))
        if self._stroke_before is not None and self._stroke_last is not None:
            self._dab(line_pixels(self._stroke_last, pixel))
            self._stroke_last = pixel
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self.set_tool(self.tool)
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if self._rect_from is not None:
            self._finish_rectangle(self.image_pixel(event.position()))
            return
        if self._stroke_before is not None:
            before, self._stroke_before, self._stroke_last = self._stroke_before, None, None
            self.document.record(f"{self.tool.value} stroke", self._stroke_layer(), before)

    def _finish_rectangle(self, pixel: tuple[int, int]) -> None:
        """Mask the part inside the image of the rectangle dragged to ``pixel`` (nothing when none is)."""
        self._hover = pixel
        box = self._dragged_box()
        self._rect_from = None
        self.update()
        if not box.empty:
            mask = self.document.mask.copy()
            mask[box.slices] = True
            self.document.edit("Mask rectangle", "mask", mask)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._hover = self._pointer = None
        self.pixelHovered.emit(-1, -1)
        self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.set_tool(self.tool)
        else:
            super().keyReleaseEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self._inside(self.image_pixel(event.pos().toPointF())):
            return True  # over the image the tooltip would hide the pixels being edited; it shows around it
        return super().event(event)

    def compare_key(self, event: QEvent) -> bool:
        """Holding Tab with the pointer over the canvas shows the original, wherever the keyboard focus
        is (Tab would otherwise move the focus); True when the event was that."""
        if event.type() not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        key_event: QKeyEvent = event  # type: ignore[assignment]
        if key_event.key() != Qt.Key.Key_Tab or key_event.modifiers() != Qt.KeyboardModifier.NoModifier:
            return False
        pressed = event.type() == QEvent.Type.KeyPress
        if pressed and (self.compare_image is None or not self.pointer_over()):
            return False
        if not pressed and not self.comparing:
            return False
        if not key_event.isAutoRepeat():
            self.set_comparing(pressed)
        return True

    # ---- edits ------------------------------------------------------------------------------
    def _stroke_layer(self) -> str:
        return "image" if self.tool in (Tool.PAINT, Tool.ERASE) else "mask"

    def _dab(self, pixels: list[tuple[int, int]]) -> None:
        """Apply the brush along ``pixels`` to the live document: at each of them for a narrow brush; a
        wide one stamps every eighth of its size (and at the last), which masks the same band to within
        1 % of its width (at 512 pixels across, every pixel of a 100-pixel move took 1.7 s)."""
        spacing = max(1, self.brush_size // 8)
        pixels = pixels[::spacing] + pixels[-1:] if spacing > 1 else pixels
        offsets_r, offsets_c = footprint(self.brush_size)
        rows = (np.array([p[0] for p in pixels])[:, None] + offsets_r[None, :]).ravel()
        cols = (np.array([p[1] for p in pixels])[:, None] + offsets_c[None, :]).ravel()
        inside = (rows >= 0) & (rows < self.document.height) & (cols >= 0) & (cols < self.document.width)
        rows, cols = rows[inside], cols[inside]
        if rows.size == 0:
            return
        if self.tool == Tool.PAINT:
            self.document.image[rows, cols] = (self.colour.red(), self.colour.green(), self.colour.blue())
        elif self.tool == Tool.ERASE:
            self.document.image[rows, cols] = WHITE
        else:
            self.document.mask[rows, cols] = self.tool == Tool.MASK_BRUSH
        (self.document.imageChanged if self._stroke_layer() == "image" else self.document.maskChanged).emit()

    def _dragged_box(self) -> Box | None:
        """The part inside the image of the rectangle dragged from ``_rect_from`` to ``_hover`` (the pixels
        under both ends included); None when no rectangle is being dragged."""
        if self._rect_from is None or self._hover is None:
            return None
        (row_a, col_a), (row_b, col_b) = self._rect_from, self._hover
        return Box(max(min(row_a, row_b), 0), max(min(col_a, col_b), 0),
                   min(max(row_a, row_b) + 1, self.document.height), min(max(col_a, col_b) + 1, self.document.width))

    def widget_position(self, row: int, col: int) -> QPoint:
        """The widget point at the centre of image pixel (row, col)."""
        return self.widget_point(row + 0.5, col + 0.5).toPoint()


class CompareKeyFilter(QObject):
    """Sees every key event of the application first, so that Tab reaches the canvas's compare view
    while the pointer is over it, even when another widget has the keyboard focus."""

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):  # e.g. the canvas's children's while it is destroyed
            return False
        return watched.isWidgetType() and watched.window() is self.canvas.window() and self.canvas.compare_key(event)
