"""The Complete panel: model and device pickers, sampling settings, run controls, progress and the
ranked candidate strip. It forwards the user's choices to the :class:`CompletionController`."""
from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import pixelrnn_core as prc

from .completion import CompletionController
from .document import Box, Fill
from .qimages import rgb_to_qimage

OPEN_CHECKPOINT = "Open checkpoint file…"
CARD_LINES = 10  # the longest bundled card, wrapped at the panel's narrowest
THUMBNAIL = 64
THUMBNAIL_GROUPS = 4  # groups of holes a thumbnail shows, at most
STRIP_TIP = "Completions ranked by likelihood of the known pixels after the hole; click one to apply it"
SCORE_HELP = (
    "Share: the candidate's share of the posterior over the candidates, from how likely each makes "
    "the known pixels after the hole (they all explain the same pixels)."
)


def model_label(path: str) -> str:
    """The picker's name for a checkpoint; a training run's best/last weights are named after the run."""
    file = Path(path)
    return f"{file.parent.name} ({file.stem})" if file.stem in ("best", "last") else file.stem


def model_card(path: str, info: prc.CheckpointInfo) -> str:
    """The model card shown under the picker: data, architecture, size and bits/dim."""
    return "<br>".join([f"<b>{html.escape(model_label(path))}</b>", *map(html.escape, info.summary())])


