"""Window-level behaviour: the shortcuts sheet lists the real shortcuts; closing with unsaved changes asks."""
from importlib.metadata import version
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QDockWidget, QFileDialog, QMessageBox, QTableWidget


def test_shortcuts_sheet_lists_actions_and_keys(window):
    window.show_shortcuts()
    table = window.shortcuts_dialog.findChild(QTableWidget)
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Mask rectangle"] == "R"
    assert rows["Complete"] == "Ctrl+Return"
    assert (rows["Larger brush"], rows["Smaller brush"]) == ("]", "[")
    window.shortcuts_dialog.close()


def test_close_with_unsaved_changes_asks_and_can_stay_open(window, monkeypatch):
    window.mask_bottom_half()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert window.isVisible()


def test_discarding_unsaved_changes_on_close_ends_without_errors(qtbot, tmp_path, monkeypatch):
    """The undo stack announces a clean state while the closed window is destroyed; nothing may still
    listen then (it printed a traceback on quitting the real app)."""
    import shiboken6
    from PySide6.QtCore import QSettings

    from pixelrnn_gui.main_window import MainWindow

    main = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    main.show()
    main.mask_bottom_half()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    with qtbot.capture_exceptions() as exceptions:
        assert main.close()
        shiboken6.delete(main)
    assert not exceptions


def test_brush_size_keys_work_wherever_the_focus_is(window, qtbot):
    window.panel.complete_button.setFocus()
    size = window.canvas.brush_size
    qtbot.keyClick(window.panel.complete_button, Qt.Key.Key_BracketRight)
    assert window.canvas.brush_size == size + 1
    qtbot.keyClick(window.panel.complete_button, Qt.Key.Key_BracketLeft)
    assert window.canvas.brush_size == size


def test_a_closed_panel_comes_back_from_the_view_menu(window, qtbot):
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    panels = next(a.menu() for a in view.actions() if a.menu() is not None and a.text() == "&Panels")
    entries = {a.text(): a for a in panels.actions()}
    assert {"Complete", "Inspector", "Train", "Tools"} <= set(entries)
    dock = window.findChild(QDockWidget, "inspectorDock")
    dock.close()
    assert not dock.isVisible() and not entries["Inspector"].isChecked()
    entries["Inspector"].trigger()
    assert dock.isVisible()


def test_the_shortcut_list_names_undo_plainly_and_can_be_closed(window, qtbot, image_file):
    window.files.open_image(image_file[0])
    window.mask_bottom_half()
    window.show_shortcuts()
    dialog = window.shortcuts_dialog
    table = dialog.findChild(QTableWidget)
    names = [table.item(row, 0).text() for row in range(table.rowCount())]
    assert "Undo" in names and not any(name.startswith("Undo ") for name in names)
    assert "Larger brush" in names and "Smaller brush" in names
    dialog.findChild(QDialogButtonBox).rejected.emit()
    assert not dialog.isVisible()


def test_about_names_the_app_its_version_and_the_paper(window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append((title, text)))
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    next(a for a in help_menu.actions() if a.text() == "&About pixelrnn").trigger()
    title, text = shown[0]
    assert title == "About pixelrnn" and version("pixelrnn") in text and "Pixel Recurrent Neural Networks" in text
    assert "fashion-mnist" in text


def dialog_start(monkeypatch, kind: str) -> list:
    """Record where the next save or open dialogs start, and cancel them."""
    starts = []
    monkeypatch.setattr(QFileDialog, kind, lambda parent, title, start, *a: starts.append(Path(start)) or ("", ""))
    return starts


def test_file_dialogs_start_by_the_image_not_in_the_working_folder(window, monkeypatch, tmp_path, image_file):
    """Save mask opened in the home folder and Export fill probabilities in the folder the app was
    started from, both far from the image the user had open."""
    window.files.open_image(image_file[0])
    folder = image_file[0].parent
    saves, opens = dialog_start(monkeypatch, "getSaveFileName"), dialog_start(monkeypatch, "getOpenFileName")
    window.files.save_mask()
    window.files.load_mask_dialog()
    assert [start.parent if start.suffix else start for start in saves + opens] == [folder, folder]
    window.files.remember_folder("lastMaskFolder", tmp_path / "masks")
    window.files.save_mask()
    assert saves[-1].parent == tmp_path / "masks"


def test_samples_and_bundled_models_are_not_remembered_as_the_users_files(window, monkeypatch):
    """The first-run sample went to the top of Open recent on every start (and opened from there
    without its mask); picking a bundled model made the next Open checkpoint start in the app's own
    resources."""
    import pixelrnn_core as prc

    window.files.open_sample(next(iter(prc.sample_images())))
    assert window.prefs.recent("recentFiles") == []
    window.load_checkpoint(str(next(iter(prc.bundled_models().values()))))
    assert window.prefs.value("lastModelFolder") is None


def test_a_file_error_goes_once_a_later_save_succeeds(window, monkeypatch, tmp_path, image_file):
    """'cannot read image …' stayed up after the image was saved elsewhere."""
    window.files.open_image(image_file[0])
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "broken.png").write_bytes(b"not a png")
    window.files.open_image(tmp_path / "elsewhere" / "broken.png")
    assert "broken.png" in window.message_bar.text()
    opens = dialog_start(monkeypatch, "getOpenFileName")
    window.files.open_image_dialog()  # the next Open starts where the user just went, failed or not
    assert opens == [tmp_path / "elsewhere"]
    window.files.copy_image()  # says something in the status bar: not a reason to drop the error
    assert "broken.png" in window.message_bar.text()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "copy.png"), ""))
    assert window.files.save_image_as()
    assert window.message_bar.text() == ""


def test_the_model_pickers_open_checkpoint_starts_where_checkpoints_were_opened(window, monkeypatch, tmp_path):
    """It opened in the folder the app was started from, unlike File ▸ Open checkpoint."""
    window.prefs.set("lastModelFolder", str(tmp_path / "models"))
    opens = dialog_start(monkeypatch, "getOpenFileName")
    picker = window.panel.model_picker
    current = picker.currentData()
    picker.setCurrentIndex(picker.count() - 1)
    picker.activated.emit(picker.count() - 1)  # the user picks "Open checkpoint…"
    assert opens == [tmp_path / "models"] and picker.currentData() == current  # cancelled: the model stays


def wheel_over(widget, steps: int = -3) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    point = QPointF(widget.width() / 2, widget.height() / 2)
    wheel = QWheelEvent(point, widget.mapToGlobal(point), QPoint(0, 0), QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, wheel)


def test_the_wheel_scrolls_a_panel_past_its_fields_and_changes_only_the_one_being_edited(window, qtbot):
    """Scrolling the Train panel with the wheel turned the field under the pointer once the panel
    stopped (output features 32 -> 43 and the preset to Custom, as a reviewer found)."""
    from PySide6.QtWidgets import QScrollArea

    panel = window.training_panel
    window.resize(1000, 500)
    window.show()
    qtbot.waitExposed(window)
    spin, scroll = panel.out_hidden_spin, panel.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea) and scroll.verticalScrollBar().maximum() > 0
    scroll.verticalScrollBar().setValue(0)
    window.canvas.setFocus()
    wheel_over(spin)
    assert spin.value() == 32 and scroll.verticalScrollBar().value() > 0  # the panel scrolled instead
    spin.setFocus()
    wheel_over(spin, steps=1)
    assert spin.value() == 33

