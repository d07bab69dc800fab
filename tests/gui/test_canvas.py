"""Editing flows on the real window: open, paint the mask with the mouse, undo/redo, mask tools,
saving round trips, and bad files reported in the window."""
from pathlib import Path

import numpy as np
import pixelrnn_core as prc
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from pixelrnn_gui.canvas import MAX_BRUSH_SIZE, Tool
from pixelrnn_gui.completion import context_warning


def drag(qtbot, canvas, pixels):
    """Press at the first (row, col), move through the rest, release at the last."""
    points = [canvas.widget_position(r, c) for r, c in pixels]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=points[0])
    for point in points[1:]:
        qtbot.mouseMove(canvas, point)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=points[-1])


def test_open_image_shows_it(window, image_file):
    path, pixels = image_file
    assert window.files.open_image(path)
    np.testing.assert_array_equal(window.document.image, pixels)
    assert not window.document.mask.any()
    assert path.name in window.windowTitle()


def test_paint_mask_with_mouse_then_undo_redo(window, qtbot, image_file):
    path, pixels = image_file
    window.files.open_image(path)
    window.set_tool(Tool.MASK_BRUSH)
    window.canvas.brush_sizes[Tool.MASK_BRUSH] = 1
    drag(qtbot, window.canvas, [(5, 1), (5, 6)])
    expected = np.zeros((8, 8), bool)
    expected[5, 1:7] = True
    np.testing.assert_array_equal(window.document.mask, expected)
    np.testing.assert_array_equal(window.document.image, pixels)  # the mask brush never paints pixels
    window.undo_action.trigger()
    assert not window.document.mask.any()
    window.redo_action.trigger()
    np.testing.assert_array_equal(window.document.mask, expected)
    assert window.document.modified


def test_brush_paints_colour_and_eraser_paints_white(window, qtbot, image_file):
    path, pixels = image_file
    window.files.open_image(path)
    window.canvas.colour.setRgb(10, 200, 30)
    window.set_tool(Tool.PAINT)
    drag(qtbot, window.canvas, [(2, 2)])
    assert tuple(window.document.image[2, 2]) == (10, 200, 30)
    window.set_tool(Tool.ERASE)
    window.canvas.brush_sizes[Tool.ERASE] = 1
    drag(qtbot, window.canvas, [(3, 3)])
    assert tuple(window.document.image[3, 3]) == (255, 255, 255)
    window.undo_action.trigger()
    window.undo_action.trigger()
    np.testing.assert_array_equal(window.document.image, pixels)


def test_brush_size_keys_and_mask_eraser(window, qtbot, image_file):
    window.files.open_image(image_file[0])
    window.set_tool(Tool.MASK_BRUSH)
    window.canvas.brush_sizes[Tool.MASK_BRUSH] = 1
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_BracketRight)
    qtbot.keyClick(window.canvas, Qt.Key.Key_BracketRight)
    assert window.canvas.brush_size == 3
    drag(qtbot, window.canvas, [(4, 4)])
    assert window.document.mask[3:6, 3:6].all() and window.document.mask.sum() == 9
    window.set_tool(Tool.MASK_ERASER)
    window.canvas.brush_sizes[Tool.MASK_ERASER] = 1
    drag(qtbot, window.canvas, [(4, 4)])
    assert not window.document.mask[4, 4] and window.document.mask.sum() == 8


def test_brush_size_keys_grow_by_a_quarter_up_to_a_brush_for_a_phone_photo(window, qtbot):
    """A 12-megapixel photo fits the window at about 15 %: a brush of at most 64 pixels (10 on screen),
    reached from 3 in 61 presses of ], was too small to mask with."""
    window.set_tool(Tool.MASK_BRUSH)
    canvas = window.canvas
    canvas.set_brush_size(3)
    sizes = []
    for _ in range(24):
        canvas.change_brush_size(1)
        sizes.append(canvas.brush_size)
    assert sizes[:3] == [4, 5, 6] and 64 <= sizes[13] <= 80 and sizes[-1] == MAX_BRUSH_SIZE >= 512
    canvas.set_brush_size(80)
    canvas.change_brush_size(-1)
    assert canvas.brush_size == 64
    canvas.set_brush_size(2)
    canvas.change_brush_size(-1)
    canvas.change_brush_size(-1)
    assert canvas.brush_size == 1


