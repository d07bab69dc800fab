"""What people expect of an image tool: the inspector's pin shown and cleared; candidates numbered the
same everywhere with understandable scores and thumbnails of the hole; greedy has one candidate; zoom
out to fit any image; progress that starts from zero; save as JPEG/WebP; copy to the clipboard; a
lasting brush-size readout; grow/shrink the mask; (x, y) coordinates; a layout that stays put."""
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon

from pixelrnn_gui.canvas import Tool
from pixelrnn_gui import completion_panel
from pixelrnn_gui.completion_panel import model_card
from pixelrnn_gui.mask_ops import outline
from pixelrnn_gui.qimages import qimage_to_rgb

WAIT_MS = 60_000


def test_inspector_pin_is_shown_and_cleared_by_esc_or_a_second_click(window, qtbot, image_file):
    window.files.open_image(image_file[0])
    inspector, canvas = window.inspector, window.canvas
    window.set_tool(Tool.PICK)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(2, 5))
    assert inspector.pinned and inspector.pin_label.isVisibleTo(inspector)
    assert "x 5, y 2" in inspector.pin_label.text()
    qtbot.mouseMove(canvas, canvas.widget_position(6, 6))
    assert inspector.pixel == (2, 5)  # pinned: hovering elsewhere does not move it
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(2, 5))
    assert not inspector.pinned and not inspector.pin_label.isVisibleTo(inspector)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(3, 3))
    assert inspector.pinned
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert not inspector.pinned


def test_pinning_a_pixel_does_not_widen_the_inspector(window, qtbot, image_file):
    window.files.open_image(image_file[0])
    inspector, canvas = window.inspector, window.canvas
    unpinned = inspector.minimumSizeHint().width()
    window.set_tool(Tool.PICK)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(2, 5))
    assert inspector.pinned
    assert inspector.minimumSizeHint().width() <= unpinned
    assert all(ch.isprintable() and ord(ch) < 0x2000 for ch in inspector.pin_label.text())  # no emoji the font may lack


@pytest.fixture
def four_candidates(window, qtbot, image_file, rgb_model_file):
    path, pixels = image_file
    window.files.open_image(path)
    window.load_checkpoint(str(rgb_model_file))
    mask = np.zeros((8, 8), bool)
    mask[4:6, 2:5] = True  # known pixels follow the hole, so the candidates are ranked
    window.document.edit("Mask", "mask", mask)
    window.panel.samples.setValue(4)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.panel.complete_button, Qt.MouseButton.LeftButton)
    return window


def test_candidates_are_numbered_best_first_with_shares_everywhere(four_candidates, qtbot):
    window = four_candidates
    strip = window.panel.strip
    texts = [strip.item(i).text() for i in range(strip.count())]
    assert [t.split()[0] for t in texts] == ["#1", "#2", "#3", "#4"]
    shares = [float(t.split()[1].rstrip("%")) for t in texts]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(100, abs=2)
    assert window.panel.strip_title.text() == "Candidates (best first)"
    selected = strip.item(0).icon()
    assert selected.pixmap(32, 32, QIcon.Mode.Selected).toImage() == selected.pixmap(32, 32, QIcon.Mode.Normal).toImage()
    item = strip.item(1)
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=strip.visualItemRect(item).center())
    assert window.document.undo_stack.undoText() == "Apply candidate #2"
    window.document.undo_stack.setClean()


def test_candidates_with_nothing_after_the_hole_are_not_called_best_first(window, qtbot, rgb_model_file):
    window.files.new_blank(6, 6)
    window.load_checkpoint(str(rgb_model_file))
    window.mask_bottom_half()  # nothing known follows the hole
    window.panel.samples.setValue(2)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.panel.complete_button, Qt.MouseButton.LeftButton)
    assert window.panel.strip_title.text() == "Candidates (as drawn: nothing after the hole to rank by)"
    window.panel.samples.setValue(1)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.panel.complete_button, Qt.MouseButton.LeftButton)
    assert window.panel.strip_title.text() == "Candidates"
    window.document.undo_stack.setClean()


def test_candidate_thumbnails_show_the_hole_with_context(window, qtbot, rgb_model_file):
    window.files.new_blank(80, 96)
    window.load_checkpoint(str(rgb_model_file))
    mask = np.zeros((80, 96), bool)
    mask[60:64, 70:75] = True
    window.document.edit("Mask", "mask", mask)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.panel.complete_button, Qt.MouseButton.LeftButton)
    icon = window.panel.strip.item(0).icon().pixmap(64, 64).toImage()
    assert icon.width() == 64  # the crop around the 4x5 hole is wider than high: full width
    shown = qimage_to_rgb(icon)
    filled = window.document.image[56:68, 66:79]  # the hole and 4 pixels of context on each side
    assert shown.shape[0] == pytest.approx(64 * filled.shape[0] / filled.shape[1], abs=1)
    window.document.undo_stack.setClean()


