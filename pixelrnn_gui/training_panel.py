"""The Train panel: pick an image folder (usable count, preview grid, skipped files with reasons),
choose the data, model and training settings, run it (start, pause/resume, stop, resume a previous
run) and watch it learn (progress, bits/dim curves, sample and completion previews). It forwards the
user's choices to the :class:`TrainingController`."""
from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import pixelrnn_core as prc

from .completion_panel import format_seconds, labelled
from .levels import to_rgb
from .loss_plot import LossPlot
from .qimages import rgb_to_qimage
from .training import SMALLEST_SIZE, TrainingController, workspace_problem

PREVIEW_IMAGES = 12
PREVIEW_SIDE = 96  # pixels: three previews side by side fit the Train panel at its default width
PREVIEWS_PER_RUN = 4  # the preview interval proposed for a folder shows about this many previews
SMALL_PRESET = "Small / fast"
CUSTOM_PRESET = "Custom"
# The paper's sizes (§4-5 and its Table 1); the data settings choose channels and levels.
PAPER_PRESETS = {
    "Paper: binarized MNIST (Diagonal BiLSTM, 7 layers, h=16)": "mnist",
    "Paper: CIFAR-10 PixelCNN (15 layers, h=128)": "cifar10-pixelcnn",
    "Paper: CIFAR-10 Row LSTM (12 layers, h=128)": "cifar10-row-lstm",
    "Paper: CIFAR-10 Diagonal BiLSTM (12 layers, h=128)": "cifar10-diagonal-bilstm",
    "Paper: ImageNet 32x32 Row LSTM (12 layers, h=384)": "imagenet32",
    "Paper: ImageNet 64x64 Row LSTM (4 layers, h=512)": "imagenet64",
}
SMALL_SIZES = dict(hidden=16, layers=2, out_hidden=32)
FINE_TUNE = "Fine-tune: "  # + a bundled model's name or a checkpoint's folder/name: start from its model and weights
ARCH_NAMES = {"pixelcnn": "PixelCNN", "row_lstm": "Row LSTM", "diagonal_bilstm": "Diagonal BiLSTM", "multiscale": "Multi-scale"}
DEFAULT_WORKSPACE = Path.home() / "pixelrnn-runs"
DEFAULT_LEVELS = 256
LAST_RUN_KEY = "lastTrainingRun"  # where Resume run… starts
NO_RUN = "No run"
PREVIEW_CAPTION = "Previews appear every N steps."


def gib(size: float) -> str:
    return f"{size / 2**30:.1f} GiB"


def devices() -> list[tuple[str, str]]:
    """(label with its memory, device name) of every device training can use."""
    try:
        memory = f", {gib(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES'))} RAM"
    except (ValueError, OSError, AttributeError):
        memory = ""
    found = [(f"CPU ({os.cpu_count()} cores{memory})", "cpu")]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            found.append((f"CUDA {index}: {props.name} ({gib(props.total_memory)})", f"cuda:{index}"))
    return found