def test_a_wide_brushs_stroke_masks_the_band_along_its_path(window, qtbot):
    """Wide brushes stamp along a stroke at a fraction of their size (every pixel of a 100-pixel move
    took 1.7 s at 512 pixels): the band they mask is the same to a pixel or two at its edge."""
    window.files.new_blank(400, 600)
    window.set_tool(Tool.MASK_BRUSH)
    window.canvas.set_brush_size(121)
    drag(qtbot, window.canvas, [(200, 150), (200, 450)])
    rows, cols = np.indices(window.document.mask.shape)
    distance = np.hypot(rows - 200, np.clip(cols, 150, 450) - cols)  # to the segment from (200, 150) to (200, 450)
    assert window.document.mask[distance <= 59].all() and not window.document.mask[distance >= 62].any()


def test_a_mask_rectangle_counts_only_inside_the_image(window, qtbot, image_file):
    window.files.open_image(image_file[0])
    window.set_tool(Tool.MASK_RECT)
    outside = (-1, 3)  # the grey area above the image
    assert window.canvas.rect().contains(window.canvas.widget_position(*outside))
    drag(qtbot, window.canvas, [outside])
    drag(qtbot, window.canvas, [outside, (-1, 6)])
    assert not window.document.mask.any() and not window.undo_action.isEnabled()
    drag(qtbot, window.canvas, [outside, (2, 5)])
    expected = np.zeros((8, 8), bool)
    expected[0:3, 3:6] = True
    np.testing.assert_array_equal(window.document.mask, expected)


def test_mask_rectangle_invert_clear(window, qtbot, image_file):
    window.files.open_image(image_file[0])
    window.set_tool(Tool.MASK_RECT)
    drag(qtbot, window.canvas, [(6, 5), (7, 2)])
    expected = np.zeros((8, 8), bool)
    expected[6:8, 2:6] = True
    np.testing.assert_array_equal(window.document.mask, expected)
    window.invert_mask()
    np.testing.assert_array_equal(window.document.mask, ~expected)
    assert "almost no context" in window.warning_label.text()  # the inverted mask leaves none
    window.clear_mask()
    assert not window.document.mask.any()
    assert window.warning_label.text() == ""
    window.undo_action.trigger()
    window.undo_action.trigger()
    np.testing.assert_array_equal(window.document.mask, expected)


def test_save_image_and_mask_round_trip(window, qtbot, image_file, tmp_path):
    path, pixels = image_file
    window.files.open_image(path)
    window.canvas.colour.setRgb(1, 2, 3)
    window.set_tool(Tool.PAINT)
    drag(qtbot, window.canvas, [(0, 0)])
    window.set_tool(Tool.MASK_RECT)
    drag(qtbot, window.canvas, [(4, 0), (7, 7)])
    out = tmp_path / "saved.png"
    assert window.files.write_image(out)
    assert window.files.save_mask(tmp_path / "mask.png")
    assert not window.document.modified
    saved = np.asarray(Image.open(out).convert("RGB"))
    assert tuple(saved[0, 0]) == (1, 2, 3)
    np.testing.assert_array_equal(saved[1:], pixels[1:])
    assert not list(tmp_path.glob(".*.tmp"))  # the temp file was renamed, not left behind
    window.clear_mask()
    assert window.files.load_mask_file(tmp_path / "mask.png")
    assert window.document.mask[4:].all() and not window.document.mask[:4].any()
    window.document.undo_stack.setClean()
    assert window.files.open_image(out, tmp_path / "mask.png")
    assert window.document.mask[4:].all()


def test_unreadable_files_are_reported_and_nothing_changes(window, image_file, tmp_path):
    path, pixels = image_file
    window.files.open_image(path)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    assert not window.files.open_image(junk)
    assert "junk.png" in window.message_bar.text()
    np.testing.assert_array_equal(window.document.image, pixels)
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(small)
    assert not window.files.load_mask_file(small)
    assert "4x4" in window.message_bar.text()
    assert not window.document.mask.any()


