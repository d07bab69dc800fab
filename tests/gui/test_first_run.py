"""The first start: `pixelrnn gui` opens a sample image with a bundled model, ready to complete."""
import builtins
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel, QSplashScreen, QTabBar

import pixelrnn_core as prc
from pixelrnn_core import cli
from pixelrnn_core.completion.compiled_steps import completion_variants
from pixelrnn_gui import app, main_window
from pixelrnn_gui.command import main
from pixelrnn_gui.main_window import MainWindow

WAIT_MS = 120_000


@pytest.fixture
def fresh_settings(tmp_path):
    """Qt's default settings location pointed at an empty folder: a user who never ran the app."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    yield
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "")


def test_pixelrnn_gui_opens_the_sample_with_the_default_model(fresh_settings, monkeypatch, qtbot):
    seen, opened = {}, []

    class RecordedWindow(MainWindow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            opened.append(self)

    def look_instead_of_running(app):
        window = opened[-1]
        seen.update(model=window.controller.model_path, image=window.document.image.copy(),
                    mask=window.document.mask.copy(), message=window.message_bar.text())
        window.document.undo_stack.setClean()
        window.close()
        return 0

    def prepare_completion():
        seen["prepared"] = True
        return iter(["row_lstm"])

    monkeypatch.setattr(app, "MainWindow", RecordedWindow)
    monkeypatch.setattr(QApplication, "exec", look_instead_of_running)
    monkeypatch.setattr(app.prc, "prepare_completion", prepare_completion)
    monkeypatch.setattr(cli, "keep_freed_memory", lambda: seen.update(keeps_freed_memory=True))
    assert main(["gui"]) == 0
    assert seen["keeps_freed_memory"]  # large feature maps are reused, not faulted in per batch
    assert seen["model"] == prc.bundled_models()[main_window.FIRST_RUN_MODEL]
    assert seen["image"].shape[:2] == (28, 28) and seen["mask"].sum() == 14 * 28
    assert "Complete" in seen["message"]
    assert seen["prepared"]  # the engine's compiled steps were made ready while the window was open


@pytest.mark.parametrize("cached", [True, False])
def test_the_window_opens_before_steps_that_must_be_compiled(fresh_settings, monkeypatch, qtbot, cached):
    """Loading the steps from numba's cache takes about a second and is done behind the splash; compiling
    them (the first start after installing: ~12 s for the PixelCNN's alone) is left to the open window."""
    events = []

    class RecordedWindow(MainWindow):
        def __init__(self, *args, **kwargs):
            events.append("window")
            super().__init__(*args, **kwargs)

    def prepare_completion():
        for name in ("pixelcnn", "row_lstm"):
            events.append(name)
            yield name

    monkeypatch.setattr(app, "MainWindow", RecordedWindow)
    monkeypatch.setattr(app.prc, "prepare_completion", prepare_completion)
    monkeypatch.setattr(app.prc, "completion_steps_cached", lambda variant=None: cached)
    window, preparing = app.launch()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: len(events) == 3, timeout=WAIT_MS)
    preparing.shutdown()
    assert events.index("window") == (2 if cached else 0)
    window.document.undo_stack.setClean()
    window.close()


def test_the_status_bar_says_the_engine_is_being_prepared_until_it_is_ready(fresh_settings, monkeypatch, qtbot):
    """A menu's status tips cleared the note for good, and "Completion engine ready." never came."""
    release = threading.Event()

    def prepare_completion():
        release.wait(WAIT_MS / 1000)
        yield "pixelcnn"

    monkeypatch.setattr(app.prc, "prepare_completion", prepare_completion)
    monkeypatch.setattr(app.prc, "completion_steps_cached", lambda variant=None: False)
    window, preparing = app.launch()
    qtbot.addWidget(window)
    bar = window.statusBar()
    qtbot.waitUntil(lambda: bar.findChild(QLabel, "preparingNote") is not None, timeout=WAIT_MS)
    note = bar.findChild(QLabel, "preparingNote")
    assert note.text().startswith("Preparing the completion engine")
    bar.showMessage("Open an image file")  # a menu item's status tip
    bar.clearMessage()
    assert note.isVisible()
    release.set()
    qtbot.waitUntil(lambda: bar.currentMessage() == "Completion engine ready.", timeout=WAIT_MS)
    assert bar.findChild(QLabel, "preparingNote") is None or not note.isVisible()
    preparing.shutdown()
    window.document.undo_stack.setClean()
    window.close()