def pixmap(levels_image: np.ndarray, levels: int) -> QPixmap:
    """A levels image (H, W, C) shown in RGB, enlarged without smoothing by the largest whole factor
    that keeps its longer side within :data:`PREVIEW_SIDE` (at least 1)."""
    image = rgb_to_qimage(np.ascontiguousarray(to_rgb(levels_image, levels)))
    scale = max(1, PREVIEW_SIDE // max(image.width(), image.height()))
    return QPixmap.fromImage(image.scaled(image.width() * scale, image.height() * scale))


def run_folder_name(plan: prc.RunConfig) -> str:
    """DATA-ARCH-TIME for a fresh model, DATA-MODEL-fine-tuned-TIME for a bundled model fine-tuned."""
    what = plan.model.arch if plan.training.init is None else f"{Path(plan.training.init).stem}-fine-tuned"
    return f"{Path(plan.data.path).name or 'data'}-{what}-{time.strftime('%Y%m%d-%H%M%S')}"


def missing_data(run: prc.RunFolder) -> str | None:
    """The folder of images ``run`` trained on, if it is no longer there; None when it is, or when the
    run is not one the panel can resume (resuming then says why)."""
    try:
        path = run.read_config().data.path
    except (OSError, ValueError):
        return None
    return None if Path(path).expanduser().exists() else path


class TrainingPanel(QWidget):
    """Widgets for one :class:`TrainingController`; ``message`` reports problems to the window."""

    message = Signal(str, bool)  # text, is it an error

    def __init__(self, controller: TrainingController, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.settings = settings
        self.setObjectName("trainingPanel")
        self.setAccessibleName("Training panel")
        self.usable = 0
        self.no_usable_image = False  # the folder was read and has none: Start is disabled
        self.preview_chosen = False  # the user set the preview interval: it is no longer proposed
        self.best: tuple[float, int] | None = None
        self.levels_of_run = DEFAULT_LEVELS
        self.fine_tuning = False  # the preset fine-tunes a model: its colour and levels are fixed
        self.shown_run: Path | None = None  # the resumed run whose settings the form shows
        self._make_data_widgets()
        self._make_model_widgets()
        self._make_run_widgets()
        self._layout()
        self._connect()
        self._apply_preset(SMALL_PRESET)
        self._show_recipe()
        self._clear_feedback()
        self._state_changed("idle")
        self._scan_timer = QTimer(self, singleShot=True, interval=300)
        self._scan_timer.timeout.connect(self.scan)

    # ---- construction -----------------------------------------------------------------------
    def _spin(self, name: str, low: int, high: int, value: int, tip: str, object_name: str | None = None) -> QSpinBox:
        spin = labelled(QSpinBox(), name, tip)
        spin.setRange(low, high)
        spin.setValue(value)
        if object_name:
            spin.setObjectName(object_name)
        return spin

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        button = labelled(QPushButton(text), text.rstrip("…"), tip)
        button.setObjectName(name)
        return button

    def _make_data_widgets(self) -> None:
        self.folder_edit = labelled(QLineEdit(), "Image folder", "The folder of images to train on (searched recursively)")
        self.folder_edit.setObjectName("trainFolderEdit")
        self.folder_edit.setPlaceholderText("Folder of images…")
        self.folder_button = self._button("Choose…", "trainFolderButton", "Choose the folder of images to train on")
        self.usable_label = labelled(QLabel("No folder chosen."), "Usable images", "How many images the run will use")
        self.usable_label.setObjectName("trainUsableLabel")
        self.usable_label.setWordWrap(True)
        self.preview_grid = labelled(QListWidget(), "Image preview", "The first usable images, as the model will see them")
        self.preview_grid.setObjectName("trainPreviewGrid")
        self.preview_grid.setViewMode(QListWidget.ViewMode.IconMode)
        self.preview_grid.setIconSize(QSize(40, 40))
        self.preview_grid.setGridSize(QSize(46, 46))
        self.preview_grid.setFlow(QListWidget.Flow.LeftToRight)
        self.preview_grid.setWrapping(False)
        self.preview_grid.setFixedHeight(66)
        self.preview_grid.setMovement(QListWidget.Movement.Static)
        self.skipped_list = labelled(QListWidget(), "Skipped files", "Files that will not be used, and why")
        self.skipped_list.setObjectName("trainSkippedList")
        self.skipped_list.setFixedHeight(60)
        self.skipped_list.setWordWrap(True)
        self.size_spin = self._spin("Image size", SMALLEST_SIZE, 512, 32, "Side of the square training images, in pixels", "trainSizeSpin")
        self.size_spin.setSuffix(" px")
        self.fit_combo = labelled(QComboBox(), "Fit", "How larger images become the training size: one random crop of each "
                                  "(the same for the whole run), the whole image scaled down, or every tile of a grid over "
                                  "each image (photos give many examples)")
        self.fit_combo.addItem("Random crop", "crop")
        self.fit_combo.addItem("Resize (then centre crop)", "resize")
        self.fit_combo.addItem("Tiles (every part of each image)", "tiles")
        self.colour_combo = labelled(QComboBox(), "Colour", "Grayscale (1 channel) or RGB (3 channels, R→G→B per pixel)")
        self.colour_combo.setObjectName("trainColourCombo")
        self.colour_combo.addItem("RGB", 3)
        self.colour_combo.addItem("Grayscale", 1)
        self.levels_spin = self._spin("Levels", prc.MIN_LEVELS, prc.MAX_LEVELS, DEFAULT_LEVELS,
                                      "Values per sub-pixel (2 = black and white, 256 = 8 bits)", "trainLevelsSpin")
        self.augment_check = labelled(QCheckBox("Flips and rotations (8 symmetries)"), "Augment", "Train on a random symmetry of the square of each image")
        self.val_spin = labelled(QDoubleSpinBox(), "Validation split", "Share of the images held out to measure validation bits/dim")
        self.val_spin.setRange(0.0, 0.5)
        self.val_spin.setSingleStep(0.05)
        self.val_spin.setValue(0.1)

    def _make_model_widgets(self) -> None:
        self.preset_combo = labelled(QComboBox(), "Preset", "The paper's model sizes, a small fast one, or your own")
        self.preset_combo.setObjectName("trainPresetCombo")
        self.preset_combo.addItems([SMALL_PRESET, *PAPER_PRESETS])
        for name, path in prc.bundled_models().items():
            self.preset_combo.addItem(FINE_TUNE + name, str(path))
        self.preset_combo.addItem(CUSTOM_PRESET)
        self.arch_combo = labelled(QComboBox(), "Architecture", "PixelCNN (fast), Row LSTM, Diagonal BiLSTM (best in the paper) or multi-scale")
        self.arch_combo.setObjectName("trainArchCombo")
        for arch in prc.ARCHITECTURES:
            self.arch_combo.addItem(ARCH_NAMES.get(arch, arch), arch)
        self.layers_spin = self._spin("Layers", 1, 32, 2, "Residual layers", "trainLayersSpin")
        self.hidden_spin = self._spin("Hidden", 3, 1024, 16, "h: features of each layer's recurrent or convolutional core", "trainHiddenSpin")
        self.out_hidden_spin = self._spin("Output features", 3, 2048, 32, "Width of the two output layers", "trainOutHiddenSpin")
        self.output_combo = labelled(
            QComboBox(), "Output", "Each sub-pixel's distribution: the paper's softmax over the levels, or "
            "PixelCNN++'s discretized logistic mixture (10 components)",
        )
        self.output_combo.setObjectName("trainOutputCombo")
        self.output_combo.addItem("Softmax (paper)", "softmax")
        self.output_combo.addItem("Logistic mixture (PixelCNN++)", "logistic_mixture")
        self.optimizer_combo = labelled(QComboBox(), "Optimizer", "RMSProp (the paper's) or Adam")
        self.optimizer_combo.addItem("RMSProp", "rmsprop")
        self.optimizer_combo.addItem("Adam", "adam")
        recipe = prc.TrainSettings()  # the defaults `pixelrnn train` uses too (optimizer and learning rate: _show_recipe)
        self.lr_spin = labelled(QDoubleSpinBox(), "Learning rate", "Step size of the optimizer")
        self.lr_spin.setDecimals(5)
        self.lr_spin.setRange(0.00001, 1.0)
        self.lr_spin.setSingleStep(0.0005)
        self.batch_spin = self._spin("Batch size", 1, 1024, recipe.batch_size, "Images per step (the paper uses 16)", "trainBatchSpin")
        self.epochs_spin = self._spin("Epochs", 1, 100000, recipe.epochs, "Passes over the training images", "trainEpochsSpin")
        self.preview_spin = self._spin("Preview every", 0, 100000, 100, "Draw a sample and a completion every N steps (0: never)", "trainPreviewEverySpin")
        self.preview_spin.setSuffix(" steps")
        self.device_combo = labelled(QComboBox(), "Device", "Where the model trains, with its memory (a GPU when there is one)")
        self.device_combo.setObjectName("trainDeviceCombo")
        for label, name in devices():
            self.device_combo.addItem(label, name)
        # the first GPU when there is one, as `pixelrnn train` chooses
        self.device_combo.setCurrentIndex(min(1, self.device_combo.count() - 1))

    def _make_run_widgets(self) -> None:
        self.workspace_edit = labelled(QLineEdit(str(self.settings.value("trainWorkspace", str(DEFAULT_WORKSPACE)))),
                                       "Workspace", "Each run gets its own folder here (config, metrics, checkpoints)")
        self.workspace_edit.setObjectName("trainWorkspaceEdit")
        self.workspace_button = self._button("Choose…", "trainWorkspaceButton", "Choose the folder where runs are kept")
        self.start_button = self._button("Start", "trainStartButton", "Start a new run with these settings")
        self.pause_button = self._button("Pause", "trainPauseButton", "Pause after the current step, or resume")
        self.pause_button.setCheckable(True)
        self.stop_button = self._button("Stop", "trainStopButton", "Finish the current step, save the checkpoint and end the run")
        self.resume_button = self._button("Resume run…", "trainResumeButton", "Continue a previous run from its folder")
        self.progress = labelled(QProgressBar(), "Training progress", "Steps done out of the run's steps")
        self.progress.setObjectName("trainProgress")
        self.speed_label = labelled(QLabel(""), "Speed", "Images per second and time left")
        self.speed_label.setObjectName("trainSpeedLabel")
        self.best_label = labelled(QLabel(""), "Best validation", "The lowest validation bits/dim so far")
        self.best_label.setObjectName("trainBestLabel")
        self.run_label = labelled(QLabel(""), "Run folder", "Where this run keeps its files")
        self.run_label.setWordWrap(True)
        self.loss_plot = LossPlot()
        self.sample_view = labelled(QLabel(), "Sample", "A sample drawn from scratch at the last preview")
        self.completion_view = labelled(QLabel(), "Completion", "The bottom half of the fixed preview image, completed at the last preview")
        self.original_view = labelled(QLabel(), "Preview image", "The fixed image the completion starts from: the centre of the first "
                                                                       "validation image (of the first training image if none is held out)")
        self.preview_caption = QLabel()

    def _layout(self) -> None:
        data = QWidget()
        form = QFormLayout(data)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.folder_button)
        form.addRow("Folder", folder_row)
        form.addRow(self.usable_label)
        form.addRow(self.preview_grid)
        form.addRow("Skipped", self.skipped_list)
        form.addRow("Size", self.size_spin)
        form.addRow("Fit", self.fit_combo)
        form.addRow("Colour", self.colour_combo)
        form.addRow("Levels", self.levels_spin)
        form.addRow(self.augment_check)
        form.addRow("Validation", self.val_spin)
        model = QWidget()
        form = QFormLayout(model)
        form.addRow("Preset", self.preset_combo)
        form.addRow("Architecture", self.arch_combo)
        form.addRow("Layers", self.layers_spin)
        form.addRow("Hidden (h)", self.hidden_spin)
        form.addRow("Output features", self.out_hidden_spin)
        form.addRow("Output", self.output_combo)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Learning rate", self.lr_spin)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Previews", self.preview_spin)
        form.addRow("Device", self.device_combo)
        run = QGroupBox("Run")
        box = QVBoxLayout(run)
        workspace_row = QHBoxLayout()
        workspace_row.addWidget(QLabel("Workspace"))
        workspace_row.addWidget(self.workspace_edit, 1)
        workspace_row.addWidget(self.workspace_button)
        box.addLayout(workspace_row)
        buttons = QGridLayout()
        buttons.addWidget(self.start_button, 0, 0)
        buttons.addWidget(self.pause_button, 0, 1)
        buttons.addWidget(self.stop_button, 0, 2)
        buttons.addWidget(self.resume_button, 1, 0, 1, 3)
        box.addLayout(buttons)
        box.addWidget(self.run_label)
        box.addWidget(self.progress)
        box.addWidget(self.speed_label)
        box.addWidget(self.best_label)
        box.addWidget(self.loss_plot)
        previews = QHBoxLayout()
        for view, caption in ((self.original_view, "image"), (self.completion_view, "completion"), (self.sample_view, "sample")):
            column = QVBoxLayout()
            view.setAlignment(Qt.AlignmentFlag.AlignCenter)
            view.setMinimumSize(64, 64)
            column.addWidget(view)
            column.addWidget(QLabel(caption), 0, Qt.AlignmentFlag.AlignHCenter)
            previews.addLayout(column)
        box.addWidget(self.preview_caption)
        box.addLayout(previews)
        self.settings_tabs = QTabWidget()
        self.settings_tabs.setObjectName("trainSettingsTabs")
        self.settings_tabs.addTab(data, "Data")
        self.settings_tabs.addTab(model, "Model and training")
        layout = QVBoxLayout(self)
        layout.addWidget(self.settings_tabs)
        layout.addWidget(run)
        layout.addStretch(1)

    def _connect(self) -> None:
        c = self.controller
        self.folder_button.clicked.connect(self.choose_folder)
        self.folder_edit.editingFinished.connect(lambda: self.scan(propose=True))
        for spin in (self.size_spin,):
            spin.valueChanged.connect(lambda _: self._scan_timer.start())
        for combo in (self.fit_combo, self.colour_combo):
            combo.currentIndexChanged.connect(lambda _: self._scan_timer.start())
        self.preset_combo.currentTextChanged.connect(self._apply_preset)
        for spin in (self.batch_spin, self.epochs_spin, self.val_spin):
            spin.valueChanged.connect(lambda _: self._propose_preview_interval())
        self.preview_spin.valueChanged.connect(self._preview_edited)
        for spin in (self.layers_spin, self.hidden_spin, self.out_hidden_spin):
            spin.valueChanged.connect(self._custom)
        self.arch_combo.currentIndexChanged.connect(self._custom)
        self.workspace_button.clicked.connect(self.choose_workspace)
        self.workspace_edit.editingFinished.connect(self._remember_workspace)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(lambda paused: c.pause() if paused else c.resume())
        self.stop_button.clicked.connect(c.stop)
        self.resume_button.clicked.connect(self.choose_run_to_resume)
        c.stateChanged.connect(self._state_changed)
        c.started.connect(self._started)
        c.progressed.connect(self._progressed)
        c.validated.connect(self._validated)
        c.previewed.connect(self._previewed)
        c.finished.connect(self._finished)
        c.checkpointSaved.connect(self._saved)
        c.failed.connect(self._failed)
        c.proposed.connect(self._proposed)
        c.scanned.connect(self._scanned)
        c.scanFailed.connect(self._scan_failed)

    def scroll_to_top(self) -> None:
        """Show the panel from its Folder field (a scroll area around it may have kept an old position)."""
        self.settings_tabs.setCurrentIndex(0)
        self.folder_edit.setFocus()
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.verticalScrollBar().setValue(0)

    # ---- data -------------------------------------------------------------------------------
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of training images", self.folder_edit.text() or str(Path.home()))
        if folder:
            self.set_folder(folder)

    def set_folder(self, folder: str) -> None:
        """Read a new folder: its images propose the size, colour and preview interval."""
        self.folder_edit.setText(folder)
        self.preview_chosen = False
        self.scan(propose=True)

    def data_spec(self) -> prc.DatasetSpec:
        return prc.DatasetSpec(
            self.folder_edit.text().strip(), size=self.size_spin.value(), channels=self.colour_combo.currentData(),
            levels=self.levels_spin.value(), fit=self.fit_combo.currentData(), val_fraction=self.val_spin.value(),
            augment=self.augment_check.isChecked(),
        )

    def scan(self, propose: bool = False) -> None:
        """Read the folder with the current size and colour settings (or, with ``propose``, with those
        its images suggest) and show what the run would use."""
        if not self.folder_edit.text().strip():
            return
        self.usable_label.setText("Reading the folder…")
        self.controller.scan(self.data_spec(), propose)

    def _proposed(self, proposal: prc.Proposal) -> None:
        """Show the size and colour the folder suggests (without reading it again); a model being
        fine-tuned keeps its own colour, and the images are read in it."""
        start = self.fine_tuned()
        for widget in (self.size_spin, self.colour_combo):
            widget.blockSignals(True)
        self.size_spin.setValue(proposal.size)
        self.colour_combo.setCurrentIndex(self.colour_combo.findData(proposal.channels if start is None else start.config.channels))
        for widget in (self.size_spin, self.colour_combo):
            widget.blockSignals(False)

    def _scanned(self, image_set: prc.ImageSet) -> None:
        self.usable = len(image_set.images)
        self.no_usable_image = False
        self._enable_start()
        skipped = len(image_set.skipped)
        tiles = image_set.tiles_line()
        usable = f"{self.usable} usable tiles of {image_set.source_images} image(s)" if tiles else f"{self.usable} usable image(s)"
        self.usable_label.setText(usable + (f", {skipped} file(s) skipped" if skipped else ""))
        self.preview_grid.clear()
        for image in image_set.images[:PREVIEW_IMAGES]:
            icon = QIcon(QPixmap.fromImage(rgb_to_qimage(np.ascontiguousarray(to_rgb(image, 256)))).scaled(40, 40))
            self.preview_grid.addItem(QListWidgetItem(icon, ""))
        self._list_skipped(image_set.skipped)
        self._propose_preview_interval()

    def _scan_failed(self, message: str, skipped: list) -> None:
        self.usable = 0
        self.no_usable_image = True
        self._enable_start()
        self.usable_label.setText(f"No usable image: {prc.skip_reasons(skipped)}." if skipped else message)
        self.preview_grid.clear()
        self._list_skipped(skipped)

    def _list_skipped(self, skipped: list) -> None:
        self.skipped_list.clear()
        for item in skipped:
            entry = QListWidgetItem(f"{Path(item.path).name}: {item.reason}")
            entry.setToolTip(f"{item.path}: {item.reason}")
            self.skipped_list.addItem(entry)

    def planned_steps(self) -> int:
        """The steps a run on the usable images will take with the current settings."""
        training_images, _ = prc.split_sizes(self.usable, self.val_spin.value())
        return self.train_settings().total_steps(training_images)

    def _propose_preview_interval(self) -> None:
        """Previews every N steps such that a run shows several (unless the user chose N)."""
        if self.preview_chosen or not self.usable:
            return
        self.preview_spin.blockSignals(True)
        self.preview_spin.setValue(max(1, self.planned_steps() // PREVIEWS_PER_RUN))
        self.preview_spin.blockSignals(False)

    def _preview_edited(self) -> None:
        self.preview_chosen = True

    # ---- model ------------------------------------------------------------------------------
    def fine_tuned(self) -> prc.CheckpointInfo | None:
        """The model (bundled, or the user's own) the chosen preset fine-tunes, or None."""
        path = self.preset_combo.currentData()
        return prc.checkpoint_info(path) if path else None

    def _apply_preset(self, name: str) -> None:
        start = self.fine_tuned()
        self._hold_model_fixed(start is not None)
        if start is not None:
            self._show_model(dataclasses.asdict(start.config))
            self._fit_data_to(start)
        elif self.fine_tuning:  # what the fine-tuned model imposed goes with it
            self._fit_data_to_folder()
            self._show_recipe()
        self.fine_tuning = start is not None
        if start is None and name != CUSTOM_PRESET:
            self._show_model(dict(SMALL_SIZES) if name == SMALL_PRESET else dict(prc.PRESETS[PAPER_PRESETS[name]]))

    def offer_fine_tuning(self, models: list[str]) -> None:
        """Offer to fine-tune the user's own ``models`` (checkpoints, newest first) after the bundled ones."""
        combo, bundled = self.preset_combo, {str(path) for path in prc.bundled_models().values()}
        chosen = combo.currentText()
        combo.blockSignals(True)
        for index in reversed(range(combo.count())):
            if combo.itemData(index) and combo.itemData(index) not in bundled:
                combo.removeItem(index)
        for path in (Path(model) for model in models):
            if str(path) not in bundled and path.is_file():
                combo.insertItem(combo.count() - 1, f"{FINE_TUNE}{path.parent.name}/{path.name}", str(path))
        still_there = combo.findText(chosen)
        combo.setCurrentIndex(max(still_there, 0))
        combo.blockSignals(False)
        if still_there < 0:  # the model it fine-tuned is gone: the first preset, applied
            self._apply_preset(combo.currentText())

    def _hold_model_fixed(self, fixed: bool) -> None:
        """A fine-tuned model fixes its architecture, sizes, output, colour and levels."""
        for widget in (self.arch_combo, self.layers_spin, self.hidden_spin, self.out_hidden_spin, self.output_combo,
                       self.colour_combo, self.levels_spin):
            widget.setEnabled(not fixed)

    def _show_model(self, sizes: dict) -> None:
        widgets = (self.arch_combo, self.layers_spin, self.hidden_spin, self.out_hidden_spin, self.output_combo)
        for widget in widgets:
            widget.blockSignals(True)
        if "arch" in sizes:
            self.arch_combo.setCurrentIndex(self.arch_combo.findData(sizes["arch"]))
        if "output" in sizes:
            self.output_combo.setCurrentIndex(self.output_combo.findData(sizes["output"]))
        self.layers_spin.setValue(sizes["layers"])
        self.hidden_spin.setValue(sizes["hidden"])
        self.out_hidden_spin.setValue(sizes["out_hidden"])
        for widget in widgets:
            widget.blockSignals(False)

    def _fit_data_to(self, start: prc.CheckpointInfo) -> None:
        """The data settings and the optimizer a fine-tuning run of ``start`` begins with: its channels,
        levels and training size, and gentle steps (Adam at 2e-4 after a warm-up)."""
        self.colour_combo.setCurrentIndex(self.colour_combo.findData(start.config.channels))
        self.levels_spin.setValue(start.config.levels)
        if start.square_side is not None:  # its training size (a dataset file's model: that of its images)
            self.size_spin.setValue(start.square_side)
        self.optimizer_combo.setCurrentIndex(self.optimizer_combo.findData(prc.FINE_TUNING.optimizer))
        self.lr_spin.setValue(prc.FINE_TUNING.lr)

    def _fit_data_to_folder(self) -> None:
        """Leaving a fine-tuning preset: the data settings are the folder's own again (its proposed size
        and colour, 8-bit levels)."""
        self.levels_spin.setValue(DEFAULT_LEVELS)
        self._scan_timer.stop()  # a scan with the model's colour would replace the proposal
        self.scan(propose=True)

    def _show_recipe(self) -> None:
        """The paper's softmax output and the optimizer and learning rate `pixelrnn train` starts with."""
        recipe = prc.TrainSettings()
        self.output_combo.setCurrentIndex(self.output_combo.findData("softmax"))
        self.optimizer_combo.setCurrentIndex(self.optimizer_combo.findData(recipe.optimizer))
        self.lr_spin.setValue(recipe.lr)

    def _custom(self, *_) -> None:
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentText(CUSTOM_PRESET)
        self.preset_combo.blockSignals(False)

    def run_config(self) -> prc.RunConfig:
        start = self.fine_tuned()
        if start is not None:
            settings = self.train_settings().replace(init=str(start.path), warmup_steps=prc.FINE_TUNING.warmup_steps)
            return prc.RunConfig(self.data_spec(), start.config, settings)
        return prc.run_config(
            PAPER_PRESETS.get(self.preset_combo.currentText(), self.arch_combo.currentData()), self.data_spec(),
            self.train_settings(), layers=self.layers_spin.value(), hidden=self.hidden_spin.value(),
            out_hidden=self.out_hidden_spin.value(), output=self.output_combo.currentData(),
        )

    def train_settings(self) -> prc.TrainSettings:
        return prc.TrainSettings(
            optimizer=self.optimizer_combo.currentData(), lr=self.lr_spin.value(), batch_size=self.batch_spin.value(),
            epochs=self.epochs_spin.value(), preview_every=self.preview_spin.value(), log_every=1,
        )

    # ---- running ----------------------------------------------------------------------------
    def workspace(self) -> Path:
        """The folder new runs go in, as the field names it (the default when empty)."""
        return Path(self.workspace_edit.text().strip() or DEFAULT_WORKSPACE).expanduser()

    def _remember_workspace(self) -> None:
        """A workspace typed in is remembered for the app's next start if runs can be made there."""
        workspace = self.workspace()
        if workspace_problem(workspace) is None:
            self.settings.setValue("trainWorkspace", str(workspace))

    def choose_workspace(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Workspace for training runs", self.workspace_edit.text())
        if folder:
            self.workspace_edit.setText(folder)
            self.settings.setValue("trainWorkspace", folder)

    def start(self) -> bool:
        """Start a new run in a new folder under the workspace; False (with a message) if it cannot.
        The previous run's progress, folder and previews go either way."""
        self._clear_feedback()
        self.shown_run = None  # the form now plans this run: its Epochs extend no earlier one
        if not self.folder_edit.text().strip():
            self.message.emit("Choose a folder of images to train on first.", True)
            return False
        try:
            plan = self.run_config()
        except ValueError as error:
            self.message.emit(str(error), True)
            return False
        workspace = self.workspace()
        problem = workspace_problem(workspace)
        if problem is not None:
            self.message.emit(f"Cannot start training: {problem}.", True)
            return False
        self.settings.setValue("trainWorkspace", str(workspace))
        run_dir = workspace / run_folder_name(plan)
        while run_dir.exists():
            run_dir = run_dir.with_name(run_dir.name + "-1")
        self.levels_of_run = plan.model.levels
        return self.controller.start(run_dir, plan, self.device_combo.currentData())

    def choose_run_to_resume(self) -> None:
        """Ask for a run folder, starting at the last run (kept across restarts) while it exists."""
        last = self.settings.value(LAST_RUN_KEY, "")
        start = last if last and prc.RunFolder(last).holds_run() else self.workspace_edit.text()
        folder = QFileDialog.getExistingDirectory(self, "Run folder to resume", start)
        if folder:
            self.resume_run(folder)

    def resume_run(self, folder: str | Path) -> bool:
        """Continue the run in ``folder``; its curves so far are shown again. If its images are no
        longer where it read them, the user is asked where they are now (False if not told)."""
        run = prc.RunFolder(folder)
        moved_to = None
        if (gone := missing_data(run)) is not None:
            moved_to = QFileDialog.getExistingDirectory(self, f"The run's images are no longer in {gone}: where are they now?",
                                                        self.workspace_edit.text())
            if not moved_to:
                return False
        longer = self.epochs_spin.value() if self.shown_run == run.path else None  # Epochs raised for the run shown
        epochs = None
        self._clear_feedback()
        try:
            config = run.read_config()
        except (OSError, ValueError, KeyError, TypeError):
            pass  # the controller reports why the folder cannot be resumed
        else:
            self.levels_of_run = config.model.levels
            epochs = longer if longer is not None and longer > config.training.epochs else None
            self.show_run_settings(config, moved_to)
            self.shown_run = run.path
            if epochs is not None:
                self.epochs_spin.setValue(epochs)
        for record in run.read_metrics():
            if record.get("kind") == "train":
                self.loss_plot.add_train(record["step"], record["bits_per_dim"])
            elif record.get("kind") == "validation":
                self.loss_plot.add_validation(record["step"], record["bits_per_dim"])
                self._note_best(record["bits_per_dim"], record["step"])
        return self.controller.resume_run(Path(folder), self.device_combo.currentData(), Path(moved_to) if moved_to else None, epochs)

    def show_run_settings(self, config: prc.RunConfig, data_path: str | None = None) -> None:
        """The form shows a resumed run's own data (at ``data_path`` if it moved), model and optimization:
        the run keeps them, and a new run can start from them."""
        data, model, training = config.data, config.model, config.training
        inputs = (self.folder_edit, self.size_spin, self.fit_combo, self.colour_combo, self.levels_spin, self.augment_check,
                  self.val_spin, self.preset_combo, self.optimizer_combo, self.lr_spin, self.batch_spin, self.epochs_spin,
                  self.preview_spin)
        for widget in inputs:
            widget.blockSignals(True)
        self.folder_edit.setText(data_path or data.path)
        self.size_spin.setValue(data.size or self.size_spin.value())
        self.fit_combo.setCurrentIndex(self.fit_combo.findData(data.fit))
        self.colour_combo.setCurrentIndex(self.colour_combo.findData(model.channels))
        self.levels_spin.setValue(model.levels)
        self.augment_check.setChecked(data.augment)
        self.val_spin.setValue(data.val_fraction)
        self.preset_combo.setCurrentText(CUSTOM_PRESET)
        self.optimizer_combo.setCurrentIndex(self.optimizer_combo.findData(training.optimizer))
        self.lr_spin.setValue(training.lr)
        self.batch_spin.setValue(training.batch_size)
        self.epochs_spin.setValue(training.epochs)
        self.preview_spin.setValue(training.preview_every)
        for widget in inputs:
            widget.blockSignals(False)
        self._show_model(dataclasses.asdict(model))
        self._hold_model_fixed(False)
        self.fine_tuning, self.preview_chosen = False, True
        self.scan()

    def _clear_feedback(self) -> None:
        """Show no run: nothing of the previous one (its progress, folder, curves and previews) stays."""
        self.levels_of_run = DEFAULT_LEVELS
        self.best = None
        self.progress.setValue(0)
        self.progress.setFormat(NO_RUN)
        for label in (self.best_label, self.speed_label, self.run_label):
            label.setText("")
        self.preview_caption.setText(PREVIEW_CAPTION)
        self.loss_plot.clear()
        for view in (self.sample_view, self.completion_view, self.original_view):
            view.clear()

    def _failed(self, text: str) -> None:
        """A run that failed before it started leaves nothing to show (one that trained keeps its curves)."""
        if self.controller.trainer is None:
            self._clear_feedback()
        self.message.emit(text, True)

    def _state_changed(self, state: str) -> None:
        busy = state != "idle"
        pages = [self.settings_tabs.widget(index) for index in range(self.settings_tabs.count())]
        for widget in (self.resume_button, *pages, self.workspace_edit, self.workspace_button):  # the tabs still switch
            widget.setEnabled(not busy)
        self._enable_start()
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.stop_button.setEnabled(state in ("starting", "running", "paused"))
        self.pause_button.setChecked(state == "paused")
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        if state == "starting":
            self.progress.setFormat("Reading the images…")
        elif state == "paused":
            self.speed_label.setText("Paused.")
        elif state == "stopping":
            self.speed_label.setText("Stopping after this step…")

    def _enable_start(self) -> None:
        self.start_button.setEnabled(self.controller.state == "idle" and not self.no_usable_image)

    def _started(self, run_dir: str, step: int, total: int) -> None:
        self.settings.setValue(LAST_RUN_KEY, run_dir)
        self.run_label.setText(f"Run folder: {run_dir}")
        self.progress.setMaximum(total)
        self.progress.setValue(step)
        self.progress.setFormat("step %v / %m")
        if step >= total:
            self.preview_caption.setText("The run has finished.")
            self.message.emit(f"{Path(run_dir).name} has already trained all its {total} steps; its model is in the Complete tab's "
                              "picker. To train it further, raise Epochs and resume it again.", False)
        else:
            self.speed_label.setText(f"Training step {step + 1}…")  # a large model's step can take minutes
            every = self.controller.trainer.settings.preview_every
            first = (step // every + 1) * every if every else None
            no_preview = first is None or first > total
            self.preview_caption.setText("No previews in this run." if no_preview else f"The first preview comes at step {first}.")

    def _progressed(self, event: prc.TrainStep) -> None:
        self.progress.setMaximum(event.total_steps)
        self.progress.setValue(event.step)
        self.progress.setFormat(f"epoch {event.epoch + 1} · step %v / %m")
        if self.controller.state == "running":
            self.speed_label.setText(f"{event.images_per_second:,.1f} images/s · ETA {format_seconds(event.eta_seconds)} · train {event.bits_per_dim:.3f} bits/dim")
        self.loss_plot.add_train(event.step, event.bits_per_dim)

    def _saved(self, event: prc.CheckpointSaved) -> None:
        self.run_label.setText(f"Run folder: {self.controller.run_dir} · saved {Path(event.path).name} at step {event.step}")

    def _note_best(self, bits_per_dim: float, step: int) -> None:
        if math.isfinite(bits_per_dim) and (self.best is None or bits_per_dim < self.best[0]):
            self.best = (bits_per_dim, step)
            self.best_label.setText(f"Best validation: {bits_per_dim:.3f} bits/dim (step {step})")

    def _validated(self, event: prc.Validation) -> None:
        self.loss_plot.add_validation(event.step, event.bits_per_dim)
        self._note_best(event.bits_per_dim, event.step)

    def _previewed(self, preview: prc.TrainingPreview) -> None:
        self.original_view.setPixmap(pixmap(preview.image, self.levels_of_run))
        self.completion_view.setPixmap(pixmap(preview.completion, self.levels_of_run))
        self.sample_view.setPixmap(pixmap(preview.sample, self.levels_of_run))
        self.preview_caption.setText(f"Previews at step {preview.step}:")

    def _finished(self, event: prc.Finished) -> None:
        done = "finished" if event.reason == "completed" else "stopped and saved"
        self.speed_label.setText(f"Run {done} at step {event.step}.")
        self.progress.setFormat(f"{done} · step %v / %m")