def test_unsaved_changes_prompt_can_cancel_opening(window, qtbot, image_file, monkeypatch, tmp_path):
    path, pixels = image_file
    window.files.open_image(path)
    window.mask_bottom_half()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Cancel)
    other = tmp_path / "other.png"
    Image.fromarray(np.zeros((3, 3, 3), np.uint8)).save(other)
    assert not window.files.open_image(other)
    assert asked and window.document.image.shape == (8, 8, 3)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    assert window.files.open_image(other)
    assert window.document.image.shape == (3, 3, 3)


def test_unsaved_mask_changes_offer_to_save_the_mask(window, qtbot, image_file, monkeypatch, tmp_path):
    path, _ = image_file
    window.files.open_image(path)
    window.mask_bottom_half()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text, *a: asked.append(text) or QMessageBox.StandardButton.Save)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "mask.png"), ""))
    assert window.files.confirm_discard()
    assert asked == ["The mask has changed (the image has not). Save the mask first?"]
    assert (np.asarray(Image.open(tmp_path / "mask.png"))[4:] == 255).all()
    window.canvas.colour.setRgb(1, 2, 3)
    window.set_tool(Tool.PAINT)
    drag(qtbot, window.canvas, [(0, 0)])
    window.files.confirm_discard()
    assert asked[-1] == "The image has unsaved changes. Save them first?"
    window.document.undo_stack.setClean()


def test_blank_canvas_zoom_fit_and_recent_files(window, qtbot, image_file):
    window.files.new_blank(20, 30)
    assert window.document.image.shape == (20, 30, 3) and (window.document.image == 255).all()
    canvas = window.canvas
    canvas.fit()
    fitted = canvas.zoom
    anchor = canvas.widget_position(10, 15).toPointF()
    canvas.zoom_by(2.0, anchor)
    assert canvas.zoom == pytest.approx(fitted * 2)
    assert canvas.image_pixel(anchor) == (10, 15)  # zoom keeps the pixel under the pointer
    canvas.actual_size()
    assert canvas.zoom == 1.0
    window.files.open_image(image_file[0])
    assert [a.toolTip() for a in window.recent_menu.actions()] == [str(image_file[0])]


def test_settings_remember_tool_sizes(window, qtbot, tmp_path):
    window.set_tool(Tool.MASK_BRUSH)
    window.canvas.set_brush_size(7)
    window._save_settings()
    from pixelrnn_gui.main_window import MainWindow

    again = MainWindow(window.settings)
    qtbot.addWidget(again)
    assert again.canvas.brush_sizes[Tool.MASK_BRUSH] == 7


def test_settings_remember_the_sampling_choices(window, qtbot):
    from pixelrnn_gui.main_window import MainWindow

    fresh = MainWindow(window.settings)
    qtbot.addWidget(fresh)
    assert (fresh.panel.samples.value(), fresh.panel.temperature.value(), fresh.panel.greedy.isChecked()) == (4, 0.8, False)
    window.panel.samples.setValue(6)
    window.panel.temperature.setValue(0.6)
    window.panel.greedy.setChecked(True)
    window._save_settings()
    again = MainWindow(window.settings)
    qtbot.addWidget(again)
    assert (again.panel.samples.value(), again.panel.temperature.value(), again.panel.greedy.isChecked()) == (6, 0.6, True)


def test_a_temperature_stored_before_fills_defaulted_to_0_8_is_not_read_back(window, qtbot):
    """Every window closed before 2026-12-04 stored the then default, 1.0, as if chosen: upgrading users
    would have kept it and never seen the smoother fills of 0.8."""
    from pixelrnn_gui.main_window import MainWindow

    window.settings.setValue("temperature", 1.0)
    fresh = MainWindow(window.settings)
    qtbot.addWidget(fresh)
    assert fresh.panel.temperature.value() == 0.8
    fresh._save_settings()
    assert not window.settings.contains("temperature")


