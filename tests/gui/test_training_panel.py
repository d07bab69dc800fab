"""The Train panel on the real window with tiny real runs: the folder scan lists usable images and
skipped files; a run reports progress, curves and previews; stop saves a checkpoint that appears in
the completion model picker and completes an image; pause/resume continues the step count; resume a
run from its folder (or a clear message); closing the window during a run stops it and leaves its last
checkpoint readable."""
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

import pixelrnn_core as prc
from pixelrnn_core.cli import make_parser
from pixelrnn_core.cli.train import train_settings
from pixelrnn_gui import training as training_module
from pixelrnn_gui import training_panel as training_panel_module
from pixelrnn_gui.levels import to_levels, to_rgb
from pixelrnn_gui.main_window import MainWindow
from pixelrnn_gui.training_panel import CUSTOM_PRESET, pixmap

from .conftest import image_folder

WAIT_MS = 60_000


@pytest.fixture
def picture_folder(tmp_path):
    """12 usable 8x8 RGB PNGs and three broken files."""
    folder = image_folder(tmp_path / "pictures", 12, (8, 8, 3), "p")
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("not an image")
    (folder / "cut.png").write_bytes((folder / "p00.png").read_bytes()[:60])
    return folder


def test_the_panel_starts_from_the_recipe_that_pixelrnn_train_uses(window):
    cli = train_settings(make_parser().parse_args(["train", "images", "--arch", "pixelcnn", "--out", "run"]), None)
    panel = window.training_panel.train_settings()
    assert (panel.optimizer, panel.lr, panel.batch_size, panel.epochs) == (cli.optimizer, cli.lr, cli.batch_size, cli.epochs)
    assert (panel.schedule, panel.warmup_steps, panel.ema, panel.precision) == (cli.schedule, cli.warmup_steps, cli.ema, cli.precision)


@pytest.fixture
def panel(window, qtbot, picture_folder, tmp_path):
    """The Train panel with the test folder scanned and a tiny PixelCNN set up."""
    window.show_training()
    panel = window.training_panel
    with qtbot.waitSignal(window.training.scanned, timeout=WAIT_MS):
        panel.size_spin.setValue(8)
        panel.set_folder(str(picture_folder))
    panel.levels_spin.setValue(16)
    panel.arch_combo.setCurrentIndex(panel.arch_combo.findData("pixelcnn"))
    panel.layers_spin.setValue(1)
    panel.hidden_spin.setValue(8)
    panel.out_hidden_spin.setValue(8)
    panel.val_spin.setValue(0.25)
    panel.batch_spin.setValue(3)
    panel.epochs_spin.setValue(1000)
    panel.preview_spin.setValue(2)
    panel.workspace_edit.setText(str(tmp_path / "runs"))
    return panel


def click(qtbot, button):
    assert button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def step_of(window) -> int:
    return window.training.trainer.step if window.training.trainer is not None else 0


def test_folder_scan_lists_usable_images_and_skipped_files(panel):
    assert panel.usable_label.text() == "12 usable image(s), 3 file(s) skipped"
    assert panel.preview_grid.count() == 12
    skipped = sorted(panel.skipped_list.item(i).text() for i in range(panel.skipped_list.count()))
    assert skipped[0].startswith("cut.png: unreadable or truncated")
    assert skipped[1] == "empty.png: empty file"
    assert skipped[2].startswith("notes.jpg: not an image")


