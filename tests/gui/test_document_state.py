"""One clean state per image: opening, pasting or creating an image leaves nothing of the previous
image's fill behind (candidates, progress, pending pixels, pinned pixel, the original for Tab), and
Tab over the canvas shows the image as it was before any fill."""
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from pixelrnn_gui.canvas import Tool
from pixelrnn_gui.qimages import rgb_to_qimage

WAIT_MS = 60_000


@pytest.fixture
def filled(window, qtbot, image_file, rgb_model_file):
    """Image A (8x8) filled with K = 4 candidates, the inspector pinned on its last pixel."""
    path, pixels = image_file
    window.files.open_image(path)
    window.load_checkpoint(str(rgb_model_file))
    window.mask_bottom_half()
    window.panel.samples.setValue(4)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.panel.complete_button, Qt.MouseButton.LeftButton)
    assert window.panel.strip.count() == 4
    window.set_tool(Tool.PICK)
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=window.canvas.widget_position(7, 7))
    assert window.inspector.pinned
    window.document.undo_stack.setClean()
    return window, pixels


def open_other(window, tmp_path, how: str) -> np.ndarray:
    """Image B, 12x16, opened from a file, pasted from the clipboard or made blank."""
    other = np.random.default_rng(3).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    if how == "open":
        Image.fromarray(other).save(tmp_path / "b.png")
        assert window.files.open_image(tmp_path / "b.png")
    elif how == "paste":
        QGuiApplication.clipboard().setImage(rgb_to_qimage(other))
        window.files.paste_image()
        window.document.untitled_changes = False
    else:
        window.files.new_blank(12, 16)
        other = window.document.image.copy()
    assert window.document.image.shape == (12, 16, 3)
    return other


@pytest.mark.parametrize("how", ["open", "paste", "new"])
def test_another_image_starts_a_clean_state(filled, qtbot, tmp_path, how):
    window, _ = filled
    with qtbot.capture_exceptions() as exceptions:
        other = open_other(window, tmp_path, how)
        panel, canvas, inspector = window.panel, window.canvas, window.inspector
        assert panel.strip.count() == 0
        assert panel.progress.value() == 0 and "/" not in panel.progress.text()
        assert canvas.pending is None
        assert not inspector.pinned
        canvas.set_comparing(True)
        assert not canvas.comparing  # nothing was filled in this image: no "original" to show
        np.testing.assert_array_equal(window.document.image, other)
        # the inspector and the pointer read the new image only, also beyond the old one's size
        with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
            inspector.inspect()
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(10, 14))
        qtbot.mouseMove(canvas, canvas.widget_position(11, 15))
        assert inspector.pixel == (10, 14)
    assert not exceptions, exceptions


def hover_and_hold_tab(window, qtbot):
    """Point at the canvas without clicking it, with the keyboard focus elsewhere, and press Tab."""
    window.panel.seed.setFocus()
    qtbot.mouseMove(window.canvas, window.canvas.widget_position(2, 2))
    focused = QApplication.focusWidget()
    assert focused is not window.canvas
    qtbot.keyPress(focused, Qt.Key.Key_Tab)


def test_tab_over_the_canvas_without_a_click_shows_the_true_original(window, qtbot, image_file, rgb_model_file):
    path, pixels = image_file
    window.files.open_image(path)
    window.load_checkpoint(str(rgb_model_file))
    window.mask_bottom_half()
    for seed in (1, 2):  # two fills of the same hole: the original is the image before the first
        window.panel.seed.setValue(seed)
        with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
            qtbot.mouseClick(window.panel.complete_button, Qt.MouseButton.LeftButton)
    assert window.show_mask_action.isChecked() and window.canvas.show_mask  # the mask stays shown
    hover_and_hold_tab(window, qtbot)
    assert window.canvas.comparing
    np.testing.assert_array_equal(window.canvas.compare_image, pixels)
    qtbot.keyRelease(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert not window.canvas.comparing
    window.document.undo_stack.setClean()