@pytest.fixture
def bottom_half(window, image_file, rgb_model_file):
    """The 8x8 test image with its bottom half masked and the tiny RGB model."""
    window.files.open_image(image_file[0])
    window.load_checkpoint(str(rgb_model_file))
    window.mask_bottom_half()
    return window


def test_greedy_has_a_single_candidate(bottom_half, qtbot):
    window = bottom_half
    panel = window.panel
    panel.samples.setValue(4)
    panel.greedy.setChecked(True)
    assert not panel.samples.isEnabled()
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(panel.complete_button, Qt.MouseButton.LeftButton)
    assert panel.strip.count() == 1
    panel.greedy.setChecked(False)
    assert panel.samples.isEnabled()
    window.document.undo_stack.setClean()


def test_progress_never_shows_the_previous_fills_count(bottom_half, qtbot):
    window = bottom_half
    panel = window.panel
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(panel.complete_button, Qt.MouseButton.LeftButton)
    assert panel.progress.value() == panel.progress.maximum() == 4 * 8 * 3
    qtbot.mouseClick(panel.resample_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=window.canvas.widget_position(6, 0))
        assert panel.progress.value() == 2 * 8 * 3  # rows 4 and 5 are kept; nothing of row 6 is decided yet
    assert panel.progress.value() == panel.progress.maximum()
    window.document.undo_stack.setClean()


def test_zoom_out_fits_a_very_large_image(window):
    window.files.new_blank(6000, 6000)
    canvas = window.canvas
    canvas.fit()
    assert 6000 * canvas.zoom <= min(canvas.width(), canvas.height())
    canvas.zoom_by(0.5)
    assert 6000 * canvas.zoom <= min(canvas.width(), canvas.height())


@pytest.mark.parametrize("suffix, format_name", [(".jpg", "JPEG"), (".webp", "WEBP")])
def test_save_as_jpeg_and_webp(window, image_file, tmp_path, monkeypatch, suffix, format_name):
    from PySide6.QtWidgets import QFileDialog

    window.files.open_image(image_file[0])
    out = tmp_path / f"saved{suffix}"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    assert window.files.save_image_as()
    with Image.open(out) as saved:
        assert saved.format == format_name and saved.size == (8, 8)
        if format_name == "WEBP":  # lossless: the pixels a model filled come back exactly
            np.testing.assert_array_equal(np.asarray(saved.convert("RGB")), image_file[1])


def test_save_as_a_format_the_app_does_not_write_says_what_it_wrote(window, image_file, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window.files.open_image(image_file[0])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "out.bmp"), ""))
    assert window.files.save_image_as()
    assert (tmp_path / "out.png").is_file() and not (tmp_path / "out.bmp").exists()
    assert window.message_bar.text() == "Saved as out.png: the app writes PNG, JPEG or WebP images, not .bmp."


def test_copy_the_image_to_the_clipboard(window, image_file):
    path, pixels = image_file
    window.files.open_image(path)
    window.files.copy_image()
    np.testing.assert_array_equal(qimage_to_rgb(QGuiApplication.clipboard().image()), pixels)


def test_brush_size_readout_lasts(window, qtbot):
    window.set_tool(Tool.MASK_BRUSH)
    window.canvas.set_brush_size(5)
    assert window.brush_label.text() == "Brush 5 px"
    qtbot.wait(1700)  # longer than a passing status message
    assert window.brush_label.text() == "Brush 5 px"
    window.set_tool(Tool.MASK_RECT)
    assert window.brush_label.text() == ""


def test_grow_and_shrink_the_mask(window):
    window.files.new_blank(9, 9)
    mask = np.zeros((9, 9), bool)
    mask[3:6, 3:6] = True
    window.document.edit("Mask", "mask", mask)
    window.grow_mask()
    np.testing.assert_array_equal(window.document.mask, np.pad(np.ones((5, 5), bool), 2))
    window.shrink_mask()
    window.shrink_mask()
    assert window.document.mask.sum() == 1 and window.document.mask[4, 4]
    window.undo_action.trigger()
    assert window.document.mask.sum() == 9