def test_a_run_trains_stops_and_its_model_completes_an_image(window, panel, qtbot, image_file, picture_folder):
    training = window.training
    said_at_start = []
    training.started.connect(lambda *_: said_at_start.append(panel.speed_label.text()))
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: panel.progress.value() >= 1 and bool(panel.loss_plot.train), timeout=WAIT_MS)
    assert said_at_start == ["Training step 1…"]  # not a blank line while a large model takes its first step
    assert "images/s" in panel.speed_label.text() and "ETA" in panel.speed_label.text()
    assert not panel.settings_tabs.currentWidget().isEnabled() and not panel.start_button.isEnabled()
    assert window.settings.value("trainWorkspace") == str(training.run_dir.parent)
    qtbot.waitUntil(lambda: bool(panel.loss_plot.validation) and not panel.sample_view.pixmap().isNull(), timeout=WAIT_MS)
    assert panel.best_label.text().startswith("Best validation: ")
    with qtbot.waitSignal(training.modelReady, timeout=WAIT_MS) as ready:
        click(qtbot, panel.stop_button)
    checkpoint = ready.args[0]
    assert checkpoint.endswith("best.safetensors")
    run_dir = training.run_dir
    assert not list(run_dir.rglob("*.tmp")) and training.state == "idle"
    meta = prc.checkpoint_metadata(checkpoint)
    assert meta["data"]["path"] == str(picture_folder) and meta["config"]["arch"] == "pixelcnn"
    picker = window.panel.model_picker
    assert picker.findData(checkpoint) >= 0 and picker.currentData() == checkpoint
    assert picker.currentText() == f"{run_dir.name} (best)"
    card = window.panel.card.text()
    assert "pictures at 8×8" in card and "pixelcnn" in card and "bits/dim" in card

    path, pixels = image_file
    window.files.open_image(path)
    window.mask_bottom_half()
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    model = prc.load_checkpoint(checkpoint)
    expected = prc.complete(model, to_levels(pixels, 3, 16), window.document.mask, seed=0, temperature=prc.FILL_TEMPERATURE)[0]
    np.testing.assert_array_equal(window.document.image[4:], to_rgb(expected, 16)[4:])
    np.testing.assert_array_equal(window.document.image[:4], pixels[:4])


def test_a_run_stopped_before_it_was_validated_does_not_replace_the_model_in_use(window, panel, qtbot, image_file, tmp_path):
    window.files.open_image(image_file[0])
    in_use = window.panel.model_picker.currentData()
    with qtbot.waitSignal(window.training.scanned, timeout=WAIT_MS):
        panel.set_folder(str(image_folder(tmp_path / "many", 120, (8, 8, 3), "m")))
    panel.batch_spin.setValue(1)  # 90 steps before the first validation
    panel.preview_spin.setValue(0)
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: step_of(window) >= 1, timeout=WAIT_MS)
    with qtbot.waitSignal(window.training.modelReady, timeout=WAIT_MS) as ready:
        click(qtbot, panel.stop_button)
    checkpoint = ready.args[0]
    assert checkpoint.endswith("last.safetensors") and prc.checkpoint_metadata(checkpoint)["step"] < 90
    picker = window.panel.model_picker
    assert picker.findData(checkpoint) >= 0 and picker.currentData() == in_use
    assert "stopped before its first validation" in window.message_bar.text()


def test_pause_and_resume_continue_the_step_count(window, panel, qtbot):
    training = window.training
    panel.preview_spin.setValue(0)
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: step_of(window) >= 2, timeout=WAIT_MS)
    click(qtbot, panel.pause_button)
    qtbot.waitUntil(lambda: training.state == "paused", timeout=WAIT_MS)
    paused_at = step_of(window)
    qtbot.wait(300)
    assert step_of(window) == paused_at and panel.pause_button.text() == "Resume"
    click(qtbot, panel.pause_button)
    qtbot.waitUntil(lambda: step_of(window) >= paused_at + 2, timeout=WAIT_MS)
    with qtbot.waitSignal(training.modelReady, timeout=WAIT_MS):
        click(qtbot, panel.stop_button)
    records = [json.loads(line) for line in (training.run_dir / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records if r["kind"] == "train"]
    assert steps == list(range(1, len(steps) + 1)) and steps[-1] > paused_at


def test_a_stopped_run_resumes_from_its_folder(window, panel, qtbot, picture_folder):
    training = window.training
    panel.preview_spin.setValue(0)
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: step_of(window) >= 2, timeout=WAIT_MS)
    with qtbot.waitSignal(training.modelReady, timeout=WAIT_MS):
        click(qtbot, panel.stop_button)
    run_dir, stopped_at = training.run_dir, training.trainer.step
    panel.folder_edit.setText("")  # as the app opens again: the form shows none of the run's settings
    for spin, value in ((panel.size_spin, 32), (panel.levels_spin, 256), (panel.hidden_spin, 16), (panel.batch_spin, 16)):
        spin.setValue(value)
    with qtbot.waitSignal(training.started, timeout=WAIT_MS) as started:
        assert panel.resume_run(run_dir)
        # checked before the event loop runs again: the resumed run's first steps may arrive in the
        # same batch as its start and be plotted before the wait returns
        assert len(panel.loss_plot.train) == stopped_at  # the curve so far is shown again
    assert started.args == [str(run_dir), stopped_at, training.trainer.total_steps]
    plan = panel.run_config()  # the form shows the run's own settings, to look at but not to change
    assert (plan.data.path, plan.data.size, plan.model.levels, plan.model.hidden) == (str(picture_folder), 8, 16, 8)
    assert (plan.training.batch_size, plan.training.epochs, plan.data.val_fraction) == (3, 1000, 0.25)
    assert panel.settings_tabs.tabBar().isEnabled() and not panel.settings_tabs.widget(0).isEnabled()
    qtbot.waitUntil(lambda: step_of(window) > stopped_at, timeout=WAIT_MS)
    with qtbot.waitSignal(training.modelReady, timeout=WAIT_MS):
        click(qtbot, panel.stop_button)