def thumbnail_box(hole: Box, shape: tuple[int, int]) -> Box:
    """The part of the image a thumbnail shows of one ``hole`` (its box): the hole with context around it
    (half the hole's size on each side, at least 4 pixels), so the fill is visible even in a large image."""
    height, width = shape
    pad_rows = max(4, (hole.bottom - hole.top) // 2)
    pad_cols = max(4, (hole.right - hole.left) // 2)
    return Box(max(hole.top - pad_rows, 0), max(hole.left - pad_cols, 0),
               min(hole.bottom + pad_rows, height), min(hole.right + pad_cols, width))


def hole_groups(mask: np.ndarray, most: int = THUMBNAIL_GROUPS) -> list[Box]:
    """The boxes of the groups of holes a fill of ``mask`` runs a window on (``prc.hole_groups``), in the
    order filled; of more than ``most``, the ``most`` with the most masked pixels."""
    groups = [Box.of(group) for group in prc.hole_groups(mask)]
    if len(groups) > most:
        sizes = [int(mask[group.slices].sum()) for group in groups]
        largest = sorted(np.argsort(sizes, kind="stable")[::-1][:most])
        groups = [groups[index] for index in largest]
    return groups


def candidate_view(before: np.ndarray, mask: np.ndarray, box: Box, hole: np.ndarray, view: Box) -> np.ndarray:
    """The ``view`` of the image as ``before`` the fill, with a candidate's ``hole`` values (P, 3), those
    of the masked pixels of ``mask[box]`` in order, in place where they lie in it."""
    crop = before[view.slices].copy()
    rows, cols = np.nonzero(mask[box.slices])
    rows, cols = rows + box.top, cols + box.left
    inside = (rows >= view.top) & (rows < view.bottom) & (cols >= view.left) & (cols < view.right)
    crop[rows[inside] - view.top, cols[inside] - view.left] = hole[inside]
    return crop


def thumbnail_view(before: np.ndarray, mask: np.ndarray, box: Box, hole: np.ndarray, groups: list[Box]) -> np.ndarray:
    """What a candidate's thumbnail shows: each of the ``groups`` of holes (:func:`hole_groups`) with
    context around it, side by side at one height (nearest neighbour) between grey bars -- two small
    holes far apart are two views, not a whole photo in which neither shows."""
    views = [candidate_view(before, mask, box, hole, thumbnail_box(group, before.shape[:2])) for group in groups]
    height = max(view.shape[0] for view in views)
    bar = np.full((height, max(1, height // 16), 3), 128, dtype=np.uint8)
    scaled = []
    for view in views:
        width = max(1, round(view.shape[1] * height / view.shape[0]))
        rows, cols = np.arange(height) * view.shape[0] // height, np.arange(width) * view.shape[1] // width
        scaled.extend([view[rows][:, cols], bar])
    return np.concatenate(scaled[:-1], axis=1)


def share_text(share: float, digits: int = 0) -> str:
    """A candidate's share of the posterior as a percentage with ``digits`` decimals; one that would
    round to 100 % or 0 % reads ">99%" or "<1%" (the known pixels after a hole in a photo single out
    one candidate by tens of nats, and the others' shares are tiny but not nothing)."""
    unit = 10.0 ** -digits
    if share * 100 > 100 - unit / 2:
        return f">{100 - unit:.{digits}f}%"
    if share * 100 < unit / 2:
        return f"<{unit:.{digits}f}%"
    return f"{share:.{digits}%}"


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


def labelled(widget: QWidget, name: str, tip: str) -> QWidget:
    widget.setAccessibleName(name)
    widget.setToolTip(tip)
    return widget


class CompletionPanel(QWidget):
    """Widgets for one controller; ``resampleRequested`` asks the window for a pixel to resample from."""

    resampleRequested = Signal()
    checkpointChosen = Signal(str)
    openCheckpointRequested = Signal()  # "Open checkpoint…" picked: the window's dialog asks for one
    fittingModelRequested = Signal()  # use a model that suits the image's colours
    convertRequested = Signal()  # make the image grey for a grayscale model
    deviceChosen = Signal(str)

    def __init__(self, controller: CompletionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setAccessibleName("Completion panel")
        self.model_picker = labelled(QComboBox(), "Model", "The model that fills the mask: a bundled one or a checkpoint file")
        self.model_picker.setObjectName("modelPicker")
        self.card = labelled(QLabel("No model chosen."), "Model card", "What the chosen model was trained on and how well")
        self.card.setWordWrap(True)
        self.card.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # a fixed height, so the controls below do not move when a model with a longer card is chosen
        self.card.setFixedHeight(self.card.fontMetrics().lineSpacing() * CARD_LINES + 4)
        self.device_picker = labelled(QComboBox(), "Device", "Where the model runs: fills are fastest on the CPU, where each step is compiled;\n"
                                     "on a GPU the launch of each of their many tiny operations sets the pace")
        self.device_picker.setObjectName("devicePicker")
        self.device_picker.addItem("CPU", "cpu")
        if torch.cuda.is_available():
            self.device_picker.addItem("CUDA (GPU)", "cuda")
        self.samples = labelled(QSpinBox(), "Candidates", "How many completions to draw (K); they are ranked by likelihood")
        self.samples.setObjectName("samplesSpin")
        self.samples.setRange(1, 16)
        self.samples.setValue(4)  # ranked in the strip: 4 candidates fill closer to the original than 1
        self.temperature = labelled(QDoubleSpinBox(), "Temperature", "Below 1: safer, smoother fills; above 1: wilder ones")
        self.temperature.setObjectName("temperatureSpin")
        self.temperature.setRange(0.05, 3.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setValue(prc.FILL_TEMPERATURE)
        self.seed = labelled(QSpinBox(), "Seed", "The same seed, model and mask give the same fill")
        self.seed.setObjectName("seedSpin")
        self.seed.setRange(0, 2**31 - 1)
        self.greedy = labelled(QCheckBox("Greedy (most likely value)"), "Greedy", "Take the most likely value instead of sampling")
        self.greedy.toggled.connect(lambda on: self._state_changed(self.controller.state))

        self.complete_button = self._button("Complete", "completeButton", "Fill the masked pixels, live (Ctrl+Return)")
        self.pause_button = self._button("Pause", "pauseButton", "Pause or resume the fill (P)")
        self.pause_button.setCheckable(True)
        self.step_pixel_button = self._button("Step pixel", "stepPixelButton", "Fill one more pixel, then pause (starts a fill if none runs)")
        self.step_row_button = self._button("Step row", "stepRowButton", "Fill up to the end of this row, then pause (starts a fill if none runs)")
        self.cancel_button = self._button("Cancel", "cancelButton", "Stop the fill; keep the partial fill or revert (Esc)")
        self.resample_button = self._button("Resample from here…", "resampleButton", "Click a pixel of the last fill to redraw everything after it")
        self.progress = labelled(QProgressBar(), "Progress", "Sub-pixels decided out of all to fill")
        self.progress.setObjectName("progressBar")
        self.progress.setFormat("No fill running")
        self.progress.setValue(0)
        self.speed = labelled(QLabel(""), "Speed", "Sub-pixels per second and time left")
        self.strip = labelled(QListWidget(), "Candidates", STRIP_TIP)
        self.strip_title = QLabel("Candidates")
        self.strip.setObjectName("candidateStrip")
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setFlow(QListWidget.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setIconSize(QSize(64, 64))
        self.strip.setGridSize(QSize(84, 96))
        self.strip.setFixedHeight(124)
        self.strip.itemClicked.connect(lambda item: controller.apply_candidate(item.data(Qt.ItemDataRole.UserRole)))
        self.fit_label = labelled(QLabel(""), "Model and image", "Whether the chosen model fills in colour or in grey, and the image's colours")
        self.fit_label.setObjectName("modelFitLabel")
        self.fit_label.setWordWrap(True)
        self.fit_label.setStyleSheet("color: #b35c00;")
        self.switch_model_button = self._button("Use a fitting model", "switchModelButton", "Choose a model that fits the image's colours")
        self.convert_button = self._button("Convert image to grayscale", "convertGreyButton", "Make the image grey (undoable) so the grayscale model fits it")
        self.fit_box = QWidget()
        fit_layout = QVBoxLayout(self.fit_box)
        fit_layout.setContentsMargins(0, 0, 0, 0)
        fit_layout.addWidget(self.fit_label)
        fit_row = QHBoxLayout()
        fit_row.addWidget(self.switch_model_button)
        fit_row.addWidget(self.convert_button)
        fit_layout.addLayout(fit_row)
        self.fit_box.hide()
        self._layout()
        self._connect()
        self.refresh_models([])
        self._state_changed("idle")

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        button = labelled(QPushButton(text), text.rstrip("…"), tip)
        button.setObjectName(name)
        return button

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Model", self.model_picker)
        form.addRow(self.card)
        form.addRow("Device", self.device_picker)
        form.addRow("Candidates", self.samples)
        form.addRow("Temperature", self.temperature)
        form.addRow("Seed", self.seed)
        form.addRow(self.greedy)
        buttons = QGridLayout()
        buttons.addWidget(self.complete_button, 0, 0, 1, 2)
        buttons.addWidget(self.pause_button, 1, 0)
        buttons.addWidget(self.cancel_button, 1, 1)
        buttons.addWidget(self.step_pixel_button, 2, 0)
        buttons.addWidget(self.step_row_button, 2, 1)
        buttons.addWidget(self.resample_button, 3, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.fit_box)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        row = QHBoxLayout()
        row.addWidget(self.speed)
        layout.addLayout(row)
        self.strip_title.setToolTip(SCORE_HELP)
        layout.addWidget(self.strip_title)
        layout.addWidget(self.strip)
        layout.addStretch(1)

    def _connect(self) -> None:
        c = self.controller
        self.model_picker.activated.connect(self._model_picked)
        self.device_picker.currentIndexChanged.connect(lambda _: self._device_picked())
        self.switch_model_button.clicked.connect(self.fittingModelRequested)
        self.convert_button.clicked.connect(self.convertRequested)
        self.complete_button.clicked.connect(lambda: self.start())
        self.pause_button.clicked.connect(lambda paused: c.pause() if paused else c.resume())
        self.step_pixel_button.clicked.connect(lambda: self.step(c.step_pixel))
        self.step_row_button.clicked.connect(lambda: self.step(c.step_row))
        self.cancel_button.clicked.connect(lambda: self.cancel())
        self.resample_button.clicked.connect(self.resampleRequested)
        c.stateChanged.connect(self._state_changed)
        c.progressed.connect(self._progressed)
        c.document.fillChanged.connect(self._fill_changed)
        c.document.undo_stack.indexChanged.connect(lambda _: self._follow_canvas())
        c.cancelled.connect(self._cancelled)
        c.modelChanged.connect(self._model_changed)

    # ---- models -----------------------------------------------------------------------------
    def refresh_models(self, recent: list[str]) -> None:
        """List bundled checkpoints, then recently used ones, then the file-dialog entry."""
        current = str(self.controller.model_path) if self.controller.model_path else None
        self.model_picker.clear()
        paths = [str(p) for p in prc.bundled_models().values()] + [p for p in recent if Path(p).is_file()]
        for path in dict.fromkeys(paths):
            self.model_picker.addItem(model_label(path), path)
            self.model_picker.setItemData(self.model_picker.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
        self.model_picker.addItem(OPEN_CHECKPOINT, None)
        index = self.model_picker.findData(current)
        self.model_picker.setCurrentIndex(index if index >= 0 else self.model_picker.count() - 1)

    def _model_picked(self, index: int) -> None:
        path = self.model_picker.itemData(index)
        if path is None:
            self.refresh_models([])  # the model in use stays chosen until another is opened
            self.openCheckpointRequested.emit()
            return
        self.checkpointChosen.emit(path)

    def _model_changed(self, path: str, info: prc.CheckpointInfo) -> None:
        self.card.setText(model_card(path, info))
        index = self.model_picker.findData(path)
        if index < 0:
            self.model_picker.insertItem(self.model_picker.count() - 1, model_label(path), path)
            index = self.model_picker.findData(path)
        self.model_picker.setCurrentIndex(index)

    def _device_picked(self) -> None:
        self.controller.set_device(self.device_picker.currentData())
        self.deviceChosen.emit(self.device_picker.currentData())

    def choose_device(self, device: str) -> None:
        """Select ``device`` if it is available here (else the CPU)."""
        self.device_picker.setCurrentIndex(max(self.device_picker.findData(device), 0))
        self.controller.set_device(self.device_picker.currentData())

    def toggle_pause(self) -> None:
        """Pause a running fill, or resume a paused one."""
        if self.controller.busy:
            self.pause_button.click()

    def show_model_fit(self, note: str | None, switch: bool, convert: bool) -> None:
        """Say before Complete how the model does not suit the image (None: it does), with the ways out
        that apply: another model, or the image made grey."""
        self.fit_box.setVisible(note is not None)
        self.fit_label.setText(note or "")
        self.switch_model_button.setVisible(switch)
        self.convert_button.setVisible(convert)

    # ---- running ----------------------------------------------------------------------------
    def _cancelled(self, kept: bool) -> None:
        """A stopped fill: the bar keeps what was decided, or empties when it was reverted."""
        if self.controller.reverted_a_resample():
            self.progress.setValue(self.progress.maximum())
            self.progress.setFormat("Resample reverted")
            return
        if not kept:
            self.progress.setValue(0)
        self.progress.setFormat("Partial fill kept" if kept else "Fill reverted")

    def _follow_partial_fill(self, fill: Fill) -> None:
        """A kept partial fill's bar: what it decided while its pixels are on the canvas, else empty."""
        document = self.controller.document
        on_canvas = document.mask_is_the_fills() and not np.array_equal(document.image[fill.mask], fill.before[fill.mask])
        self.progress.setMaximum(fill.total)
        self.progress.setValue(fill.decided if on_canvas else 0)
        self.progress.setFormat("Partial fill kept" if on_canvas else "The partial fill is not on the canvas")

    def _fill_changed(self) -> None:
        """Progress and candidates follow the document's last fill: none for a new image, from what is
        already decided when a fill (or a resample) starts."""
        fill = self.controller.fill
        if fill is None:
            self.progress.setMaximum(100)
            self.progress.setValue(0)
            self.progress.setFormat("No fill running")
            self.speed.setText("")
        elif fill.pending is not None and not fill.candidates:
            inside = fill.box.slices  # the hole's box: summing a 4000x3000 photo's masks took 20 ms each batch
            channels = fill.total // max(int(fill.mask[inside].sum()), 1)
            self.progress.setMaximum(fill.total)
            self.progress.setValue(fill.total - int(fill.pending[inside].sum()) * channels)
            self.progress.setFormat("%v / %m sub-pixels")
            self.speed.setText("ETA after the first row")
        self._show_candidates()

    def start(self, paused: bool = False) -> bool:
        greedy = self.greedy.isChecked()
        return self.controller.start(
            samples=1 if greedy else self.samples.value(), seed=self.seed.value(),
            temperature=self.temperature.value(), greedy=greedy, paused=paused,
        )

    def step(self, advance) -> None:
        """Step a fill; with none running, start one paused and take the first step."""
        if self.controller.busy or self.start(paused=True):
            advance()

    def cancel(self, closing: bool = False) -> bool:
        """Ask whether to keep the partial fill (``closing``: before the window closes); the fill is
        paused while the user decides. True when it is being stopped (``cancelled`` follows), False
        when it goes on as it was."""
        if not self.controller.busy or self.controller.ranking and not closing:
            return False
        go_on = self.controller.pause()
        keep = self.ask_keep_partial(closing)
        if keep is None:
            if go_on is not None:
                go_on()
            return False
        self.controller.cancel(keep)
        return True

    def ask_keep_partial(self, closing: bool = False) -> bool | None:
        """True: keep the partial fill, False: revert, None: go on filling."""
        closing_question = "A fill is running: the window closes once it has stopped. Keep the pixels filled so far?"
        title, question = ("Close the window", closing_question) if closing else ("Cancel the fill", "Keep the pixels filled so far?")
        box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=self)
        keep = box.addButton("Keep partial fill", QMessageBox.ButtonRole.AcceptRole)
        revert = box.addButton("Revert", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Go on filling", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return True if box.clickedButton() is keep else False if box.clickedButton() is revert else None

    def _state_changed(self, state: str) -> None:
        busy = state != "idle"
        for widget in (self.model_picker, self.device_picker, self.seed, self.greedy, self.complete_button,
                       self.switch_model_button, self.convert_button):
            widget.setEnabled(not busy)
        self._follow_canvas()
        # greedy draws the most likely value: every candidate would be the same, so there is one
        self.temperature.setEnabled(not busy and not self.greedy.isChecked())
        self.samples.setEnabled(not busy and not self.greedy.isChecked())
        for widget in (self.pause_button, self.cancel_button):
            widget.setEnabled(busy)
        for widget in (self.step_pixel_button, self.step_row_button):
            widget.setEnabled(state != "running")
        self.pause_button.setChecked(state == "paused")
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        if not busy:
            self.speed.setText("")
        elif state == "paused":
            self.speed.setText("Paused")

    def _progressed(self, done: int, total: int, rate: float) -> None:
        self.progress.setFormat("%v / %m sub-pixels")
        self.progress.setMaximum(total)
        self.progress.setValue(done)
        if done == total and self.controller.state == "running":  # scoring the candidates: seconds on a photo
            ranking = self.samples.value() > 1 and self.controller.known_pixels_after_hole()
            self.speed.setText("Ranking the candidates by the pixels after the hole…" if ranking else "Finishing…")
            self.progress.setRange(0, 0)  # a busy bar until the candidates are in: tens of seconds over a large region
            for widget in (self.pause_button, self.cancel_button):  # the scoring cannot be stopped, and the fill is whole
                widget.setEnabled(False)
        elif rate > 0 and self.controller.state == "running":  # a step taken while paused shows no rate
            self.speed.setText(f"{rate:,.0f} sub-pixels/s · ETA {format_seconds((total - done) / rate)}")

    def _show_candidates(self) -> None:
        """The strip shows the document's last fill's candidates, best first (none for a new image)."""
        fill = self.controller.fill
        candidates = fill.candidates if fill is not None else []
        self.strip.clear()
        scored = self.controller.known_pixels_after_hole()
        order = "" if len(candidates) < 2 else " (best first)" if scored else " (as drawn: nothing after the hole to rank by)"
        self.strip_title.setText(f"Candidates{order}")
        groups = hole_groups(fill.mask) if candidates else []
        for candidate in candidates:
            crop = thumbnail_view(fill.before, fill.mask, fill.box, candidate.hole, groups)
            thumbnail = QPixmap.fromImage(rgb_to_qimage(crop)).scaled(THUMBNAIL, THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio)
            icon = QIcon(thumbnail)
            icon.addPixmap(thumbnail, QIcon.Mode.Selected)  # the chosen one in its true colours, not tinted
            shared = scored and len(candidates) > 1
            item = QListWidgetItem(icon, f"#{candidate.rank}  {share_text(candidate.share)}" if shared else f"#{candidate.rank}")
            item.setData(Qt.ItemDataRole.UserRole, candidate.index)
            item.setToolTip(
                f"Candidate #{candidate.rank}: {share_text(candidate.share, 1)} of the posterior over the {len(candidates)} candidates "
                f"(log-likelihood of the known pixels after the hole {candidate.score:.1f} nats, "
                f"{candidates[0].score - candidate.score:.1f} below the best). {SCORE_HELP}"
                if scored else f"Candidate #{candidate.rank}: no known pixels follow the hole, so there is nothing to rank by"
            )
            self.strip.addItem(item)
        self._follow_canvas()

    def _why_not_shown(self) -> str:
        """Why the last fill's candidates are not on the canvas, for the progress bar."""
        if not self.controller.document.mask_is_the_fills():
            return "The mask changed since the last fill"
        return "The last fill is not on the canvas"

    def _follow_canvas(self) -> None:
        """Select the candidate the canvas shows in the hole; with none there (the fill undone, the hole
        painted over, the mask changed) the strip and Resample from here are disabled, and the strip
        says why, until an undo or redo brings one back."""
        fill = self.controller.fill
        shown = self.controller.document.shown_candidate()
        self.resample_button.setEnabled(shown is not None and not self.controller.busy)  # it redraws that fill
        if fill is None or not fill.candidates:
            self.strip.setEnabled(True)
            if fill is not None and fill.pending is None and not self.controller.busy:
                self._follow_partial_fill(fill)
            return
        self.strip.setEnabled(shown is not None)
        self.progress.setFormat("%v / %m sub-pixels" if shown is not None else self._why_not_shown())
        if shown is None:
            self.progress.setValue(0)
            self.strip.setCurrentRow(-1)
            self.strip.setToolTip("These candidates are not on the canvas (the fill was undone, its hole painted over or "
                                  "the mask changed); undo or redo brings them back")
            return
        self.strip.setToolTip(STRIP_TIP)
        if not self.controller.busy:  # a fill with candidates decided all it had to: an undo may bring it back
            self.progress.setMaximum(fill.total)
            self.progress.setValue(fill.total)
        fill.shown = shown.index  # an undo or redo may have put another candidate back: a resample continues it
        rows = [self.strip.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.strip.count())]
        if shown.index in rows:  # else the strip is rebuilt for this fill next, and selects it then
            self.strip.setCurrentRow(rows.index(shown.index))