@pytest.mark.parametrize("how", ["failed", "readied behind the splash"])
def test_the_engine_is_said_ready_only_when_it_became_ready_in_the_open_window(fresh_settings, monkeypatch, qtbot, how):
    """A failed preparation left "Completion engine ready." in the status bar (the first Complete then
    compiles, saying so), and steps loaded behind the splash were announced again in the window."""
    def prepare_completion():
        if how == "failed":
            raise OSError("numba's cache folder is read-only")
        yield "pixelcnn"

    monkeypatch.setattr(app.prc, "prepare_completion", prepare_completion)
    monkeypatch.setattr(app.prc, "completion_steps_cached", lambda variant=None: how != "failed")
    window, preparing = app.launch()
    qtbot.addWidget(window)
    messages = []
    window.statusBar().messageChanged.connect(messages.append)  # before the loop runs the preparation
    qtbot.waitUntil(lambda: not preparing.busy, timeout=WAIT_MS)
    qtbot.wait(50)
    assert "Completion engine ready." not in messages
    assert window.statusBar().findChild(QLabel, "preparingNote") is None
    window.document.undo_stack.setClean()
    window.close()


def test_a_photo_named_on_the_command_line_is_in_the_window_when_it_first_shows(fresh_settings, monkeypatch, qtbot, tmp_path):
    """The window showed "untitled — PixelRNN" and a blank canvas for about two seconds before the
    photo appeared (a helper's real-window review with 12-megapixel photos)."""
    photo = tmp_path / "holiday.png"
    Image.fromarray(np.full((6, 9, 3), 90, np.uint8)).save(photo)
    first_shown = []

    class RecordedWindow(MainWindow):
        def showEvent(self, event):  # noqa: N802 (Qt API)
            first_shown.append((self.windowTitle(), self.document.path))
            super().showEvent(event)

    monkeypatch.setattr(app, "MainWindow", RecordedWindow)
    monkeypatch.setattr(app.prc, "prepare_completion", lambda: iter(()))
    window, preparing = app.launch(str(photo))
    qtbot.addWidget(window)
    preparing.shutdown()
    assert first_shown[0][1] == photo and first_shown[0][0].startswith("holiday.png")
    window.close()


def test_every_splash_message_fits_the_splash(qapp):
    """"…N: readying the completion engine (multiscale (diagonal_bi" was cut off on both sides."""
    splash = QSplashScreen(app.splash_pixmap())
    width = splash.fontMetrics().horizontalAdvance
    messages = [app.readying_message(name) for name in completion_variants()] + [app.LOADING_TORCH, app.LOADING_ENGINE]
    assert max(map(width, messages)) < app.splash_pixmap().width() - 16


def test_complete_on_the_first_run_fills_the_mask(qtbot, tmp_path):
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.show_training()  # as a window left on the Train tab last time opens
    window.show_first_run()
    tabs = next(bar for bar in window.findChildren(QTabBar) if "Train" in [bar.tabText(i) for i in range(bar.count())])
    assert tabs.tabText(tabs.currentIndex()) == "Complete"  # the hint's Complete button is in front
    original, mask = window.document.image.copy(), window.document.mask.copy()
    assert window.controller.model_path == prc.bundled_models()[main_window.FIRST_RUN_MODEL]
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.panel.complete_button, Qt.MouseButton.LeftButton)
    assert window.message_bar.text() == ""  # the hint to press Complete goes once a fill starts
    filled = window.document.image
    np.testing.assert_array_equal(filled[~mask], original[~mask])
    assert (filled[mask] != original[mask]).any()
    # 4 candidates by default, ranked in the strip: ranking 4 fills lowers their error (docs/benchmarks.md)
    assert window.panel.samples.value() == 4 and window.panel.strip.count() == 4
    window.document.undo_stack.setClean()
    window.close()
    later = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(later)
    later.show_first_run()  # a later start: the sample to play with again, without telling a user who has filled how
    assert later.document.mask.sum() == mask.sum() and later.message_bar.text() == ""