def test_resume_run_opens_at_the_last_run_even_after_a_restart(window, panel, qtbot, monkeypatch, tmp_path):
    panel.preview_spin.setValue(0)
    panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(window.training.modelReady, timeout=WAIT_MS):
        click(qtbot, panel.start_button)
    later = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(later)
    opened_at = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda parent, title, start: opened_at.append(start) or "")
    later.training_panel.choose_run_to_resume()
    assert opened_at == [str(window.training.run_dir)]


def test_resuming_a_finished_run_says_so_and_offers_its_model(window, panel, qtbot):
    training = window.training
    panel.preview_spin.setValue(0)
    panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(training.modelReady, timeout=WAIT_MS):
        click(qtbot, panel.start_button)
    run_dir = training.run_dir
    window.panel.model_picker.clear()
    with qtbot.waitSignal(training.modelReady, timeout=WAIT_MS) as ready:
        panel.resume_run(run_dir)
    assert window.message_bar.text() == (f"{run_dir.name} has already trained all its 3 steps; its model is in the Complete tab's "
                                         "picker. To train it further, raise Epochs and resume it again.")
    assert panel.preview_caption.text() == "The run has finished."  # not "No previews in this run."
    assert window.panel.model_picker.currentData() == ready.args[0] == str(run_dir / "best.safetensors")
    panel.epochs_spin.setValue(3)
    with qtbot.waitSignal(training.started, timeout=WAIT_MS) as started:
        panel.resume_run(run_dir)
    assert started.args == [str(run_dir), 3, 9]  # two more epochs of 3 steps
    with qtbot.waitSignal(training.modelReady, timeout=WAIT_MS):
        pass
    assert prc.checkpoint_metadata(run_dir / "last.safetensors")["step"] == 9
    assert prc.RunFolder(run_dir).read_config().training.epochs == 3


def test_resuming_a_run_whose_images_moved_asks_where_they_are(window, panel, qtbot, picture_folder, tmp_path, monkeypatch):
    """The panel had no way to give the new place: 'the run's data is no longer there' for good."""
    training = window.training
    panel.preview_spin.setValue(0)
    panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(training.modelReady, timeout=WAIT_MS):
        click(qtbot, panel.start_button)
    run_dir, moved = training.run_dir, picture_folder.rename(tmp_path / "moved")
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda parent, title, start: asked.append(title) or "")
    assert not panel.resume_run(run_dir)  # asked, and cancelled: nothing starts
    assert asked == [f"The run's images are no longer in {picture_folder}: where are they now?"]
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(moved))
    with qtbot.waitSignal(training.modelReady, timeout=WAIT_MS):
        assert panel.resume_run(run_dir)
    assert prc.RunFolder(run_dir).read_config().data.path == str(moved)


def test_resuming_a_folder_that_holds_no_run_says_why(window, panel, qtbot, tmp_path):
    with qtbot.waitSignal(window.training.failed, timeout=WAIT_MS) as failed:
        panel.resume_run(tmp_path / "pictures")
    assert failed.args[0] == f"Cannot resume {tmp_path / 'pictures'}: not a run folder (no run.json)"  # the folder named once
    assert window.message_bar.text() == failed.args[0]
    assert panel.start_button.isEnabled()