def test_controls_have_names_and_tooltips(window):
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QSlider, QWidget

    for name in ("canvas", "completeButton", "cancelButton", "modelPicker", "devicePicker", "samplesSpin",
                 "temperatureSpin", "seedSpin", "inspector", "progressBar"):
        assert window.findChild(QWidget, name) is not None, name
    for kind in (QAbstractButton, QAbstractSpinBox, QComboBox, QSlider):
        for widget in window.findChildren(kind):
            if widget.objectName().startswith("qt_") or not widget.isVisibleTo(window):
                continue
            assert widget.accessibleName(), widget
            assert widget.toolTip(), widget.accessibleName()


def test_paste_and_drop_open_images(window, qtbot, image_file):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent, QGuiApplication

    from pixelrnn_gui.qimages import rgb_to_qimage

    path, pixels = image_file
    pasted = np.full((5, 6, 3), 7, np.uint8)
    QGuiApplication.clipboard().setImage(rgb_to_qimage(pasted))
    window.files.paste_image()
    np.testing.assert_array_equal(window.document.image, pasted)
    assert window.document.modified  # a pasted image exists nowhere else until saved
    window.document.untitled_changes = False
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, data, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    np.testing.assert_array_equal(window.document.image, pixels)


def test_wheel_zooms_at_the_pointer_and_space_drag_pans(window, qtbot, image_file):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent

    window.files.open_image(image_file[0])
    canvas = window.canvas
    point = canvas.widget_position(2, 5).toPointF()
    zoom = canvas.zoom
    wheel = QWheelEvent(point, canvas.mapToGlobal(point), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, wheel)
    assert canvas.zoom == pytest.approx(zoom / 1.25)
    assert canvas.image_pixel(point) == (2, 5)
    origin = QPointF(canvas.origin)
    canvas.setFocus()
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(canvas, QPoint(130, 90))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(130, 90))
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    assert canvas.origin - origin == QPointF(30, -10)
    assert not window.document.mask.any()  # panning never paints


def test_saving_a_bundled_sample_asks_where_and_never_writes_into_the_samples(window, tmp_path, monkeypatch):
    import pixelrnn_core as prc

    sample, _ = prc.sample_images()["fashion-ankle-boot"]
    before = sample.read_bytes()
    assert window.files.open_sample("fashion-ankle-boot")
    window.mask_bottom_half()
    asked = []
    out = tmp_path / "boot.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda _parent, _title, start, _filter: asked.append(start) or (str(out), ""))
    assert window.files.save_image()
    assert asked and Path(asked[0]).parent != sample.parent  # the dialog does not start among the samples
    assert sample.read_bytes() == before
    assert window.document.path == out and not window.document.modified
    window.mask_bottom_half()
    assert not window.files.write_image(sample)  # Save As onto a sample is refused too
    assert sample.read_bytes() == before and "sample images" in window.message_bar.text()


def test_a_grey_image_is_saved_grey(window, tmp_path):
    grey = tmp_path / "grey.png"
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 3).save(grey)
    window.files.open_image(grey)
    window.mask_bottom_half()
    assert window.files.write_image(tmp_path / "out.png")
    saved = Image.open(tmp_path / "out.png")
    assert saved.mode == "L"
    np.testing.assert_array_equal(np.asarray(saved), np.arange(64, dtype=np.uint8).reshape(8, 8) * 3)


def test_saving_a_photo_keeps_its_exif_and_a_new_image_has_none(window, tmp_path):
    """Ctrl+S on a phone's JPEG re-encoded it and dropped its EXIF (camera, date, place)."""
    exif = Image.Exif()
    exif[0x0132] = "2026:12:04 01:02:03"  # DateTime
    exif[0x0112] = 6  # shown upright by a quarter turn
    photo = tmp_path / "photo.jpg"
    Image.fromarray(np.full((4, 6, 3), 128, np.uint8)).save(photo, exif=exif)
    assert window.files.open_image(photo)
    window.mask_bottom_half()
    assert window.files.save_image()  # over the photo
    with Image.open(photo) as saved:
        assert saved.getexif()[0x0132] == "2026:12:04 01:02:03" and 0x0112 not in saved.getexif()
        assert saved.size == (4, 6)  # upright
    window.files.new_blank(4, 4)
    assert window.files.write_image(tmp_path / "blank.jpg")
    with Image.open(tmp_path / "blank.jpg") as blank:
        assert len(blank.getexif()) == 0


