"""Window-level behaviour: the shortcuts sheet lists the real shortcuts; closing with unsaved changes asks."""
from PySide6.QtWidgets import QMessageBox, QTableWidget


def test_shortcuts_sheet_lists_actions_and_keys(window):
    window.show_shortcuts()
    table = window.shortcuts_dialog.findChild(QTableWidget)
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Mask rectangle"] == "R"
    assert rows["Complete"] == "Ctrl+Return"
    assert rows["Brush size"] == "[ and ]"
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