def test_closing_the_window_during_a_run_asks_then_stops_it_and_keeps_its_checkpoint(window, panel, qtbot, monkeypatch):
    training = window.training
    panel.preview_spin.setValue(0)
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: step_of(window) >= 2, timeout=WAIT_MS)
    work, run_dir = training.work, training.run_dir
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert asked and str(run_dir) in asked[0] and window.isVisible() and training.busy
    step = step_of(window)
    qtbot.waitUntil(lambda: step_of(window) > step, timeout=WAIT_MS)  # it goes on training
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Close)
    assert window.close()
    assert work.isFinished()
    last = run_dir / "last.safetensors"
    meta = prc.checkpoint_metadata(last)
    assert meta["step"] == training.trainer.step >= 2
    prc.load_checkpoint(last)
    assert not list(run_dir.rglob("*.tmp"))


def test_closing_while_a_run_reads_its_images_says_nothing_is_trained_yet_and_leaves_no_model(window, panel, qtbot, monkeypatch):
    reading, new_run = threading.Event(), prc.new_run

    def slow_to_read(*args, **kwargs):
        reading.wait(WAIT_MS / 1000)
        return new_run(*args, **kwargs)

    monkeypatch.setattr(training_module.prc, "new_run", slow_to_read)
    click(qtbot, panel.start_button)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Close)
    threading.Timer(0.5, reading.set).start()
    assert window.close()
    assert "is reading its images" in asked[0] and "nothing is trained yet" in asked[0] and "checkpoint is kept" not in asked[0]
    assert prc.RunFolder(window.training.run_dir).model_checkpoint() is None


def test_the_preview_caption_belongs_to_the_run_that_is_training(window, panel, qtbot):
    panel.preview_spin.setValue(0)
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: step_of(window) >= 1, timeout=WAIT_MS)
    assert panel.preview_caption.text() == "No previews in this run."
    with qtbot.waitSignal(window.training.finished, timeout=WAIT_MS):
        click(qtbot, panel.stop_button)


def test_a_folder_without_usable_images_cannot_start_and_says_why(window, panel, qtbot, tmp_path, picture_folder):
    empty = tmp_path / "nothing"
    empty.mkdir()
    (empty / "notes.png").write_text("not an image")
    panel.folder_edit.setText(str(empty))
    with qtbot.waitSignal(window.training.failed, timeout=WAIT_MS) as failed:
        click(qtbot, panel.start_button)
    assert failed.args[0].startswith(f"Cannot start training: {empty}: no usable image found; skipped 1 file(s)")
    assert panel.settings_tabs.currentWidget().isEnabled() and window.message_bar.text() == failed.args[0]  # idle again
    with qtbot.waitSignal(window.training.scanned, timeout=WAIT_MS):
        panel.set_folder(str(picture_folder))
    with qtbot.waitSignal(window.training.started, timeout=WAIT_MS):
        click(qtbot, panel.start_button)
    assert window.message_bar.text() == ""  # the error was about the run that could not start
    with qtbot.waitSignal(window.training.finished, timeout=WAIT_MS):
        click(qtbot, panel.stop_button)


def test_the_panel_says_where_the_run_saved_its_last_checkpoint(window, panel, qtbot):
    panel.preview_spin.setValue(0)
    panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(window.training.modelReady, timeout=WAIT_MS):
        click(qtbot, panel.start_button)
    assert panel.run_label.text() == f"Run folder: {window.training.run_dir} · saved last.safetensors at step 3"


def test_a_logistic_mixture_output_is_trained_when_chosen(window, panel, qtbot):
    panel.output_combo.setCurrentIndex(panel.output_combo.findData("logistic_mixture"))
    assert panel.run_config().model.output == "logistic_mixture"
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: step_of(window) >= 1, timeout=WAIT_MS)
    with qtbot.waitSignal(window.training.modelReady, timeout=WAIT_MS) as ready:
        click(qtbot, panel.stop_button)
    assert prc.checkpoint_metadata(ready.args[0])["config"]["output"] == "logistic_mixture"


def test_a_model_of_the_users_own_can_be_fine_tuned_too(window, panel, rgb_model_file):
    window.prefs.remember("recentModels", rgb_model_file)  # as a finished run or Open checkpoint… leaves it
    name = f"Fine-tune: {rgb_model_file.parent.name}/{rgb_model_file.name}"
    assert panel.preset_combo.findText(name) >= 0
    panel.preset_combo.setCurrentText(name)
    config = prc.checkpoint_info(rgb_model_file).config
    assert (panel.hidden_spin.value(), panel.layers_spin.value()) == (config.hidden, config.layers)
    assert not panel.hidden_spin.isEnabled()
    plan = panel.run_config()
    assert plan.model == config and plan.training.init == str(rgb_model_file)


