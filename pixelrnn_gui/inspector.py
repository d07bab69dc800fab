"""The inspector: the model's softmax at one pixel (paper §2: one L-way distribution per sub-pixel,
R, then G given R, then B given R and G), heatmaps of entropy and surprisal over the image, and the
region's bits/dim. Numbers come from ``prc.inspect`` on a background thread."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pixelrnn_core as prc
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from .background import StepThread, WorkController, WorkState, describe_error
from .completion import TOO_LARGE_TO_KEEP, CompletionController
from .document import Document
from .files import ImageFiles
from .inspected_regions import InspectedRegion, InspectedRegions, inspection_boxes
from .inspection_cache import InspectionCache, inspection_key
from .levels import to_levels
from .qimages import rgba_to_qimage

INSPECT_WHOLE_IMAGE_PIXELS = 128 * 128
EXPORT_TIP = "Save the distributions the last fill drew from as a .npz file"
CHANNEL_NAMES = "RGB"
# A dark-to-bright colour ramp (black, purple, orange, pale yellow) for heatmaps.
RAMP = np.array([[0, 0, 4], [80, 18, 123], [182, 54, 121], [251, 136, 97], [252, 253, 191]], dtype=np.float32)
MARKERS = {"current": QColor(255, 140, 0), "original": QColor(0, 170, 255), "argmax": QColor(40, 200, 80)}
INSPECT_TIP = "Run the model over the image to update the distributions and heatmaps"
INSPECT_WAITS_TIP = "Inspecting waits for the fill to finish or be cancelled; the numbers shown are from before it"
HEATMAPS = ("None", "Entropy", "Surprisal of current value", "NLL of original")


def channel_names(channels: int) -> list[str]:
    """What the inspector calls a model's channels: Grey, or R, G and B."""
    return ["Grey"] if channels == 1 else list(CHANNEL_NAMES)


def heat_colours(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """(H, W) floats -> (H, W, 4) uint8 RGBA on :data:`RAMP`; NaN is transparent."""
    scaled = np.clip((values - low) / max(high - low, 1e-9), 0, 1) * (len(RAMP) - 1)
    lower = np.floor(np.nan_to_num(scaled)).astype(int).clip(0, len(RAMP) - 2)
    frac = (np.nan_to_num(scaled) - lower)[..., None]
    rgb = RAMP[lower] * (1 - frac) + RAMP[lower + 1] * frac
    rgba = np.concatenate([rgb, np.full(values.shape + (1,), 255, np.float32)], axis=-1)
    rgba[np.isnan(values)] = 0
    return rgba.astype(np.uint8)


def pin_text(row: int, col: int) -> str:
    return f"Pinned at (x {col}, y {row}): Esc or a second click unpins it"


def pixel_title(row: int, col: int, undrawn: bool, stale: bool) -> str:
    """The first line of the inspector's text about a pixel."""
    note = " <i>(as inspected before the image changed)</i>" if stale else ""  # e.g. during a fill
    return f"<b>Pixel (x {col}, y {row})</b>{': not drawn yet' if undrawn else ''}{note}"


def channel_line(title: str, value: int | None, p: float, argmax: int, entropy: float) -> str:
    """A channel's line of the inspector's text: its value and its probability (unless not drawn
    yet), the most likely value and the prediction's entropy."""
    shown = "" if value is None else f"value {value}, p={p:.4f}, "
    return f"{title}: {shown}argmax {argmax}, entropy {entropy:.2f} bits"


def longest_pixel_text(channels: int) -> str:
    """The longest text the inspector shows about a pixel of a model with ``channels``."""
    names = channel_names(channels)
    lines = [pixel_title(8888, 8888, True, True)]
    for channel, name in enumerate(names):
        given = ", ".join(f"{names[c]}=255" for c in range(channel))
        lines.append(channel_line(name + (f" | {given}" if given else ""), 255, 0.0, 255, 8.0))
    return "<br>".join(lines)


class ReservedLabel(QLabel):
    """A word-wrapped label as tall as its longest text (:meth:`reserve`) is at its width, so that the
    controls below it stay put as its text changes (a pixel's text is one line to seven as the pointer
    moves)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._longest = QLabel(text)  # never shown: measures the longest text at a width
        self._longest.setWordWrap(True)

    def reserve(self, longest: str) -> None:
        self._longest.setText(longest)
        self.updateGeometry()

    def hasHeightForWidth(self) -> bool:  # Qt API: also while empty, as the pin's note is at first
        return True

    def heightForWidth(self, width: int) -> int:  # Qt API
        self._longest.setFont(self.font())
        return max(super().heightForWidth(width), self._longest.heightForWidth(width))


class Histogram(QWidget):
    """An L-bin bar chart of one sub-pixel's distribution with value markers."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(220, 70)
        self.setAccessibleName(title)
        self.title = title
        self.probs: np.ndarray | None = None
        self.markers: dict[str, int] = {}

    def show_distribution(self, title: str, probs: np.ndarray | None, markers: dict[str, int]) -> None:
        self.title, self.probs, self.markers = title, probs, markers
        self.setToolTip(title)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(250, 250, 250))
        painter.setPen(QColor(40, 40, 40))
        painter.drawText(self.rect().adjusted(4, 2, -4, -2), Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, self.title)
        if self.probs is None:
            painter.end()
            return
        top, height = 18.0, self.height() - 22.0
        bin_width = (self.width() - 8.0) / len(self.probs)
        peak = max(float(self.probs.max()), 1e-9)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(90, 90, 110))
        bars = height * self.probs.astype(float) / peak
        painter.drawRects([
            QRectF(4 + value * bin_width, top + height - bar, max(bin_width, 1.0), bar) for value, bar in enumerate(bars)
        ])
        for name, value in self.markers.items():
            painter.setPen(QPen(MARKERS[name], 2))
            x = 4 + (value + 0.5) * bin_width
            painter.drawLine(int(x), int(top), int(x), int(top + height))
        painter.end()