def test_an_unreadable_mask_keeps_the_image_it_came_with(window, image_file, tmp_path):
    path, pixels = image_file
    assert not window.files.open_image(path, tmp_path / "missing-mask.png")
    np.testing.assert_array_equal(window.document.image, pixels)
    assert window.document.path == path and not window.document.mask.any()
    assert "mask" in window.message_bar.text() and "missing-mask.png" in window.message_bar.text()
    window.mask_bottom_half()
    assert window.message_bar.text() == ""  # the image has a mask now


def test_a_mask_of_the_wrong_size_is_refused_until_a_fitting_one_loads(window, image_file, tmp_path):
    path, pixels = image_file
    window.files.open_image(path)
    small = tmp_path / "small-mask.png"
    Image.fromarray(np.full((4, 4), 255, np.uint8)).save(small)
    assert not window.files.load_mask_file(small)
    assert "small-mask.png" in window.message_bar.text() and "4x4" in window.message_bar.text()
    fitting = tmp_path / "mask.png"
    Image.fromarray(np.full(pixels.shape[:2], 255, np.uint8)).save(fitting)
    assert window.files.load_mask_file(fitting)
    assert window.message_bar.text() == ""  # the refusal is about a mask the image no longer lacks


def test_the_fitted_view_refits_as_the_window_resizes_until_the_user_zooms(window, qtbot):
    window.files.new_blank(200, 300)  # small pixels on screen, so a shift of the view shows in the pixel at its centre
    canvas = window.canvas
    window.resize(1100, 760)
    qtbot.waitUntil(lambda: canvas.zoom == pytest.approx(canvas._fit_zoom()))
    before = canvas.zoom
    window.resize(900, 600)
    qtbot.waitUntil(lambda: canvas.zoom < before)
    assert canvas.zoom == pytest.approx(canvas._fit_zoom())  # still the whole image, not cropped
    canvas.zoom_by(2.0)
    zoomed = canvas.zoom
    centre = lambda: canvas.image_pixel(QPointF(canvas.width() / 2, canvas.height() / 2))  # noqa: E731
    at_centre = centre()
    window.resize(1000, 700)
    qtbot.wait(50)
    assert canvas.zoom == zoomed
    assert centre() == at_centre  # the view grew around its centre, not from its left edge


def test_a_message_coming_and_going_leaves_the_image_where_it_is_on_screen(window, qtbot):
    """A large image's hint ("paint a mask over the part to inspect") goes at the first stroke: the
    image moved under the brush (the message pushed the canvas down by its height and the view refit)."""
    window.files.new_blank(200, 300)
    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.zoom == pytest.approx(canvas._fit_zoom()))
    on_screen = lambda: (canvas.mapToGlobal(canvas.widget_point(0, 0).toPoint()), canvas.zoom)  # noqa: E731
    before = on_screen()
    window.message_bar.show_message("Images over 128×128 pixels are inspected around the mask: paint a mask over the part to inspect.")
    qtbot.waitUntil(lambda: window.message_bar.isVisible())
    qtbot.wait(50)
    assert on_screen() == before
    window.message_bar.hide()
    qtbot.wait(50)
    assert on_screen() == before


def test_errors_and_notices_show_in_their_colours(window, qtbot):
    bar, area = window.message_bar, window.centralWidget()
    for error, colour in ((True, "#f8d7da"), (False, "#fff3cd")):
        bar.hide()  # a notice does not replace an error
        bar.show_message("Something to say.", error=error)
        qtbot.waitUntil(bar.isVisible)
        assert area.grab().toImage().pixelColor(bar.geometry().topLeft() + QPoint(2, 2)).name() == colour  # as shown, over the canvas