def test_fine_tuning_a_model_trained_on_a_dataset_file_reads_at_its_image_size(panel):
    panel.preset_combo.setCurrentText("Fine-tune: fashion-mnist")  # trained on the IDX file at its own 28x28
    assert (panel.colour_combo.currentData(), panel.levels_spin.value(), panel.size_spin.value()) == (1, 256, 28)


def test_fine_tuning_a_bundled_model_starts_from_its_model_and_weights(window, panel, qtbot):
    start = prc.bundled_models()["photo-patches"]
    config = prc.checkpoint_info(start).config
    panel.preset_combo.setCurrentText("Fine-tune: photo-patches")
    assert panel.arch_combo.currentData() == config.arch and panel.hidden_spin.value() == config.hidden
    assert not panel.arch_combo.isEnabled() and not panel.hidden_spin.isEnabled()  # its model, fixed
    assert not panel.colour_combo.isEnabled() and not panel.levels_spin.isEnabled()  # and the data it reads
    assert (panel.colour_combo.currentData(), panel.levels_spin.value(), panel.size_spin.value()) == (3, 256, 32)
    assert (panel.optimizer_combo.currentData(), panel.lr_spin.value()) == ("adam", 2e-4)  # gentle steps for trained weights
    panel._proposed(prc.Proposal(size=28, channels=1))  # a grayscale folder chosen now is read in the model's colour
    assert (panel.colour_combo.currentData(), panel.size_spin.value()) == (3, 28)
    with qtbot.waitSignal(window.training.scanned, timeout=WAIT_MS):
        panel.size_spin.setValue(8)  # the test's small pictures; the model runs at any size
    plan = panel.run_config()
    assert plan.model == config and plan.training.init == str(start) and plan.training.warmup_steps > 0
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: step_of(window) >= 1, timeout=WAIT_MS)
    with qtbot.waitSignal(window.training.modelReady, timeout=WAIT_MS):
        click(qtbot, panel.stop_button)
    run = json.loads((window.training.run_dir / "run.json").read_text())
    assert run["training"]["init"] == str(start) and run["model"]["hidden"] == config.hidden
    assert window.training.run_dir.name.startswith("pictures-photo-patches-fine-tuned-")  # told apart from a fresh run
    panel.preset_combo.setCurrentText(CUSTOM_PRESET)
    assert panel.arch_combo.isEnabled() and panel.hidden_spin.isEnabled() and panel.levels_spin.isEnabled()


@pytest.fixture
def finished_run(window, panel, qtbot):
    """The panel after a finished 3-step run that drew previews."""
    panel.preview_spin.setValue(1)
    panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(window.training.modelReady, timeout=WAIT_MS):
        click(qtbot, panel.start_button)
    assert panel.run_label.text().startswith("Run folder: ") and not panel.sample_view.pixmap().isNull()
    return panel


def assert_no_run_shown(window, panel):
    assert panel.progress.text() == "No run" and panel.run_label.text() == ""
    assert panel.preview_caption.text() == "Previews appear every N steps."
    assert all(view.pixmap().isNull() for view in (panel.sample_view, panel.completion_view, panel.original_view))
    assert window.training.state == "idle" and panel.settings_tabs.isEnabled()


def test_a_start_that_finds_no_usable_image_puts_the_panel_back_to_idle(window, finished_run, qtbot, tmp_path):
    panel = finished_run
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    (nothing / "notes.png").write_text("not an image")
    panel.folder_edit.setText(str(nothing))
    with qtbot.waitSignal(window.training.failed, timeout=WAIT_MS):
        click(qtbot, panel.start_button)
    assert window.message_bar.text().startswith(f"Cannot start training: {nothing}: no usable image found")
    assert_no_run_shown(window, panel)


def refused_start(window, panel, qtbot, workspace) -> str:
    """Press Start with runs going to ``workspace``; the message shown, once the panel is checked idle with no run."""
    panel.workspace_edit.setText(str(workspace))
    click(qtbot, panel.start_button)
    assert_no_run_shown(window, panel)
    return window.message_bar.text()


