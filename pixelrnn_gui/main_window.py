"""The main window: assembles the canvas in the middle, the Complete and Train panels on the left, the
inspector on the right, the message bar and the menus, and connects them. The menus and shortcuts are
the table in :mod:`actions`, file I/O lives in :mod:`files`, the settings (the window's layout
included) in :mod:`settings`, the work in the controllers."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QGridLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import pixelrnn_core as prc

from .actions import build_actions
from .canvas import BRUSH_TOOLS, Canvas, CompareKeyFilter, Tool
from .completion import CompletionController, context_warning
from .completion_panel import CompletionPanel, model_label
from .document import Box, Document, Fill
from .files import ImageFiles, is_bundled_model
from .inspector import Inspector
from .levels import to_levels, to_rgb
from .mask_ops import grown, shrunk
from .message_bar import MessageBar
from .model_fit import KIND_OF_CHANNELS, checkpoint_kind, fits, fitting_model, levels_text, mismatch_text
from .settings import AppSettings
from .training import TrainingController
from .training_panel import TrainingPanel
from .wheel_guard import guard_wheel

# What a first start shows: a bundled model and a sample image it knows, masked, ready to complete. The hint
# names no model: a restart keeps the model used last, and a run's model may become the active one under it.
FIRST_RUN_MODEL = "fashion-mnist"
FIRST_RUN_SAMPLE = "fashion-ankle-boot"
FILLED_ONCE_KEY = "filledOnce"  # set once a fill ran to its end: later starts skip the first-run hint
FIRST_RUN_HINT = (
    "Press <b>Complete</b> to let the model chosen in the Complete panel fill the red region pixel by pixel. "
    "Paint your own mask with <b>M</b>, open your image with <b>Ctrl+O</b>, or try File ▸ Open sample."
)

ABOUT = (
    "<h3>pixelrnn {version}</h3>"
    "<p>Mask a region of an image and watch a PixelRNN fill it pixel by pixel; train models on your own "
    "image folders; inspect the 256-way distribution the model predicts for every sub-pixel.</p>"
    "<p>It implements A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu, <i>Pixel Recurrent Neural "
    "Networks</i>, ICML 2016: PixelCNN, Row LSTM, Diagonal BiLSTM and multi-scale models.</p>"
    "<p>Bundled models: {models}. The command line (<tt>pixelrnn --help</tt>) trains, evaluates, "
    "samples and completes without the window; README.md and docs/ in the source tell the rest.</p>"
)
# messages about filling (why a fill could not start, the first run's hint) go once the mask changes or a fill starts
FILL_FINISHED = "Fill finished. Hold Tab over the canvas to compare with the original."
FILL_TOPIC = "fill"
REFILL_HINT = ("The mask still covers the last fill: Complete fills it again too. To fill only what you add, "
               "undo this stroke, clear the mask (Ctrl+Shift+Backspace) and paint again.")
# a mask that could not be read goes once the image has a mask
MASK_TOPIC = "mask"
# a file that could not be read or written goes once a file is written
FILE_TOPIC = "file"
# what the Train panel said: it goes once a run starts
TRAIN_TOPIC = "train"


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.prefs = AppSettings(settings, self)
        self.settings = self.prefs.store
        self.document = Document(self)
        self._zoomed_group = -1  # the group of holes Zoom to mask showed last: it steps through holes far apart
        self.canvas = Canvas(self.document)
        self.controller = CompletionController(self.document, self)
        self.panel = CompletionPanel(self.controller)
        self.files = ImageFiles(self.document, self.prefs, lambda: self.controller.busy, self)
        self.inspector = Inspector(self.document, self.controller, self.files)
        self.training = TrainingController(self)
        self.training_panel = TrainingPanel(self.training, self.settings)
        self.message_bar = MessageBar()
        self._resample_armed = False
        self._refill_hinted: Fill | None = None  # the fill whose hole a grown mask was last said to cover
        self._close_once_stopped = False  # closing asked what to do with a fill: the window closes once it stops
        self._tool_before_pick = Tool.MASK_BRUSH
        central = QWidget()
        layout = QGridLayout(central)  # the message lies over the canvas's top: showing it moves no pixel under the brush
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas, 0, 0)
        layout.addWidget(self.message_bar, 0, 0, Qt.AlignmentFlag.AlignTop)
        self.setCentralWidget(central)
        self._add_dock("Complete", self.panel, "completeDock", Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("Inspector", self.inspector, "inspectorDock", Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("Train", self.training_panel, "trainDock", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.findChild(QDockWidget, "completeDock"), self.findChild(QDockWidget, "trainDock"))
        self.findChild(QDockWidget, "completeDock").raise_()
        self._pointer = (-1, -1)  # the image pixel under the pointer; (-1, -1) off the canvas
        self.position_label, self.zoom_label, self.warning_label, self.brush_label = QLabel(), QLabel(), QLabel(), QLabel()
        self.warning_label.setStyleSheet("color: #b35c00;")
        labels = ((self.warning_label, "Mask warning"), (self.brush_label, "Brush size"), (self.position_label, "Pointer position"), (self.zoom_label, "Zoom"))
        for label, name in labels:
            label.setAccessibleName(name)
            label.setContentsMargins(8, 0, 8, 0)  # the readouts apart, not run together
            self.statusBar().addPermanentWidget(label)
        build_actions(self)
        self._connect()
        QApplication.instance().installEventFilter(CompareKeyFilter(self.canvas))
        self.setAcceptDrops(True)
        self._restore_settings()
        self._update_title()
        self._mask_changed()

    # ---- construction -----------------------------------------------------------------------
    def _add_dock(self, title: str, widget: QWidget, name: str, area: Qt.DockWidgetArea) -> None:
        for combo in widget.findChildren(QComboBox):  # a long entry elides instead of widening the panel
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        guard_wheel(widget)
        scroll = QScrollArea()
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(widget.minimumSizeHint().width() + 24)
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(scroll)
        dock.setAccessibleName(title)
        self.addDockWidget(area, dock)

    def _connect(self) -> None:
        d, c = self.document, self.controller
        self.files.message.connect(lambda text, error: self.message_bar.show_message(text, error=error, topic=FILE_TOPIC))
        self.files.notice.connect(lambda text: self.message_bar.show_message(text, sticky=True, topic=FILE_TOPIC))
        self.files.status.connect(self.statusBar().showMessage)
        self.files.imageSaved.connect(lambda: self.message_bar.settle(FILE_TOPIC))  # the image is safe: earlier file errors are done
        d.replaced.connect(self.message_bar.hide)  # what was said was about the image before
        self.files.maskUnread.connect(lambda text: self.message_bar.show_message(text, error=True, topic=MASK_TOPIC))
        d.maskChanged.connect(lambda: self.message_bar.settle(FILL_TOPIC))
        d.maskChanged.connect(lambda: self.message_bar.settle(MASK_TOPIC))
        self.prefs.recentChanged.connect(self._refresh_recent)
        d.maskChanged.connect(self._mask_changed)
        for changed in (d.maskChanged, d.replaced):  # Zoom to mask starts again at the first group of holes
            changed.connect(lambda: setattr(self, "_zoomed_group", -1))
        d.maskChanged.connect(self._hint_refill)
        d.replaced.connect(self._mask_changed)
        d.replaced.connect(self._choose_fitting_model)
        d.undo_stack.indexChanged.connect(lambda _: self._show_model_fit())
        d.undo_stack.indexChanged.connect(lambda _: setattr(self, "_resample_armed", False))  # the fill may be gone
        d.undo_stack.cleanChanged.connect(lambda _: self._update_title())
        d.pathChanged.connect(self._update_title)
        self.canvas.pixelHovered.connect(self._hovered)
        d.imageChanged.connect(self._show_pointer)
        d.maskChanged.connect(self._show_pointer)
        self.canvas.pixelHovered.connect(self.inspector.hover)
        self.canvas.pixelPicked.connect(self._picked)
        self.canvas.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.canvas.editRefused.connect(self.message_bar.show_message)
        self.canvas.brushSizeChanged.connect(self._brush_size_changed)
        self.canvas.comparingChanged.connect(self.compare_action.setChecked)
        c.cursorMoved.connect(lambda r, col: self.canvas.set_fill_cursor(None if r < 0 else (r, col)))
        c.stateChanged.connect(self._fill_state_changed)
        for ended in (c.cancelled, c.finished, c.failed):  # once the fill's pixels are recorded or reverted
            ended.connect(lambda *_: self._close_if_asked())
        c.failed.connect(lambda text: self.message_bar.show_message(text, error=True, topic=FILL_TOPIC))
        c.finished.connect(lambda: self.statusBar().showMessage(FILL_FINISHED, 6000))
        d.undo_stack.indexChanged.connect(lambda _: self._settle_status(FILL_FINISHED))  # an undo may take the fill away
        c.finished.connect(lambda: self.prefs.set(FILLED_ONCE_KEY, True))  # the first-run hint has done its work
        c.cancelled.connect(lambda kept: self.statusBar().showMessage("Kept the partial fill." if kept else "Reverted the fill.", 4000))
        c.modelChanged.connect(self._model_changed)
        self.panel.checkpointChosen.connect(self.load_checkpoint)
        self.panel.openCheckpointRequested.connect(self.open_checkpoint_dialog)
        self.panel.resampleRequested.connect(self._arm_resample)
        self.panel.fittingModelRequested.connect(self._choose_fitting_model)
        self.panel.convertRequested.connect(self.convert_to_grey)
        self.panel.deviceChosen.connect(lambda device: self.prefs.set("device", device))
        self.inspector.overlayChanged.connect(self.canvas.set_overlay)
        self.inspector.opacityChanged.connect(self.canvas.set_overlay_opacity)
        self.inspector.message.connect(self.message_bar.show_message)
        self.inspector.maskNeeded.connect(lambda text: self.message_bar.show_message(text, topic=MASK_TOPIC))
        self.training_panel.message.connect(lambda text, error: self.message_bar.show_message(text, error=error, topic=TRAIN_TOPIC))
        self.training.stateChanged.connect(lambda state: state == "starting" and self.message_bar.settle(TRAIN_TOPIC))  # a new try
        self.training.modelReady.connect(self.add_trained_model)

    # ---- settings ---------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        self.prefs.restore_window(self)
        self.prefs.restore_brushes(self.canvas)
        self.prefs.restore_sampling(self.panel)
        self.colour_action.setIcon(self.colour_icon())
        self.set_tool(self.prefs.tool())
        self.panel.choose_device(self.prefs.device())
        self._refresh_recent()
        model = self.prefs.value("model")
        if model and Path(str(model)).is_file():
            self.controller.load_model(str(model))
        elif FIRST_RUN_MODEL in prc.bundled_models():
            self.controller.load_model(str(prc.bundled_models()[FIRST_RUN_MODEL]))

    def _save_settings(self) -> None:
        self.prefs.save_window(self, self.canvas, self.panel)

    def _refresh_recent(self) -> None:
        self.training_panel.offer_fine_tuning(self.prefs.recent("recentModels"))
        self.recent_menu.clear()
        for path in self.prefs.recent("recentFiles"):
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.files.open_image(p))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()) and not self.controller.busy)
        self.panel.refresh_models(self.prefs.recent("recentModels"))

    # ---- models -------------------------------------------------------------------------
    def open_checkpoint_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", self.prefs.folder("lastModelFolder"), "Checkpoints (*.safetensors);;All files (*)")
        if path:
            self.load_checkpoint(path)

    def load_checkpoint(self, path: str) -> None:
        if not self.files.free():
            return
        if self.controller.load_model(path):
            if not is_bundled_model(Path(path)):  # Open checkpoint starts where the user's own models are
                self.files.remember_folder("lastModelFolder", Path(path).parent)
            self.prefs.set("model", str(path))
            self.prefs.set(f"lastModel/{self._model_kind()}", str(path))
            self.prefs.remember("recentModels", Path(path))
        else:
            self.panel.refresh_models(self.prefs.recent("recentModels"))

    def _settle_status(self, message: str) -> None:
        """Clear the status bar's ``message`` if it is showing: what it said may no longer hold."""
        if self.statusBar().currentMessage() == message:
            self.statusBar().clearMessage()

    def add_trained_model(self, path: str, worth_using: bool = True) -> None:
        """A run's checkpoint joins the model picker at once; it becomes the model if the run completed
        or validated it (``worth_using``), it fits the open image and no fill runs."""
        self.prefs.remember("recentModels", Path(path))
        name = f"{Path(path).parent.name}/{Path(path).name}"
        if not worth_using:
            self.message_bar.show_message(f"The run stopped before its first validation: its model {name} is in the model picker; "
                                          "the model in use stays.", sticky=True, topic=TRAIN_TOPIC)
        elif self.controller.busy or not fits(checkpoint_kind(path), self.document.colour_kind()):
            self.statusBar().showMessage(f"Trained model {name} added to the model picker.", 6000)
        else:
            self.load_checkpoint(path)
            self.statusBar().showMessage(f"Model: {name}, just trained.", 6000)

    def show_first_run(self) -> None:
        """No image named on the command line: a sample image, masked, and a hint of what to do until
        the user has run a fill to its end once."""
        if FIRST_RUN_SAMPLE in prc.sample_images() and self.files.open_sample(FIRST_RUN_SAMPLE):
            self.findChild(QDockWidget, "completeDock").raise_()  # the panel the hint's Complete is on
            if not self.prefs.flag(FILLED_ONCE_KEY):
                self.message_bar.show_message(FIRST_RUN_HINT, sticky=True, topic=FILL_TOPIC)

    def show_training(self) -> None:
        self.findChild(QDockWidget, "trainDock").raise_()
        self.training_panel.scroll_to_top()

    # ---- drag and drop ----------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        data = event.mimeData()
        files = [url.toLocalFile() for url in data.urls() if url.isLocalFile()]
        if files:
            target = files[0]
            if target.endswith(".safetensors"):
                self.load_checkpoint(target)
            else:
                self.files.open_image(target)
        elif data.hasImage():
            self.files.take_image(data.imageData())
        event.acceptProposedAction()

    # ---- tools and mask edits ---------------------------------------------------------------
    def set_tool(self, tool: Tool) -> None:
        self._resample_armed = False
        self.canvas.set_tool(tool)
        self.tool_actions[tool].setChecked(True)

    def colour_icon(self) -> QIcon:
        pixmap = QPixmap(16, 16)
        pixmap.fill(self.canvas.colour)
        return QIcon(pixmap)

    def choose_colour(self) -> None:
        colour = QColorDialog.getColor(self.canvas.colour, self, "Brush colour")
        if colour.isValid():
            self.canvas.colour = colour
            self.colour_action.setIcon(self.colour_icon())
            self.set_tool(Tool.PAINT)

    def _edit_mask(self, text: str, mask: np.ndarray) -> None:
        if self.controller.busy:
            self.message_bar.show_message("The mask cannot change while a fill is running.")
            return
        self.document.edit(text, "mask", mask)

    def invert_mask(self) -> None:
        self._edit_mask("Invert mask", ~self.document.mask)

    def clear_mask(self) -> None:
        self._edit_mask("Clear mask", np.zeros_like(self.document.mask))

    def grow_mask(self) -> None:
        self._edit_mask("Grow mask", grown(self.document.mask))

    def shrink_mask(self) -> None:
        self._edit_mask("Shrink mask", shrunk(self.document.mask))

    def _brush_size_changed(self, size: int) -> None:
        self.brush_label.setText(f"Brush {size} px" if self.canvas.tool in BRUSH_TOOLS else "")

    def zoom_to_mask(self) -> None:
        """Show the masked region with its surroundings (a hole in a photo is a spot at the fitted zoom);
        with holes far apart (a fill's groups, ``prc.hole_groups``), each press shows the next group."""
        mask = self.document.mask
        if not mask.any():
            self.message_bar.show_message("Paint a mask first: View ▸ Zoom to mask shows it.")
            return
        groups = prc.hole_groups(mask)
        number = self._zoomed_group = (self._zoomed_group + 1) % len(groups)
        group = groups[number]
        if not self.canvas.zoom_to(Box.of(group)):
            self.statusBar().showMessage("The masked region spans the fitted view: it is shown whole (Z zooms to a smaller mask).", 6000)
        elif len(groups) > 1:
            self.statusBar().showMessage(f"Holes far apart: group {number + 1} of {len(groups)} shown; Z shows the next.", 6000)

    def mask_bottom_half(self) -> None:
        mask = np.zeros_like(self.document.mask)
        mask[self.document.height // 2 :] = True
        self._edit_mask("Mask bottom half", mask)

    def _mask_changed(self) -> None:
        info = self.controller.info
        warning = context_warning(self.document.mask, any_side=info is not None and info.completion_orientation == "auto")
        self.warning_label.setText(warning or "")
        self.warning_label.setToolTip(warning or "")

    def _hint_refill(self) -> None:
        """Once a fill: a mask grown past a finished fill's hole still covers it, and Complete fills it
        again too (a notice without a topic: the strokes that follow do not settle it)."""
        fill = self.document.fill
        if fill is None or fill is self._refill_hinted or fill.pending is not None or not fill.candidates:
            return
        box = fill.box.slices  # every stroke comes here: the hole's box first, the whole mask only while it covers the hole
        if self.document.mask[box][fill.mask[box]].all() and not self.document.mask_is_the_fills():
            self._refill_hinted = fill
            self.message_bar.show_message(REFILL_HINT)

    # ---- completion -------------------------------------------------------------------------
    def _fill_state_changed(self, state: str) -> None:
        busy = state != "idle"
        if busy:
            self.message_bar.settle(FILL_TOPIC)
        self.canvas.locked = busy
        self.undo_action.setEnabled(not busy and self.document.undo_stack.canUndo())
        self.redo_action.setEnabled(not busy and self.document.undo_stack.canRedo())
        for action in self.idle_only_actions:
            action.setEnabled(not busy)
        self.recent_menu.setEnabled(not busy and bool(self.recent_menu.actions()))
        self.samples_menu.setEnabled(not busy)
        self._update_title()
        self.statusBar().showMessage({"running": "Filling…", "paused": "Paused."}.get(state, ""), 0 if busy else 1)

    def _model_changed(self, path: str, info: prc.CheckpointInfo) -> None:
        self.statusBar().showMessage(f"Model: {model_label(path)}", 4000)
        self._show_model_fit()
        self._mask_changed()  # whether the mask leaves context depends on the side the model fills from

    # ---- the model fits the picture ---------------------------------------------------------
    def _model_kind(self) -> str | None:
        model = self.controller.model
        return None if model is None else KIND_OF_CHANNELS.get(model.config.channels)

    def _choose_fitting_model(self) -> None:
        """Keep the model if it suits the image's colours; else take the last one of the right kind
        used (or the bundled one)."""
        image_kind = self.document.colour_kind()
        if not self.controller.busy and not fits(self._model_kind(), image_kind):
            path = fitting_model(image_kind, self.prefs.value(f"lastModel/{image_kind}"))
            if path is not None:
                self.load_checkpoint(str(path))
        self._show_model_fit()

    def _show_model_fit(self) -> None:
        mismatch = mismatch_text(self._model_kind(), self.document.colour_kind())
        if mismatch is not None:
            self.panel.show_model_fit(mismatch, switch=True, convert=self._model_kind() == "grey")
        else:
            model = self.controller.model
            self.panel.show_model_fit(levels_text(None if model is None else model.config.levels, self.document.image), False, False)

    def convert_to_grey(self) -> None:
        """Make the image grey, as a grayscale model reads it (one undoable edit)."""
        if not self.controller.busy:
            self.document.edit("Convert to grayscale", "image", to_rgb(to_levels(self.document.image, 1, 256), 256))

    def _arm_resample(self) -> None:
        if self.controller.job is None:
            self.message_bar.show_message("Complete a mask first; then pick a pixel of the fill to resample from.")
            return
        self._tool_before_pick = self.canvas.tool
        self.set_tool(Tool.PICK)
        self._resample_armed = True
        self.statusBar().showMessage("Click a pixel inside the fill: everything after it is drawn again.", 8000)

    def _picked(self, row: int, col: int) -> None:
        if self._resample_armed:
            self.set_tool(self._tool_before_pick)
            self.controller.resample_from(row, col)
        else:
            self.inspector.toggle_pin(row, col)

    def escape(self) -> None:
        """Esc: cancel a running fill; otherwise unpin the inspector's pixel."""
        if self.controller.busy:
            self.panel.cancel()
        else:
            self.inspector.unpin()

    def _hovered(self, row: int, col: int) -> None:
        self._pointer = (row, col)
        self._show_pointer()

    def _show_pointer(self) -> None:
        """The status bar's readout of the pixel under the pointer, refreshed when the pointer moves and
        when the pixel changes under a still pointer (a fill, an undo)."""
        row, col = self._pointer
        if row < 0 or not self.document.inside(row, col):
            self.position_label.setText("")
            return
        r, g, b = (int(v) for v in self.document.image[row, col])
        value = f"grey {r}" if self._model_kind() == "grey" and r == g == b else f"RGB {r} {g} {b}"
        masked = " · masked" if self.document.mask[row, col] else ""
        self.position_label.setText(f"x {col}, y {row}  {value}{masked}")

    # ---- help, title, closing ---------------------------------------------------------------
    def show_shortcuts(self) -> None:
        actions = [a for a in self.actions() if not a.shortcut().isEmpty()]
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(actions) + 3, 2, dialog)
        table.setAccessibleName("Shortcuts")
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        names = {self.undo_action: "Undo", self.redo_action: "Redo"}  # not the live "Undo <last edit>"
        rows = [(names.get(a, a.text().replace("&", "")), a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)) for a in actions]
        rows += [("Pan", "Space-drag or middle-drag"), ("Zoom at pointer", "Wheel"), ("Compare with original", "Hold Tab on the canvas")]
        for row, (name, keys) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(name))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(close)
        dialog.resize(460, 600)
        dialog.show()
        self.shortcuts_dialog = dialog

    def show_about(self) -> None:
        QMessageBox.about(self, "About pixelrnn", ABOUT.format(version=prc.__version__, models=", ".join(prc.bundled_models())))

    def confirm_stop_training(self) -> bool:
        """Ask before closing the window stops a training run; True when it is fine to go on."""
        if not self.training.busy or self.training.run_dir is None:
            return True
        if self.training.trainer is None:
            text = (f"The training run in {self.training.run_dir} is reading its images: nothing is trained yet. "
                    "Closing the window stops it once the images are read. Stop it and close?")
        else:
            text = (f"Closing the window stops the training run in {self.training.run_dir} after its current step and "
                    "saves it there (the Train panel can resume it later). Stop it and close?")
        answer = QMessageBox.question(self, "Training in progress", text, QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Close

    def _update_title(self) -> None:
        name = self.document.path.name if self.document.path else "untitled"
        self.setWindowModified(self.document.modified or self.controller.busy)
        self.setWindowTitle(f"{name}[*] — PixelRNN")

    def _fill_stopped_for_closing(self) -> bool:
        """Ask what to do with the running fill, as Cancel does, once: True when the window may close now
        (the fill ended while the question was up); else, if it is stopping, the window closes once it has."""
        if not self._close_once_stopped and self.panel.cancel(closing=True):
            if not self.controller.busy:
                return True
            self._close_once_stopped = True
        return False

    def _close_if_asked(self) -> None:
        """Close once the fill closing stopped has ended: from the event loop, not from inside the fill's
        task, where the save question's own event loop would stop the Inspector's task from running."""
        if self._close_once_stopped:
            self._close_once_stopped = False
            QTimer.singleShot(0, self.close)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Closing during a fill first asks what to do with it, as Cancel does (keep the pixels so far,
        revert, or go on filling); once it has stopped the window closes as it would without one."""
        if self.controller.busy and not self._fill_stopped_for_closing():
            event.ignore()
            return
        if not self.confirm_stop_training() or not self.files.confirm_discard():
            event.ignore()
            return
        self.controller.shutdown()
        self.inspector.shutdown()
        waiting = self.training.busy  # the run ends its step (or its reading) first: seconds, with nothing else to show
        if waiting:
            self.statusBar().showMessage("Stopping the training run…")
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            self.statusBar().repaint()  # painted now: no events run while the window closes
        stopped_run_model = self.training.shutdown()
        if waiting:
            QApplication.restoreOverrideCursor()
        if stopped_run_model is not None:  # the picker lists it after a restart, as a finished run's
            self.prefs.remember("recentModels", stopped_run_model)
        self._save_settings()
        # the undo stack announces a clean state while it is being destroyed, after this window's parts
        self.document.undo_stack.cleanChanged.disconnect()
        self.document.undo_stack.indexChanged.disconnect()
        event.accept()