def test_zoom_to_mask_shows_a_small_hole_in_a_large_image(window, qtbot):
    """A 64-pixel hole in a 12-megapixel photo is a 10-pixel spot at the fitted zoom, and nothing in
    the View menu went to it (a helper's real-window review)."""
    window.files.new_blank(1500, 2000)
    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.zoom == pytest.approx(canvas._fit_zoom()))
    window.zoom_to_mask()
    assert window.message_bar.text() == "Paint a mask first: View ▸ Zoom to mask shows it."
    mask = np.zeros((1500, 2000), bool)
    mask[1200:1240, 300:360] = True
    window._edit_mask("hole", mask)
    window.zoom_to_mask_action.trigger()
    centre = canvas.image_pixel(QPointF(canvas.width() / 2, canvas.height() / 2))
    assert 1200 <= centre[0] < 1240 and 300 <= centre[1] < 360
    assert 0.4 <= 60 * canvas.zoom / canvas.width() <= 0.5 or 0.4 <= 40 * canvas.zoom / canvas.height() <= 0.5  # half the view, context around
    window.mask_bottom_half()
    window.zoom_to_mask()  # a mask this large is shown whole at the fitted zoom: no zooming out past it
    assert canvas.zoom == pytest.approx(canvas._fit_zoom())
    assert window.statusBar().currentMessage() == "The masked region spans the fitted view: it is shown whole (Z zooms to a smaller mask)."
    assert canvas.image_pixel(QPointF(canvas.width() / 2, canvas.height() / 2)) == (750, 1000)


def test_a_passing_notice_does_not_replace_an_error(window, qtbot):
    """Opening a large photo with a mask that could not be read: the error went at once, replaced by
    the inspector's notice about large images, which then hid itself."""
    bar = window.message_bar
    bar.show_message("Opened photo.png without a mask: cannot read mask 'm.png': no such file", error=True)
    bar.show_message("Images over 128×128 pixels are inspected around the mask: paint a mask over the part to inspect.")
    assert bar.text().startswith("Opened photo.png without a mask")
    bar.hide()
    bar.show_message("A notice.")
    assert bar.text() == "A notice."


def pointer_over_a_fitted_blank(window, qtbot, pixel: tuple[int, int]):
    """A fitted 60x40 blank image with the pointer resting over ``pixel``: the canvas and that point."""
    window.files.new_blank(40, 60)
    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.zoom == pytest.approx(canvas._fit_zoom()))
    pointer = canvas.widget_position(*pixel)
    qtbot.mouseMove(canvas, QPoint(1, 1))  # a move to where the pointer already is makes no event
    qtbot.mouseMove(canvas, pointer)
    return canvas, pointer


def test_the_pointers_pixel_follows_a_zoom_from_the_menu(window, qtbot):
    """After a zoom by key (or View ▸ Zoom to mask) the status bar and the Inspector kept the pixel the
    pointer was over before, until the mouse moved (a helper's real-window review)."""
    canvas, pointer = pointer_over_a_fitted_blank(window, qtbot, (5, 8))
    assert window.position_label.text().startswith("x 8, y 5")
    hole = np.zeros((40, 60), bool)
    hole[30:33, 40:44] = True
    window._edit_mask("hole", hole)
    window.zoom_to_mask_action.trigger()  # the hole, centred: the view moves under the pointer
    row, col = canvas.image_pixel(QPointF(pointer))
    assert (row, col) != (5, 8) and window.position_label.text().startswith(f"x {col}, y {row}")


def test_zoom_keys_zoom_about_the_pointer_over_the_canvas(window, qtbot):
    """+, - and 1 zoomed about the view's centre: the pixel under the pointer slid away (a helper's
    real-window review); the wheel already kept it."""
    canvas, pointer = pointer_over_a_fitted_blank(window, qtbot, (5, 8))
    for name, zoom in (("in", lambda: canvas.zoom_by(1.25)), ("1:1", canvas.actual_size), ("out", lambda: canvas.zoom_by(0.8))):
        zoom()
        assert (name, canvas.image_pixel(QPointF(pointer))) == (name, (5, 8))
    canvas.leaveEvent(None)  # the pointer off the canvas: about the centre
    centre = QPointF(canvas.width() / 2, canvas.height() / 2)
    at_centre = canvas.image_pixel(centre)
    canvas.zoom_by(1.25)
    assert canvas.image_pixel(centre) == at_centre