class Legend(QWidget):
    """The heatmap's colour ramp with its range in bits."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Heatmap legend")
        self.setMinimumHeight(34)
        self.range: tuple[float, float] | None = None

    def set_range(self, low_high: tuple[float, float] | None) -> None:
        self.range = low_high
        self.setToolTip("" if low_high is None else f"{low_high[0]:.2f} to {low_high[1]:.2f} bits")
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        if self.range is None:
            return
        painter = QPainter(self)
        gradient = QLinearGradient(4, 0, self.width() - 4, 0)
        for i, colour in enumerate(RAMP):
            gradient.setColorAt(i / (len(RAMP) - 1), QColor(*colour.astype(int)))
        painter.fillRect(QRectF(4, 2, self.width() - 8, 12), gradient)
        painter.setPen(QColor(30, 30, 30))
        text_box = self.rect().adjusted(4, 16, -4, 0)
        painter.drawText(text_box, Qt.AlignmentFlag.AlignLeft, f"{self.range[0]:.2f} bits")
        painter.drawText(text_box, Qt.AlignmentFlag.AlignRight, f"{self.range[1]:.2f} bits")
        painter.end()


class Inspector(QWidget):
    """Per-pixel distributions and heatmaps for the document under the controller's model."""

    overlayChanged = Signal(object)  # QImage or None
    opacityChanged = Signal(float)
    inspected = Signal()
    message = Signal(str)
    maskNeeded = Signal(str)  # what inspecting needs a mask for; a mask painted or loaded settles it

    def __init__(self, document: Document, controller: CompletionController, files: ImageFiles, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("inspector")
        self.setAccessibleName("Inspector")
        self.setToolTip("The model's predicted distribution at the pixel under the pointer")
        self.document, self.controller, self.files = document, controller, files
        self.results: InspectedRegions | None = None  # prc.inspect of the image (and of it before the last fill)
        self.pixel: tuple[int, int] | None = None
        self.inspection = WorkController(self)
        self.cache = InspectionCache()  # what was inspected, so browsing candidates runs no model again
        self._stale = False
        self._shut_down = False
        self.pin_label = ReservedLabel("")
        self.pin_label.setObjectName("inspectorPinLabel")
        self.pin_label.setAccessibleName("Pinned pixel")
        self.pin_label.setToolTip("The inspector stays on this pixel; press Esc or click it again to unpin")
        self.pin_label.setStyleSheet("color: #0077b3;")
        self.pin_label.reserve(pin_text(8888, 8888))
        self.pin_label.hide()
        keep_place = self.pin_label.sizePolicy()  # the controls below stay put as it comes and goes
        keep_place.setRetainSizeWhenHidden(True)
        self.pin_label.setSizePolicy(keep_place)
        self.pixel_label = ReservedLabel("Point at a pixel.")
        self.pixel_label.setAccessibleName("Pixel")
        self.pixel_label.reserve(longest_pixel_text(len(CHANNEL_NAMES)))
        self.histograms = [Histogram(f"{name}") for name in CHANNEL_NAMES]
        self.key = QLabel(
            " ".join(f"<span style='color:{c.name()}'>■</span> {n}" for n, c in MARKERS.items())
        )
        self.key.setAccessibleName("Marker key")
        self.key.setToolTip("Markers: the current value (the sampled one in a fill), the value before the fill, the most likely value")
        self.bits_label = QLabel("")
        self.bits_label.setWordWrap(True)
        self.bits_label.setAccessibleName("Bits per dimension")
        self.bits_label.setToolTip("Negative log-likelihood of the image (and of the mask region) in bits per sub-pixel")
        self.heatmap = QComboBox()
        self.heatmap.addItems(HEATMAPS)
        self.heatmap.setObjectName("heatmapPicker")
        self.heatmap.setAccessibleName("Heatmap")
        self.heatmap.setToolTip("Colour the image by the model's uncertainty (entropy) or surprise, in bits per pixel")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(60)
        self.opacity.setAccessibleName("Heatmap opacity")
        self.opacity.setToolTip("How strongly the heatmap covers the image")
        self.legend = Legend()
        self.inspect_button = QPushButton("Inspect now")
        self.inspect_button.setAccessibleName("Inspect now")
        self.inspect_button.setToolTip(INSPECT_TIP)
        self.export_button = QPushButton("Export fill probabilities…")
        self.export_button.setAccessibleName("Export fill probabilities")
        self.export_button.setToolTip(EXPORT_TIP)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pin_label)
        layout.addWidget(self.pixel_label)
        for histogram in self.histograms:
            layout.addWidget(histogram)
        layout.addWidget(self.key)
        form = QFormLayout()
        form.addRow("Heatmap", self.heatmap)
        form.addRow("Opacity", self.opacity)
        layout.addLayout(form)
        layout.addWidget(self.legend)
        layout.addWidget(self.bits_label)
        layout.addWidget(self.inspect_button)
        layout.addWidget(self.export_button)
        layout.addStretch(1)
        self._debounce = QTimer(self, singleShot=True, interval=400)
        self._debounce.timeout.connect(self.inspect)
        self.heatmap.currentIndexChanged.connect(lambda _: self._update_overlay())
        self.opacity.valueChanged.connect(lambda v: self.opacityChanged.emit(v / 100))
        self.inspect_button.clicked.connect(self.inspect)
        self.export_button.clicked.connect(self.export_probabilities)
        document.imageChanged.connect(self._document_changed)
        document.maskChanged.connect(self._document_changed)  # the masked region's figure, and a large image's box
        document.replaced.connect(self._document_replaced)
        document.pinChanged.connect(self._pin_changed)
        controller.modelChanged.connect(lambda *_: self._model_changed())
        controller.stateChanged.connect(lambda state: state == "idle" and self._stale and self._debounce.start())
        controller.stateChanged.connect(lambda _: self._update_export())
        controller.stateChanged.connect(lambda _: self._update_inspect_button())
        document.fillChanged.connect(self._update_export)
        document.fillChanged.connect(self._fill_changed)
        document.undo_stack.indexChanged.connect(lambda _: self._update_export())  # an undo may take the fill off the canvas
        self._update_export()

    @property
    def pinned(self) -> bool:
        return self.document.pinned is not None

    # ---- running prc.inspect ----------------------------------------------------------------
    def _document_replaced(self) -> None:
        """A new image: nothing inspected of it yet, no pixel shown."""
        self.results = self.pixel = None
        self.cache.clear()
        if self.heatmap.currentText() == "NLL of original":  # no fill has touched the new image
            self.heatmap.setCurrentText("None")
        self.pixel_label.setText("Point at a pixel.")
        self.bits_label.setText("")
        self._empty_histograms()
        self._update_overlay()
        self._document_changed()

    def _model_changed(self) -> None:
        """Another model: its numbers for the shown pixel are not known yet, and its channels may differ."""
        model = self.controller.model
        self.pixel_label.reserve(longest_pixel_text(model.config.channels if model is not None else len(CHANNEL_NAMES)))
        self.results = None
        self.cache.clear()
        self.bits_label.setText("")
        self._update_overlay()
        if self.pixel is not None:
            self.show_pixel(*self.pixel)
        else:
            self._empty_histograms()
        self._document_changed()

    def _empty_histograms(self) -> None:
        """One empty plot per channel of the model (Grey, or R, G and B), until a pixel is shown."""
        model = self.controller.model
        names = channel_names(model.config.channels if model is not None else 3)
        for channel, histogram in enumerate(self.histograms):
            histogram.setVisible(channel < len(names))
            histogram.show_distribution(names[channel] if channel < len(names) else "", None, {})

    def _document_changed(self) -> None:
        self._stale = True
        if self.inspection.busy:  # its figures would be about the image as it was: stopped after its band
            self.inspection.work.stop()
        if not self.controller.busy:
            self._debounce.start()

    def inspect(self) -> None:
        """Run ``prc.inspect`` on the current image (and on the one before the last fill): the whole of
        a small image, or each region a fill of the mask runs on."""
        model = self.controller.model
        if model is None or self.controller.busy or self.inspection.busy or self._shut_down:
            return
        boxes = inspection_boxes(self.document.mask, INSPECT_WHOLE_IMAGE_PIXELS)
        if not boxes:
            side = math.isqrt(INSPECT_WHOLE_IMAGE_PIXELS)
            self.maskNeeded.emit(f"Images over {side}×{side} pixels are inspected around the mask: paint a mask over the part to inspect.")
            return
        config, device = model.config, self.controller.device
        original = self.document.compare_image()
        jobs = []  # (region number, 0 for the image or 1 for the one before the fill, levels, mask, cache key)
        try:
            for number, box in enumerate(boxes):
                images = [self.document.image[box.slices]] + ([] if original is None else [original[box.slices]])
                mask = self.document.mask[box.slices].copy()
                for which, pixels in enumerate(images):
                    levels = to_levels(pixels, config.channels, config.levels)
                    region_mask = mask if which == 0 and mask.any() else None
                    jobs.append((number, which, levels, region_mask, inspection_key(model, device, levels, region_mask)))
        except ValueError as error:
            self.message.emit(str(error))
            return
        try:  # each region fits (prc.inspect checks that), but the inspector keeps them all
            prc.check_memory(sum(prc.inspection_bytes(config, *job[2].shape[:2]) for job in jobs),
                             f"inspecting the {len(boxes)} region(s) around the mask")
        except prc.MemoryRequestError as error:
            self.message.emit(f"{error}: paint fewer holes, or inspect a smaller image")
            return

        def all_regions():  # band by band (seconds for a large region): closing the window stops it after a band
            for index, (_, _, levels, mask, key) in enumerate(jobs):
                known = self.cache.get(key)
                if known is not None:  # inspected before: a candidate seen again, the image before the fill
                    yield index, prc.InspectionProgress(len(levels), len(levels), known)
                    continue
                for step in prc.inspection_steps(model, levels, mask, device=device):
                    yield index, step

        self._stale = False
        self.bits_label.setText("Inspecting…")  # a large region takes seconds: not the last figures meanwhile
        generation = self.document.generation  # a result for an image no longer open, or of a model no longer chosen, is dropped
        results = [None] * len(jobs)

        def progress(steps: list) -> None:
            for index, step in steps:
                results[index] = step.result
            index, step = steps[-1]
            self.bits_label.setText(f"Inspecting… {(index + step.rows_done / step.rows) / len(jobs):.0%}")

        async def inspection(work: StepThread) -> None:
            try:
                finished = await work.run_steps(progress)
            except Exception as error:  # noqa: BLE001 - a failed inspection becomes a message
                self.bits_label.setText("")
                self.message.emit(f"Inspection failed: {describe_error(error)}")
            else:
                if finished and generation == self.document.generation and model is self.controller.model:
                    for job, result in zip(jobs, results):
                        self.cache.put(job[-1], result)
                    self._show_result(inspected_regions(boxes, jobs, results, self.document.mask))
                else:
                    self.bits_label.setText("")  # stopped, or about an image no longer open or another model
                    self._stale = True
            self.inspection._end_work()
            if self._stale and not self.controller.busy:
                self._debounce.start()

        self.inspection.launch(StepThread(all_regions()), inspection, WorkState.RUNNING)

    def shutdown(self) -> None:
        self._shut_down = True
        self._debounce.stop()
        self.inspection.shutdown()

    def _show_result(self, inspected: InspectedRegions) -> None:
        self.results = inspected
        self.bits_label.setText(inspected.summary())
        self._update_overlay()
        if self.pixel is not None:
            self.show_pixel(*self.pixel)
        self.inspected.emit()

    # ---- showing ----------------------------------------------------------------------------
    def hover(self, row: int, col: int) -> None:
        if not self.pinned and row >= 0:
            self.show_pixel(row, col)

    def toggle_pin(self, row: int, col: int) -> None:
        """Pin the inspector to a pixel; clicking the pinned pixel again unpins it."""
        self.document.set_pinned(None if self.document.pinned == (row, col) else (row, col))

    def unpin(self) -> bool:
        """Unpin; False if nothing was pinned."""
        if not self.pinned:
            return False
        self.document.set_pinned(None)
        return True

    def _pin_changed(self) -> None:
        pinned = self.document.pinned
        self.pin_label.setVisible(pinned is not None)
        if pinned is not None:
            row, col = pinned
            self.pin_label.setText(pin_text(row, col))
            self.show_pixel(row, col)

    def pixel_probs(self, row: int, col: int) -> np.ndarray | None:
        """(C, L) distributions the model predicts at image pixel (row, col), or None if not inspected."""
        found = None if self.results is None else self.results.at(row, col)
        if found is None:
            return None
        region, local_row, local_col = found
        return region.result.probs[local_row, local_col]

    def show_pixel(self, row: int, col: int) -> None:
        if not self.document.inside(row, col):
            return
        self.pixel = (row, col)
        probs = self.pixel_probs(row, col)
        if probs is None:
            self.pixel_label.setText(f"Pixel (x {col}, y {row}): not inspected yet.")
            self._empty_histograms()
            return
        config = self.controller.model.config
        current = to_levels(self.document.image[row : row + 1, col : col + 1], config.channels, config.levels)[0, 0]
        before_fills = self.document.original_at(row, col)
        original = None if before_fills is None else to_levels(before_fills[None, None], config.channels, config.levels)[0, 0]
        names = channel_names(config.channels)
        fill = self.document.fill
        undrawn = fill is not None and fill.pending is not None and bool(fill.pending[row, col])  # its value is the hole's
        lines = [pixel_title(row, col, undrawn, self._stale)]
        for channel, histogram in enumerate(self.histograms):
            histogram.setVisible(channel < config.channels)
            if channel >= config.channels:
                continue
            given = ", ".join(f"{names[c]}={int(current[c])}" for c in range(channel))
            title = names[channel] + (f" | {given}" if given and not undrawn else "")
            dist = probs[channel]
            markers = {"current": int(current[channel]), "argmax": int(dist.argmax())}
            if undrawn:
                del markers["current"]
            if original is not None:
                markers["original"] = int(original[channel])
            histogram.show_distribution(title, dist, markers)
            region, local_row, local_col = self.results.at(row, col)
            entropy = float(region.result.entropy_bits[local_row, local_col, channel])
            value = None if undrawn else int(current[channel])
            lines.append(channel_line(title, value, float(dist[current[channel]]), int(dist.argmax()), entropy))
        self.pixel_label.setText("<br>".join(lines))

    def heatmap_values(self) -> np.ndarray | None:
        """(H, W) bits per pixel of the chosen heatmap over the whole image (NaN outside the inspected regions)."""
        choice = self.heatmap.currentText()
        if choice == "None" or self.results is None:
            return None
        if choice == "Entropy":
            values = self.results.image_map(lambda region: region.result.entropy_bits.sum(axis=-1))
        elif choice == "Surprisal of current value":
            values = self.results.image_map(lambda region: region.result.surprisal_bits.sum(axis=-1))
        else:
            values = self.results.image_map(lambda region: None if region.original is None else region.original.surprisal_bits.sum(axis=-1))
        if values is None:
            self.message.emit("NLL of the original needs a fill first.")
        return values

    def _update_overlay(self) -> None:
        values = self.heatmap_values()
        if values is None:
            self.legend.set_range(None)
            self.overlayChanged.emit(None)
            return
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        self.legend.set_range((low, high))
        image: QImage = rgba_to_qimage(heat_colours(values, low, high))
        self.overlayChanged.emit(image)

    def _update_inspect_button(self) -> None:
        """Inspecting waits while a fill runs or is paused (it changes the image under the numbers)."""
        filling = self.controller.busy
        self.inspect_button.setEnabled(not filling)
        self.inspect_button.setToolTip(INSPECT_WAITS_TIP if filling else INSPECT_TIP)

    def _fill_changed(self) -> None:
        """A fill starting (or its candidates changing) may make the shown pixel one not drawn yet."""
        if self.pixel is not None and self.results is not None:
            self.show_pixel(*self.pixel)

    def _update_export(self) -> None:
        """Export is there for a finished fill on the canvas (not undone, not partial) while none runs."""
        fill = self.document.fill
        kept = fill is None or fill.probs is not None
        on_canvas = self.document.shown_candidate() is not None
        self.export_button.setEnabled(on_canvas and kept and not self.controller.busy)
        self.export_button.setToolTip(EXPORT_TIP if kept else f"Not for this fill: {TOO_LARGE_TO_KEEP}")

    def export_probabilities(self) -> None:
        if self.controller.fill is None:
            self.message.emit("There is no fill to export yet: complete a mask first.")
            return
        stem = self.document.path.stem if self.document.path else "untitled"
        start = self.files.dialog_folder("lastExportFolder") / f"{stem}-fill-probabilities.npz"
        path, _ = QFileDialog.getSaveFileName(self, "Export fill probabilities", str(start), "NumPy archive (*.npz)")
        if path:
            try:
                self.controller.export_probabilities(path)
            except (OSError, ValueError) as error:
                self.message.emit(str(error))
                return
            self.files.remember_folder("lastExportFolder", Path(path).parent)
            self.message.emit(f"Saved the fill's probabilities to {path}")


def inspected_regions(boxes: list, jobs: list, results: list, mask: np.ndarray) -> InspectedRegions:
    """The finished inspections of ``jobs`` (region number, 0 = the image / 1 = before the fill, ...)
    gathered by region."""
    found: dict[tuple[int, int], prc.Inspection] = {(number, which): result for (number, which, *_), result in zip(jobs, results)}
    regions = [
        InspectedRegion(box, found[number, 0], found.get((number, 1)), int(mask[box.slices].sum()))
        for number, box in enumerate(boxes)
    ]
    return InspectedRegions(regions, mask.shape)