def test_mask_outline_runs_along_its_edges_and_the_image_border():
    mask = np.zeros((3, 4), bool)
    mask[0, 0:2] = mask[1, 1] = True  # an L touching the top and left borders
    assert sorted(outline(mask)) == sorted([
        (0, 0, 2, 0), (0, 1, 1, 1), (1, 2, 2, 2),  # along y = 0, 1, 2
        (0, 0, 0, 1), (1, 1, 1, 2), (2, 0, 2, 2),  # along x = 0, 1, 2 (two edges merged into one)
    ])
    assert outline(np.zeros((2, 2), bool)) == []


def test_pointer_readout_follows_the_pixel_as_it_changes_under_a_still_pointer(window, qtbot, image_file):
    window.files.open_image(image_file[0])
    qtbot.mouseMove(window.canvas, window.canvas.widget_position(3, 4))
    image = window.document.image.copy()
    image[3, 4] = (1, 2, 3)
    window.document.edit("Paint", "image", image)  # as a fill writes the pixel under the pointer
    assert window.position_label.text() == "x 4, y 3  RGB 1 2 3"
    mask = window.document.mask.copy()
    mask[3, 4] = True
    window.document.edit("Mask", "mask", mask)
    assert window.position_label.text() == "x 4, y 3  RGB 1 2 3 · masked"


def test_pointer_readout_gives_one_grey_value_under_a_grey_model(window, qtbot, grey_model_file, tmp_path):
    grey = tmp_path / "grey.png"
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(grey)
    window.files.open_image(grey)
    window.load_checkpoint(str(grey_model_file))
    qtbot.mouseMove(window.canvas, window.canvas.widget_position(0, 0))
    qtbot.mouseMove(window.canvas, window.canvas.widget_position(3, 4))
    assert window.position_label.text() == "x 4, y 3  grey 28"


def test_pointer_position_is_x_then_y(window, qtbot, image_file):
    window.files.open_image(image_file[0])
    qtbot.mouseMove(window.canvas, window.canvas.widget_position(2, 5))
    assert window.position_label.text().startswith("x 5, y 2")


def test_the_controls_stay_put_when_the_model_card_changes(window, rgb_model_file):
    import dataclasses

    import pixelrnn_core as prc

    panel = window.panel
    short = prc.checkpoint_info(rgb_model_file)
    panel.card.setText(model_card(str(rgb_model_file), short))
    panel.layout().activate()
    before = panel.complete_button.mapTo(panel, panel.complete_button.rect().topLeft())
    long_card = dataclasses.replace(short, title="A model with a long description " * 6, bits_per_dim=3.2, step=9)
    panel.card.setText(model_card(str(rgb_model_file), long_card))
    panel.layout().activate()
    assert panel.complete_button.mapTo(panel, panel.complete_button.rect().topLeft()) == before


def test_every_bundled_model_card_fits_its_box(window):
    import pixelrnn_core as prc

    card = window.panel.card
    for name, path in prc.bundled_models().items():
        card.setText(model_card(str(path), prc.checkpoint_info(path)))
        assert card.heightForWidth(card.width()) <= card.height(), name


def test_candidate_thumbnails_show_each_of_holes_far_apart(window, qtbot, rgb_model_file):
    """Two small holes far apart: the thumbnail was the box around both, the whole image, where neither
    showed; it is now the two holes with their context side by side."""
    window.files.new_blank(200, 240)
    window.load_checkpoint(str(rgb_model_file))
    mask = np.zeros((200, 240), bool)
    mask[20:24, 30:34] = True
    mask[170:174, 200:204] = True
    window.document.edit("Mask", "mask", mask)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.panel.complete_button, Qt.MouseButton.LeftButton)
    fill = window.controller.fill
    shown = completion_panel.thumbnail_view(fill.before, mask, fill.box, fill.candidates[0].hole, completion_panel.hole_groups(mask))
    first, second = window.document.image[16:28, 26:38], window.document.image[166:178, 196:208]  # each hole and 4 pixels around
    np.testing.assert_array_equal(shown[:, :12], first)
    np.testing.assert_array_equal(shown[:, 13:], second)
    assert (shown[:, 12] == 128).all()  # a grey bar between them
    icon = window.panel.strip.item(0).icon().pixmap(64, 64).toImage()
    assert (icon.width(), icon.height()) == (64, pytest.approx(64 * 12 / 25, abs=1))
    window.document.undo_stack.setClean()


def test_a_thumbnail_shows_the_largest_groups_of_many_holes():
    mask = np.zeros((400, 400), bool)
    for index, corner in enumerate(range(10, 400, 60)):
        mask[corner : corner + 1 + index, 5 : 6 + index] = True  # 7 holes far apart, each larger than the last
    groups = completion_panel.hole_groups(mask)
    assert [group.top for group in groups] == [190, 250, 310, 370]  # the 4 largest, in the order filled