def test_the_window_can_be_made_narrow(window):
    assert window.minimumSizeHint().width() <= 900


def test_saving_over_a_file_with_transparency_asks_first(window, tmp_path, monkeypatch):
    path = tmp_path / "logo.png"
    rgba = np.full((8, 8, 4), 120, np.uint8)
    rgba[..., 3] = 255
    rgba[:2, :2, 3] = 0
    Image.fromarray(rgba).save(path)
    window.files.open_image(path)
    assert "transparent" in window.message_bar.text() and "white" in window.message_bar.text()
    assert not window.message_bar._hide_timer.isActive()  # it stays until the file is saved or replaced
    window.mask_bottom_half()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Cancel)
    assert not window.files.save_image()
    assert "transparency" in asked[0] and Image.open(path).mode == "RGBA"  # the file is as it was
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Save)
    assert window.files.save_image() and Image.open(path).mode == "L"  # grey on white, no alpha
    window.mask_bottom_half()
    assert window.files.save_image() and len(asked) == 2  # asked once: the file is opaque now


def test_the_context_warning_knows_a_model_that_fills_from_any_side():
    top_band = np.zeros((8, 8), bool)
    top_band[:2] = True
    assert "first row" in context_warning(top_band, any_side=False)
    assert context_warning(top_band, any_side=True) is None  # filled from below, where the known pixels are
    ring = np.ones((8, 8), bool)
    ring[3:5, 3:5] = False
    assert "every edge" in context_warning(ring, any_side=True)
    corners = np.zeros((200, 200), bool)
    corners[:10, :10] = corners[-10:, -10:] = True  # together every edge, but each filled from its own open sides
    assert context_warning(corners, any_side=True) is None


def test_the_window_warns_by_the_model_in_use(window, image_file):
    window.files.open_image(image_file[0])
    mask = np.zeros((8, 8), bool)
    mask[:2] = True
    window._edit_mask("top band", mask)
    window.load_checkpoint(str(prc.bundled_models()["photo-patches"]))  # trained under the 8 symmetries
    assert window.warning_label.text() == ""
    window.load_checkpoint(str(prc.bundled_models()["fashion-mnist"]))  # trained upright: reads top to bottom
    assert "first row" in window.warning_label.text()


def test_zoom_to_mask_steps_through_holes_far_apart(window, qtbot):
    """Two holes at opposite corners made one box spanning the photo, shown whole: Z now shows each in
    turn, and starts again at the first once the mask changes."""
    window.files.new_blank(1500, 2000)
    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.zoom == pytest.approx(canvas._fit_zoom()))
    mask = np.zeros((1500, 2000), bool)
    mask[100:140, 150:200] = mask[1300:1340, 1800:1850] = True
    window._edit_mask("holes", mask)

    def centre() -> tuple[int, int]:
        return canvas.image_pixel(QPointF(canvas.width() / 2, canvas.height() / 2))

    shown = []
    for _ in range(3):
        window.zoom_to_mask_action.trigger()
        shown.append(centre())
    assert [(100 <= r < 140 and 150 <= c < 200, 1300 <= r < 1340 and 1800 <= c < 1850) for r, c in shown] == [
        (True, False), (False, True), (True, False)]
    assert window.statusBar().currentMessage() == "Holes far apart: group 1 of 2 shown; Z shows the next."
    window.zoom_to_mask_action.trigger()  # the second group again
    mask[700:720, 1000:1020] = True
    window._edit_mask("a third hole", mask)
    window.zoom_to_mask_action.trigger()
    r, c = centre()
    assert 100 <= r < 140 and 150 <= c < 200
    assert window.statusBar().currentMessage() == "Holes far apart: group 1 of 3 shown; Z shows the next."