def test_a_workspace_that_is_a_file_is_named_and_the_panel_stays_idle(window, finished_run, qtbot, tmp_path):
    panel = finished_run
    workspace = tmp_path / "runs.txt"
    workspace.write_text("a file")
    assert refused_start(window, panel, qtbot, workspace) == f"Cannot start training: the workspace {workspace} is not a folder."
    kept = window.settings.value("trainWorkspace")
    panel.workspace_edit.editingFinished.emit()  # typed and left: not remembered for the next start of the app
    assert window.settings.value("trainWorkspace") == kept != str(workspace)


def test_a_workspace_that_cannot_be_written_is_named_and_the_panel_stays_idle(window, finished_run, qtbot, tmp_path, monkeypatch):
    panel = finished_run
    workspace = tmp_path / "read-only" / "runs"
    workspace.parent.mkdir()
    monkeypatch.setattr("pixelrnn_gui.training.os.access", lambda path, mode: False)  # the tests may run as root
    assert refused_start(window, panel, qtbot, workspace) == f"Cannot start training: cannot write in {workspace.parent}."


def test_a_workspace_under_a_folder_that_cannot_be_read_is_named(window, finished_run, qtbot, tmp_path, monkeypatch):
    panel = finished_run
    locked = tmp_path / "locked"
    real_exists = Path.exists

    def exists(path: Path) -> bool:  # as Path.exists does under a folder the user may not list
        if path.is_relative_to(locked) and path != locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_exists(path)

    monkeypatch.setattr(Path, "exists", exists)
    workspace = locked / "x" / "runs"
    assert refused_start(window, panel, qtbot, workspace) == f"Cannot start training: cannot read {workspace}."


def test_start_is_disabled_while_the_folder_has_no_usable_image(window, panel, qtbot, tmp_path, picture_folder):
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    (nothing / "notes.png").write_text("not an image")
    with qtbot.waitSignal(window.training.scanFailed, timeout=WAIT_MS):
        panel.set_folder(str(nothing))
    assert panel.usable_label.text().startswith("No usable image: ") and not panel.start_button.isEnabled()
    with qtbot.waitSignal(window.training.scanned, timeout=WAIT_MS):
        panel.set_folder(str(picture_folder))
    assert panel.start_button.isEnabled()


def test_a_run_stopped_by_closing_the_window_is_in_the_model_picker_after_a_restart(window, panel, qtbot, monkeypatch, tmp_path):
    panel.preview_spin.setValue(0)
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: step_of(window) >= 2, timeout=WAIT_MS)
    run_dir = window.training.run_dir
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Close)
    assert window.close()
    model = prc.RunFolder(run_dir).model_checkpoint()
    restarted = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(restarted)
    picker = restarted.panel.model_picker
    assert model is not None and picker.findData(str(model)) >= 0
    assert picker.itemText(picker.findData(str(model))).startswith(run_dir.name)


@pytest.mark.parametrize(("side", "shown"), [(4, 96), (16, 96), (28, 84), (32, 96), (64, 64)])
def test_previews_are_shown_near_one_size_whatever_the_images_size(qtbot, side, shown):
    """Previews of 4 px images were 16 px wide (four times their size), of 64 px images 256 px, and
    those of 28 px images (112 px) were cut to 98 px at the panel's default width."""
    preview = pixmap(np.zeros((side, side, 1), dtype=np.int64), 256)
    assert (preview.width(), preview.height()) == (shown, shown)


def test_choosing_a_runs_model_names_the_run_in_the_status_bar(window, tmp_path):
    """Every run's weights are best.safetensors: the status bar said "Model: best.safetensors"."""
    run = tmp_path / "portraits-h32"
    run.mkdir()
    prc.save_checkpoint(run / "best.safetensors", prc.build_model("pixelcnn", channels=3, levels=16, hidden=4, layers=1, out_hidden=4))
    assert window.controller.load_model(run / "best.safetensors")
    assert window.statusBar().currentMessage() == "Model: portraits-h32 (best)"


@pytest.fixture
def a_gpu(monkeypatch):
    """The Train panel's devices as on a machine with one CUDA GPU (set before the window is made)."""
    monkeypatch.setattr(training_panel_module, "devices", lambda: [("CPU (2 cores)", "cpu"), ("CUDA 0: a GPU (80.0 GiB)", "cuda:0")])


def test_a_run_trains_on_the_gpu_when_there_is_one_as_pixelrnn_train_does(a_gpu, window):
    assert window.training_panel.device_combo.currentData() == "cuda:0"
    assert make_parser().parse_args(["train", "images"]).device == "auto"  # cuda when there is one