def test_pixelrnn_gui_without_a_display_refuses_in_one_line(monkeypatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(app, "run_app", lambda *a: pytest.fail("tried to open the window"))
    assert main(["gui"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pixelrnn gui: error: no display to open the window on") and err.count("\n") == 1


def test_the_pixelrnn_command_loads_torch_only_once_it_runs():
    """Ctrl-C while torch loads (the first second or two) is then the command's one line, not a traceback
    from the import in the console script."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, pixelrnn_gui.command; print(sorted({'torch', 'PySide6'} & set(sys.modules)))"],
        capture_output=True, text=True, check=True,
    )
    assert loaded.stdout.strip() == "[]"


@pytest.mark.parametrize(("argv", "line"), [
    (["sample", "fashion-mnist", "--out", "never-written.png"], "pixelrnn sample: cancelled"),  # named, as once loaded
    (["--version"], "pixelrnn: cancelled"),
])
def test_ctrl_c_while_the_command_loads_is_one_line(monkeypatch, capsys, argv, line):
    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "pixelrnn_core":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted)
    assert main(argv) == 130
    assert capsys.readouterr().err == f"{line}\n"


def no_server_display() -> str:
    """An X display number nothing listens on (neither its socket nor its TCP port)."""

    for number in range(500, 600):
        if Path(f"/tmp/.X11-unix/X{number}").exists():
            continue
        with socket.socket() as probe:
            if probe.connect_ex(("localhost", 6000 + number)) != 0:
                return f":{number}"
    pytest.skip("every display number from :500 to :599 is taken")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X and Wayland displays are Linux's")
def test_pixelrnn_gui_with_an_unreachable_display_refuses_in_one_line(monkeypatch, capsys, tmp_path):
    """A stale DISPLAY (an ssh session without X forwarding, a closed Xvfb) or a Wayland socket that is not
    there: Qt would abort with a core dump and advise reinstalling."""
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    display = no_server_display()
    monkeypatch.setenv("DISPLAY", display)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
    monkeypatch.setattr(app, "run_app", lambda *a: pytest.fail("tried to open the window"))
    assert main(["gui"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pixelrnn gui: error: cannot connect to the display (WAYLAND_DISPLAY=wayland-9, DISPLAY={display})")
    assert "QT_QPA_PLATFORM=offscreen" in err and err.count("\n") == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X and Wayland displays are Linux's")
def test_pixelrnn_gui_opens_on_a_display_that_answers(monkeypatch, tmp_path):

    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("DISPLAY", no_server_display())  # Qt falls back to X only if Wayland fails
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    opened = []
    monkeypatch.setattr(app, "run_app", lambda *a: opened.append(a) or 0)
    with socket.socket(socket.AF_UNIX) as compositor:
        compositor.bind(str(tmp_path / "wayland-1"))
        compositor.listen()
        assert main(["gui"]) == 0
    assert opened == [(None, None)]


@pytest.mark.parametrize("trained_before_the_hint", [True, False])
def test_the_hint_does_not_name_a_model_that_is_not_the_active_one(window, grey_model_file, trained_before_the_hint):
    if trained_before_the_hint:  # a restart with a run's model active
        window.add_trained_model(str(grey_model_file))
    window.show_first_run()
    window.add_trained_model(str(grey_model_file))  # a run's model becomes the active one while the hint is up
    assert window.controller.model_path == grey_model_file
    hint = window.message_bar.text()
    assert "to let the model chosen in the Complete panel fill the red region" in hint and "Fashion-MNIST" not in hint
