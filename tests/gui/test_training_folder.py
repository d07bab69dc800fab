"""The Train panel reads the folder: it proposes the size and colour of the folder's images and a
preview interval that gives several previews within the planned steps, lists every skipped file with
its own reason, opens at its top, and a folder of 28x28 grayscale PNGs trains with its defaults."""
import pixelrnn_core as prc
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QScrollArea

from .conftest import image_folder

WAIT_MS = 120_000


@pytest.fixture
def grey_folder(tmp_path):
    """Eight 28x28 grayscale PNGs (as Fashion-MNIST's) and one broken file."""
    folder = image_folder(tmp_path / "fashion", 8, (28, 28), "f")
    (folder / "broken.png").write_bytes(b"\x89PNG broken")
    return folder


@pytest.fixture
def read_folder(window, qtbot, grey_folder, tmp_path):
    window.show_training()
    panel = window.training_panel
    panel.workspace_edit.setText(str(tmp_path / "runs"))
    with qtbot.waitSignal(window.training.scanned, timeout=WAIT_MS):
        panel.set_folder(str(grey_folder))
    return panel


def test_the_panel_opens_at_its_top(window, qtbot):
    window.show_training()
    qtbot.wait(50)
    scroll = window.findChild(QDockWidget, "trainDock").widget()
    assert isinstance(scroll, QScrollArea) and scroll.verticalScrollBar().value() == 0


def test_settings_are_proposed_from_the_folder(read_folder):
    panel = read_folder
    assert panel.size_spin.value() == 28
    assert panel.colour_combo.currentData() == 1
    assert panel.usable_label.text() == "8 usable image(s), 1 file(s) skipped"
    assert panel.skipped_list.count() == 1 and panel.skipped_list.item(0).text().startswith("broken.png: ")
    planned = panel.planned_steps()
    assert planned >= 3 and planned // panel.preview_spin.value() >= 3


def test_the_preview_interval_follows_a_shorter_run_as_well_as_a_longer_one(read_folder):
    panel = read_folder
    for epochs in (500, 30, 500, 2):
        panel.epochs_spin.setValue(epochs)
        assert panel.preview_spin.value() == max(1, panel.planned_steps() // 4), epochs
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findText("Fine-tune: fashion-mnist"))
    panel.epochs_spin.setValue(30)
    assert panel.preview_spin.value() == max(1, panel.planned_steps() // 4)


def test_tiles_of_the_folders_images_are_counted_as_training_images(window, qtbot, read_folder):
    panel = read_folder
    panel.size_spin.setValue(14)
    with qtbot.waitSignal(window.training.scanned, timeout=WAIT_MS):
        panel.fit_combo.setCurrentIndex(panel.fit_combo.findData("tiles"))
    assert panel.usable_label.text() == "32 usable tiles of 8 image(s), 1 file(s) skipped"
    assert panel.run_config().data.fit == "tiles"


def test_a_folder_proposing_a_size_below_the_smallest_is_read_at_the_smallest(window, qtbot, tmp_path):
    window.show_training()
    panel = window.training_panel
    with qtbot.waitSignal(window.training.scanFailed, timeout=WAIT_MS):
        panel.set_folder(str(image_folder(tmp_path / "dots", 10, (1, 1), "d")))
    assert panel.size_spin.value() == panel.size_spin.minimum() == 2
    assert panel.usable_label.text() == "No usable image: 10 smaller than 2x2."  # what Start would find
    assert not panel.start_button.isEnabled()


def test_every_skipped_file_is_listed_with_its_own_reason(window, qtbot, read_folder):
    panel = read_folder
    with qtbot.waitSignal(window.training.scanFailed, timeout=WAIT_MS):
        panel.size_spin.setValue(32)
    reasons = sorted(panel.skipped_list.item(i).text() for i in range(panel.skipped_list.count()))
    assert len(reasons) == 9
    assert all(r.endswith("smaller than 32x32 (28x28)") for r in reasons if r.startswith("f"))
    assert "8 smaller than 32x32" in panel.usable_label.text()


def test_a_folder_of_28x28_grayscale_images_trains_with_the_defaults(window, qtbot, read_folder):
    panel = read_folder
    previews, starts = [], []
    window.training.previewed.connect(previews.append)
    window.training.started.connect(lambda folder, step, total: starts.append(total))
    with qtbot.waitSignal(window.training.modelReady, timeout=WAIT_MS) as ready:
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert len(previews) >= 2
    assert starts == [panel.planned_steps()]  # the steps the panel planned previews for are the run's
    metadata = prc.checkpoint_metadata(ready.args[0])
    assert metadata["data"]["size"] == 28 and metadata["config"]["channels"] == 1


def test_a_preset_sets_the_model_and_keeps_the_recipe_chosen(read_folder):
    panel = read_folder
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("adam"))
    panel.lr_spin.setValue(0.0005)
    panel.output_combo.setCurrentIndex(panel.output_combo.findData("logistic_mixture"))
    panel.preset_combo.setCurrentText("Paper: CIFAR-10 PixelCNN (15 layers, h=128)")
    assert (panel.layers_spin.value(), panel.hidden_spin.value()) == (15, 128)
    assert (panel.optimizer_combo.currentData(), panel.lr_spin.value(), panel.output_combo.currentData()) == ("adam", 0.0005, "logistic_mixture")


@pytest.mark.parametrize("via_custom", [False, True])
def test_leaving_a_fine_tune_preset_restores_the_preset_and_the_folders_proposal(window, qtbot, read_folder, via_custom):
    panel = read_folder
    panel.preset_combo.setCurrentText("Fine-tune: photo-patches")
    assert (panel.colour_combo.currentText(), panel.optimizer_combo.currentText()) == ("RGB", "Adam")
    if via_custom:
        panel.preset_combo.setCurrentText("Custom")
    with qtbot.waitSignal(window.training.scanned, timeout=WAIT_MS):
        panel.preset_combo.setCurrentText("Small / fast")
    assert panel.output_combo.currentText() == "Softmax (paper)"
    assert (panel.optimizer_combo.currentText(), panel.lr_spin.text()) == ("RMSProp", "0.00100")
    assert (panel.colour_combo.currentText(), panel.size_spin.value(), panel.levels_spin.value()) == ("Grayscale", 28, 256)
    assert panel.colour_combo.isEnabled() and panel.levels_spin.isEnabled() and panel.output_combo.isEnabled()
    assert panel.usable_label.text() == "8 usable image(s), 1 file(s) skipped"
    plan = panel.run_config()
    assert (plan.model.output, plan.training.optimizer, plan.training.lr, plan.model.channels) == ("softmax", "rmsprop", 0.001, 1)
