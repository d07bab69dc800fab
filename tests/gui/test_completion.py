"""Completion flows on the real window with a tiny real model checkpoint: fill live, only masked pixels
change and they equal the core's own completion; cancel (keep / revert); undo of a fill; the candidate
strip; resample from here; the inspector's numbers; closing during a fill."""
import asyncio
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

import pixelrnn_core as prc
from pixelrnn_gui import completion as completion_module
from pixelrnn_gui import main_window
from pixelrnn_gui.canvas import Tool
from pixelrnn_gui.completion_panel import share_text
from pixelrnn_gui.document import Box
from pixelrnn_gui.qimages import MASK_COLOUR

from .test_canvas import drag

WAIT_MS = 60_000


@pytest.fixture
def model_file(tmp_path):
    model = prc.build_model("pixelcnn", channels=3, levels=256, hidden=8, layers=1, out_hidden=8)
    path = tmp_path / "tiny.safetensors"
    prc.save_checkpoint(path, model, data="random weights (test)")
    return path


@pytest.fixture
def ready(window, qtbot, image_file, model_file):
    """The window with the test image open, the tiny model loaded and the bottom 3 rows masked with
    the rectangle tool."""
    path, pixels = image_file
    window.files.open_image(path)
    window.load_checkpoint(str(model_file))
    assert window.controller.model is not None
    window.set_tool(Tool.MASK_RECT)
    canvas = window.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(5, 0))
    qtbot.mouseMove(canvas, canvas.widget_position(7, 7))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(7, 7))
    assert window.document.mask[5:].all() and not window.document.mask[:5].any()
    return window, pixels


def click(qtbot, button):
    assert button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_complete_fills_only_the_mask_like_the_core(ready, qtbot):
    window, pixels = ready
    panel = window.panel
    panel.seed.setValue(7)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, panel.complete_button)
    image = window.document.image
    np.testing.assert_array_equal(image[:5], pixels[:5])
    assert (image[5:] != pixels[5:]).any()
    expected = prc.complete(window.controller.model, pixels, window.document.mask, samples=1, seed=7, temperature=prc.FILL_TEMPERATURE)[0]
    np.testing.assert_array_equal(image, expected)
    assert panel.progress.value() == panel.progress.maximum() == 3 * 8 * 3
    assert window.canvas.fill_cursor is None


def test_the_nothing_to_fill_message_goes_when_a_mask_is_painted_or_another_image_opens(window, qtbot, image_file, model_file):
    window.files.open_image(image_file[0])
    window.load_checkpoint(str(model_file))
    click(qtbot, window.panel.complete_button)
    assert "Nothing to fill" in window.message_bar.text()
    window.mask_bottom_half()
    assert window.message_bar.text() == ""
    window.clear_mask()
    click(qtbot, window.panel.complete_button)
    assert "Nothing to fill" in window.message_bar.text()
    window.document.undo_stack.setClean()
    window.files.new_blank(4, 4)
    assert window.message_bar.text() == ""


def test_undo_and_redo_a_fill(ready, qtbot):
    window, pixels = ready
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    filled = window.document.image.copy()
    window.undo_action.trigger()
    np.testing.assert_array_equal(window.document.image, pixels)
    window.redo_action.trigger()
    np.testing.assert_array_equal(window.document.image, filled)


@pytest.mark.parametrize("keep", [True, False])
def test_cancel_keeps_or_reverts_the_partial_fill(ready, qtbot, monkeypatch, keep):
    window, pixels = ready
    panel, controller = window.panel, window.controller
    click(qtbot, panel.step_pixel_button)  # starts a fill paused and decides one pixel
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=WAIT_MS)
    assert (window.document.image[5, 0] != pixels[5, 0]).any()
    np.testing.assert_array_equal(window.document.image[5, 1:], pixels[5, 1:])
    click(qtbot, panel.step_row_button)  # ... then the rest of that row
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=WAIT_MS)
    partial = window.document.image.copy()
    assert (partial[5] != pixels[5]).any()  # row 5 is filled
    np.testing.assert_array_equal(partial[6:], pixels[6:])  # rows 6 and 7 are not yet
    pending = window.canvas.pending  # shown as "not decided yet" on the canvas
    assert not pending[5].any() and pending[6:].all() and not pending[:5].any()
    monkeypatch.setattr(panel, "ask_keep_partial", lambda closing: keep)
    with qtbot.waitSignal(controller.cancelled, timeout=WAIT_MS) as cancelled:
        click(qtbot, panel.cancel_button)
    assert cancelled.args == [keep]
    np.testing.assert_array_equal(window.document.image, partial if keep else pixels)
    assert not controller.busy and panel.complete_button.isEnabled()
    assert panel.progress.text() == ("Partial fill kept" if keep else "Fill reverted")
    assert (panel.progress.value() > 0) == keep  # a reverted fill leaves nothing decided
    if keep:  # an undo takes the kept pixels away, and the bar says so (it still read "Partial fill kept")
        decided = panel.progress.value()
        window.undo_action.trigger()
        np.testing.assert_array_equal(window.document.image, pixels)
        assert (panel.progress.text(), panel.progress.value()) == ("The partial fill is not on the canvas", 0)
        window.redo_action.trigger()
        assert (panel.progress.text(), panel.progress.value()) == ("Partial fill kept", decided)


def test_go_on_filling_leaves_the_fill_as_it_was(ready, qtbot, monkeypatch):
    """Cancel ▸ Go on filling: a running fill runs on, a paused one stays paused."""
    window, _ = ready
    panel, controller = window.panel, window.controller

    def go_on_filling(closing):  # the question's own event loop runs while it is up: the pause takes effect
        qtbot.waitUntil(lambda: controller.state == "paused", timeout=WAIT_MS)

    monkeypatch.setattr(panel, "ask_keep_partial", go_on_filling)
    click(qtbot, panel.complete_button)
    assert controller.state == "running"
    click(qtbot, panel.cancel_button)
    assert controller.state == "running" and panel.pause_button.text() == "Pause"
    qtbot.waitUntil(lambda: controller.state == "idle", timeout=WAIT_MS)
    assert panel.progress.value() == panel.progress.maximum()
    click(qtbot, panel.step_pixel_button)
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=WAIT_MS)
    click(qtbot, panel.cancel_button)
    assert controller.state == "paused" and panel.pause_button.text() == "Resume"
    assert panel.speed.text() == "Paused"  # not a rate and an ETA that no longer run
    controller.cancel(False)
    qtbot.waitUntil(lambda: not controller.busy, timeout=WAIT_MS)


@pytest.mark.parametrize("answer", [None, True])
def test_a_fill_that_ends_while_cancel_asks_leaves_the_panel_idle(ready, qtbot, monkeypatch, answer):
    """Cancel after the last sub-pixel (the candidates still being scored), then Go on filling: the
    panel said "Filling…" for good, with Complete, Open and Save disabled."""
    window, _ = ready
    panel, controller = window.panel, window.controller

    def fill_ends_meanwhile(closing):
        controller.work.resume()  # the pause came after the last step: nothing holds the fill back
        qtbot.waitUntil(lambda: not controller.busy, timeout=WAIT_MS)
        return answer

    monkeypatch.setattr(panel, "ask_keep_partial", fill_ends_meanwhile)
    click(qtbot, panel.complete_button)
    click(qtbot, panel.cancel_button)
    qtbot.wait(50)
    assert controller.state == "idle" and not controller.busy
    assert panel.complete_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert panel.strip.count() == panel.samples.value()  # the fill finished, with its candidates


@pytest.mark.parametrize("hole, saying", [
    ("middle rows", "Ranking the candidates by the pixels after the hole…"),
    ("bottom rows", "Finishing…"),  # nothing after the hole to rank by
])
def test_the_panel_says_what_happens_between_the_last_sub_pixel_and_the_candidates(ready, qtbot, monkeypatch, hole, saying):
    """Scoring the candidates takes seconds on a photo: the panel showed "N / N sub-pixels · ETA 0:00"
    and nothing else meanwhile."""
    window, _ = ready
    panel, controller, canvas = window.panel, window.controller, window.canvas
    if hole == "middle rows":
        window.clear_mask()
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(2, 0))
        qtbot.mouseMove(canvas, canvas.widget_position(4, 7))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(4, 7))
        assert window.document.mask[2:5].all() and not window.document.mask[5:].any()
    release, score = threading.Event(), prc.CompletionJob._score
    monkeypatch.setattr(prc.CompletionJob, "_score", lambda job: (release.wait(WAIT_MS / 1000), score(job))[1])
    click(qtbot, panel.complete_button)
    qtbot.waitUntil(lambda: panel.speed.text() == saying, timeout=WAIT_MS)
    assert panel.progress.minimum() == panel.progress.maximum() == 0  # a busy bar: the ranking took 40 s on a photo, and looked stuck
    release.set()
    qtbot.waitUntil(lambda: not controller.busy, timeout=WAIT_MS)
    assert panel.speed.text() == ""
    total = controller.fill.total
    assert (panel.progress.value(), panel.progress.maximum()) == (total, total)


def test_a_fills_candidates_keep_only_the_holes_pixels(ready, qtbot):
    """Every fill kept K copies of the whole image for its candidates (and undo keeps every fill): on a
    12-megapixel photo 144 MB a fill, 2.2 GB after five (a helper's real-window review); then K copies of
    the box around the mask, most of the photo for two holes in opposite corners."""
    window, pixels = ready
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    fill = window.controller.fill
    assert fill.box == Box(5, 0, 8, 8)
    assert [candidate.hole.shape for candidate in fill.candidates] == [(24, 3)] * window.panel.samples.value()
    np.testing.assert_array_equal(window.document.image[5:].reshape(-1, 3), fill.candidate(fill.shown).hole)
    np.testing.assert_array_equal(window.document.image[5:], fill.candidate(fill.shown).in_box(fill.before, fill.mask, fill.box))


def test_masking_more_after_a_fill_says_complete_fills_its_hole_again(ready, qtbot):
    """Painting a second hole after a fill and pressing Complete redrew the first one too, with nothing
    saying so (a helper's real-window review)."""
    window, _ = ready
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    window.set_tool(Tool.MASK_BRUSH)
    window.canvas.set_brush_size(1)
    drag(qtbot, window.canvas, [(1, 1), (1, 2)])
    assert window.message_bar.text() == main_window.REFILL_HINT
    drag(qtbot, window.canvas, [(2, 1)])  # a second stroke: the hint stays (it goes after a few seconds)
    assert window.message_bar.text() == main_window.REFILL_HINT
    window.message_bar.hide()
    drag(qtbot, window.canvas, [(3, 1)])
    assert window.message_bar.text() == ""  # once a fill
    window.clear_mask()
    drag(qtbot, window.canvas, [(1, 1)])
    assert window.message_bar.text() == ""  # the hole is no longer masked


def test_go_on_filling_during_a_step_stops_where_the_step_would(ready, qtbot, monkeypatch):
    """Cancel ▸ Go on filling during Step row ran the whole fill (the pause dropped the step's stop)."""
    window, _ = ready
    panel, controller = window.panel, window.controller
    monkeypatch.setattr(panel, "ask_keep_partial", lambda closing: qtbot.waitUntil(lambda: controller.state == "paused"))
    click(qtbot, panel.step_row_button)  # a fill starts paused and decides row 5
    click(qtbot, panel.cancel_button)  # at once: the step is still running
    qtbot.waitUntil(lambda: controller.state != "running", timeout=WAIT_MS)
    assert controller.state == "paused" and panel.progress.value() == 8 * 3


def test_the_progress_bar_follows_the_fill_an_undo_brings_back(ready, qtbot, monkeypatch):
    """A reverted second fill emptied the bar, and an undo back to the first fill's candidates left it
    at "0 / 96 sub-pixels" with the first fill's candidates on the canvas."""
    window, _ = ready
    panel, controller = window.panel, window.controller
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS):
        click(qtbot, panel.complete_button)
    done = panel.progress.maximum()
    window.mask_bottom_half()
    monkeypatch.setattr(panel, "ask_keep_partial", lambda closing: False)
    click(qtbot, panel.step_pixel_button)
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=WAIT_MS)
    with qtbot.waitSignal(controller.cancelled, timeout=WAIT_MS):
        click(qtbot, panel.cancel_button)
    assert panel.progress.value() == 0
    window.undo_action.trigger()  # the mask of the first fill: its candidates are on the canvas again
    assert panel.strip.isEnabled() and panel.strip.currentRow() == 0
    assert (panel.progress.value(), panel.progress.maximum(), panel.progress.text()) == (done, done, f"{done} / {done} sub-pixels")


def fill_with_candidates(window, qtbot, samples: int) -> None:
    window.panel.samples.setValue(samples)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)


def choose_candidate(panel, qtbot, row: int) -> int:
    """Click the strip's ``row``; the index (of the K drawn) of the candidate it holds."""
    item = panel.strip.item(row)
    qtbot.mouseClick(panel.strip.viewport(), Qt.MouseButton.LeftButton, pos=panel.strip.visualItemRect(item).center())
    return item.data(Qt.ItemDataRole.UserRole)


def test_candidate_strip_is_ranked_and_applies_the_chosen_one(ready, qtbot):
    window, pixels = ready
    panel, controller = window.panel, window.controller
    fill_with_candidates(window, qtbot, 3)
    scores = [c.score for c in controller.candidates]
    assert panel.strip.count() == 3 and scores == sorted(scores, reverse=True)
    images = controller.job.images  # (K, H, W, 3) at 256 levels = the 8-bit image
    best = controller.candidates[0].index
    np.testing.assert_array_equal(window.document.image, images[best])
    chosen = choose_candidate(panel, qtbot, 2)
    np.testing.assert_array_equal(window.document.image, images[chosen])
    window.undo_action.trigger()
    np.testing.assert_array_equal(window.document.image, images[best])


def test_the_candidate_strip_follows_undo_and_a_candidate_changes_only_the_hole(ready, qtbot):
    window, pixels = ready
    panel, controller, strip = window.panel, window.controller, window.panel.strip
    panel.samples.setValue(3)
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS):
        click(qtbot, panel.complete_button)
    images, hole = controller.job.images, window.document.mask.copy()
    image = window.document.image.copy()
    image[0, 0] = (1, 2, 3)  # an edit outside the hole after the fill
    window.document.edit("Paint", "image", image)
    item = strip.item(1)
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=strip.visualItemRect(item).center())
    chosen = item.data(Qt.ItemDataRole.UserRole)
    np.testing.assert_array_equal(window.document.image[hole], images[chosen][hole])
    assert tuple(window.document.image[0, 0]) == (1, 2, 3)  # the edit outside the hole stays
    for _ in range(3):  # undo the candidate, the paint and the fill: the hole is empty again
        window.undo_action.trigger()
    np.testing.assert_array_equal(window.document.image, pixels)
    assert not strip.isEnabled() and strip.selectedItems() == []
    assert panel.progress.text() == "The last fill is not on the canvas"
    controller.apply_candidate(strip.item(2).data(Qt.ItemDataRole.UserRole))
    np.testing.assert_array_equal(window.document.image, pixels)  # the undone fill's candidates cannot be applied
    assert not controller.resample_from(6, 3)  # nor resampled
    np.testing.assert_array_equal(window.document.image, pixels)
    for _ in range(3):
        window.redo_action.trigger()
    assert strip.isEnabled() and strip.currentItem().data(Qt.ItemDataRole.UserRole) == chosen
    window.undo_action.trigger()  # back to the fill's own best candidate
    assert controller.fill.shown == strip.currentItem().data(Qt.ItemDataRole.UserRole) != chosen
    window.clear_mask()  # a new mask: the candidates belong to the old one
    assert not strip.isEnabled() and not panel.resample_button.isEnabled()
    assert panel.progress.text() == "The mask changed since the last fill"  # its pixels are still there
    window.undo_action.trigger()
    assert strip.isEnabled()


def test_resample_and_export_are_offered_only_for_a_fill_on_the_canvas(ready, qtbot):
    window, _ = ready
    panel, inspector = window.panel, window.inspector
    assert not panel.resample_button.isEnabled() and not inspector.export_button.isEnabled()
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, panel.complete_button)
    assert panel.resample_button.isEnabled() and inspector.export_button.isEnabled()
    assert window.statusBar().currentMessage().startswith("Fill finished")
    window.undo_action.trigger()
    assert not panel.resample_button.isEnabled() and not inspector.export_button.isEnabled()
    assert window.statusBar().currentMessage() == ""  # "Hold Tab to compare" is no longer true
    assert panel.progress.value() == 0 and panel.progress.text() == "The last fill is not on the canvas"  # the bar stayed full
    window.redo_action.trigger()
    assert panel.resample_button.isEnabled() and inspector.export_button.isEnabled()
    assert panel.progress.value() == panel.progress.maximum()


def test_reverting_a_second_fill_brings_back_the_first_ones_candidates(ready, qtbot, monkeypatch):
    window, _ = ready
    panel, controller, strip = window.panel, window.controller, window.panel.strip
    panel.samples.setValue(2)
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS):
        click(qtbot, panel.complete_button)
    first, filled = controller.fill, window.document.image.copy()
    panel.seed.setValue(5)
    click(qtbot, panel.step_pixel_button)  # a second fill of the same mask, paused after one pixel
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=WAIT_MS)
    monkeypatch.setattr(panel, "ask_keep_partial", lambda closing: False)
    with qtbot.waitSignal(controller.cancelled, timeout=WAIT_MS):
        click(qtbot, panel.cancel_button)
    np.testing.assert_array_equal(window.document.image, filled)
    assert controller.fill is first and strip.count() == 2 and strip.isEnabled()
    assert panel.progress.text() == "Fill reverted" and panel.progress.value() == 0  # not the reverted fill's 1 pixel


def test_resample_from_here_redraws_only_what_follows(ready, qtbot):
    window, pixels = ready
    controller = window.controller
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    first = window.document.image.copy()
    click(qtbot, window.panel.resample_button)
    assert window.canvas.tool == Tool.PICK
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=window.canvas.widget_position(6, 3))
    again = window.document.image
    np.testing.assert_array_equal(again[:6], first[:6])
    np.testing.assert_array_equal(again[6, :3], first[6, :3])
    assert (again[6:] != first[6:]).any()
    window.undo_action.trigger()
    np.testing.assert_array_equal(window.document.image, first)


def test_reverting_a_resample_brings_back_the_fill_as_it_was(ready, qtbot, monkeypatch):
    """The fill was dropped: its pixels stayed but counted as never filled (Tab showed them as the
    original), its candidates were gone and Resample from here and export were refused."""
    window, pixels = ready
    panel, controller = window.panel, window.controller
    fill_with_candidates(window, qtbot, 3)
    filled, fill = window.document.image.copy(), controller.fill
    candidates, probs = [c.index for c in fill.candidates], fill.probs.copy()
    monkeypatch.setattr(panel, "ask_keep_partial", lambda closing: False)
    assert controller.resample_from(6, 3)
    controller.pause()
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=WAIT_MS)
    with qtbot.waitSignal(controller.cancelled, timeout=WAIT_MS):
        click(qtbot, panel.cancel_button)
    np.testing.assert_array_equal(window.document.image, filled)
    assert controller.fill is fill and [c.index for c in fill.candidates] == candidates
    np.testing.assert_array_equal(fill.probs, probs)
    np.testing.assert_array_equal(window.canvas.compare_image, pixels)
    assert panel.strip.count() == 3 and panel.resample_button.isEnabled() and window.inspector.export_button.isEnabled()
    assert panel.progress.value() == panel.progress.maximum() and panel.progress.text() == "Resample reverted"
    np.testing.assert_array_equal(controller.job.images[fill.shown], filled)  # the job is back too: it resamples from here
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS):
        assert controller.resample_from(7, 0)
    np.testing.assert_array_equal(window.document.image[:7], filled[:7])


def test_resampling_a_chosen_candidate_keeps_it_on_the_canvas(ready, qtbot):
    window, pixels = ready
    panel, controller = window.panel, window.controller
    fill_with_candidates(window, qtbot, 3)
    chosen = choose_candidate(panel, qtbot, 2)  # the last-ranked candidate, not the one shown after the fill
    first = window.document.image.copy()
    click(qtbot, panel.resample_button)
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=window.canvas.widget_position(6, 3))
    again = window.document.image
    np.testing.assert_array_equal(again[:6], first[:6])  # nothing before the picked pixel changes
    np.testing.assert_array_equal(again[6, :3], first[6, :3])
    assert window.document.shown_candidate().index == chosen
    np.testing.assert_array_equal(again, controller.job.images[chosen])


def test_a_fill_whose_probabilities_are_too_large_to_keep_still_fills_without_export(ready, qtbot, monkeypatch):
    """They are kept only for the export: a 300x300 hole of a photo took 1.1 GB (4 candidates), and a
    larger one was refused outright."""
    window, pixels = ready
    monkeypatch.setattr(completion_module, "PROBABILITIES_KEPT_BYTES", 1000)  # 4 x 8x3 x 3 x 256 floats are more
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    assert window.document.fill.probs is None and (window.document.image != pixels).any()
    export = window.inspector.export_button
    assert not export.isEnabled() and "too large to keep" in export.toolTip()


def test_hold_tab_compares_with_the_original(ready, qtbot):
    window, pixels = ready
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    canvas = window.canvas
    canvas.setFocus()
    qtbot.keyPress(canvas, Qt.Key.Key_Tab)
    assert canvas.comparing and canvas.hasFocus()
    np.testing.assert_array_equal(canvas.compare_image, pixels)
    qtbot.keyRelease(canvas, Qt.Key.Key_Tab)
    assert not canvas.comparing


def test_compare_with_original_is_checked_only_while_it_compares(ready, qtbot, monkeypatch):
    """Ctrl+T stayed checked on the next image opened (and with no fill at all), and the next Ctrl+T
    only unchecked it."""
    window, _ = ready
    action, canvas = window.compare_action, window.canvas
    action.trigger()
    assert not action.isChecked() and not canvas.comparing  # no fill yet: nothing to compare with
    monkeypatch.setattr(window.panel, "ask_keep_partial", lambda closing: False)
    click(qtbot, window.panel.step_pixel_button)  # a paused fill
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=WAIT_MS)
    action.trigger()
    assert action.isChecked() and canvas.comparing
    with qtbot.waitSignal(window.controller.cancelled, timeout=WAIT_MS):
        click(qtbot, window.panel.cancel_button)  # and reverted: no original left to show
    assert not action.isChecked() and not canvas.comparing
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    action.trigger()
    assert action.isChecked() and canvas.comparing
    window.files.new_blank(8, 8)
    assert not action.isChecked() and not canvas.comparing


def test_the_canvas_says_when_it_shows_the_original(ready, qtbot):
    """Holding Tab showed the image before the fill with nothing on screen saying so."""
    window, _ = ready
    canvas = window.canvas
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    assert not canvas.compare_badge.isVisible()
    window.compare_action.trigger()
    assert canvas.compare_badge.isVisible() and canvas.compare_badge.text() == "Original: before the fill"
    assert canvas.rect().contains(canvas.compare_badge.geometry())
    window.compare_action.trigger()
    assert not canvas.compare_badge.isVisible()


def shown_colour(canvas, row: float, col: float) -> tuple[int, int, int]:
    """The colour the canvas shows at image point (row, col), as rendered."""
    colour = canvas.grab().toImage().pixelColor(canvas.widget_point(row, col).toPoint())
    return colour.red(), colour.green(), colour.blue()


def test_after_a_fill_the_mask_is_outlined_so_the_fill_shows_in_true_colour(ready, qtbot):
    window, pixels = ready
    canvas = window.canvas
    assert not canvas.mask_outlined
    assert shown_colour(canvas, 6.5, 3.5) != tuple(pixels[6, 3])  # the mask's tint over the pixel
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    assert canvas.mask_outlined
    assert shown_colour(canvas, 6.5, 3.5) == tuple(window.document.image[6, 3])
    assert shown_colour(canvas, 2.5, 3.5) == tuple(pixels[2, 3])
    assert shown_colour(canvas, 5, 3.5) == MASK_COLOUR  # the outline along the mask's top edge
    window.set_tool(Tool.MASK_BRUSH)
    window.canvas.brush_sizes[Tool.MASK_BRUSH] = 1
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(1, 1))
    assert not canvas.mask_outlined  # an edited mask is tinted again, filled pixels included
    assert shown_colour(canvas, 6.5, 3.5) != tuple(window.document.image[6, 3])
    window.undo_action.trigger()
    assert canvas.mask_outlined
    window.undo_action.trigger()  # the fill undone: the hole holds the original pixels, masked again
    assert not canvas.mask_outlined
    assert shown_colour(canvas, 6.5, 3.5) != tuple(pixels[6, 3])


def test_a_kept_partial_fill_leaves_the_mask_tinted(ready, qtbot, monkeypatch):
    """Its unfilled pixels showed in their own colours under a thin outline, as if nothing were masked."""
    window, pixels = ready
    monkeypatch.setattr(window.panel, "ask_keep_partial", lambda closing: True)
    click(qtbot, window.panel.step_pixel_button)
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=WAIT_MS)
    with qtbot.waitSignal(window.controller.cancelled, timeout=WAIT_MS):
        click(qtbot, window.panel.cancel_button)
    assert not window.canvas.mask_outlined
    assert shown_colour(window.canvas, 7.5, 7.5) != tuple(pixels[7, 7])


def test_the_large_image_hint_goes_once_a_mask_is_painted(window, qtbot, model_file):
    window.files.new_blank(200, 200)  # above the size inspected whole
    window.load_checkpoint(str(model_file))
    window.inspector.inspect()
    assert window.message_bar.text() == "Images over 128×128 pixels are inspected around the mask: paint a mask over the part to inspect."
    window.mask_bottom_half()
    assert window.message_bar.text() == ""
    with qtbot.waitSignal(window.inspector.inspected, timeout=WAIT_MS):
        window.inspector.inspect()
        assert window.inspector.bits_label.text() == "Inspecting…"  # not the last figures while it works
    assert window.inspector.bits_label.text().startswith("Region around the mask: ")  # not the whole image


def test_holes_far_apart_in_a_large_image_are_inspected_around_each(window, qtbot, model_file):
    """Two small holes at opposite corners: the inspector ran the model over the box around both (for
    two 10x10 holes of a 1600x1200 photo: past 2 minutes and 3.6 GB at 29 %), and now over the region
    a fill runs on around each; their figures are prc.inspect's of those regions."""
    inspector = window.inspector
    window.files.new_blank(300, 400)
    window.document.image[:] = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    window.load_checkpoint(str(model_file))
    mask = np.zeros((300, 400), bool)
    mask[10:14, 10:14] = True
    mask[280:284, 380:384] = True
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        window.document.edit("Paint mask", "mask", mask)
    windows = prc.completion_windows(mask)
    regions = inspector.results.regions
    assert [r.box for r in regions] == [Box(w.top, w.left, w.top + w.height, w.left + w.width) for w in windows]
    assert len(regions) == 2 and sum(r.result.probs.shape[0] * r.result.probs.shape[1] for r in regions) < 300 * 400 / 10
    model, second = window.controller.model, windows[1]
    expected = [prc.inspect(model, window.document.image[w.rows, w.cols], mask[w.rows, w.cols]) for w in windows]
    np.testing.assert_allclose(inspector.pixel_probs(281, 381), expected[1].probs[281 - second.top, 381 - second.left], rtol=1e-5)
    assert inspector.pixel_probs(150, 200) is None  # between the regions: not inspected
    masked = (expected[0].masked_bits_per_dim + expected[1].masked_bits_per_dim) / 2  # 16 masked pixels each
    assert inspector.bits_label.text().startswith("The 2 regions around the mask: ")
    assert f"masked region: {masked:.3f} bits/dim" in inspector.bits_label.text()
    inspector.heatmap.setCurrentText("Entropy")
    entropies = [e.entropy_bits.sum(-1) for e in expected]
    assert inspector.legend.range == pytest.approx((min(e.min() for e in entropies), max(e.max() for e in entropies)), rel=1e-5)


def test_regions_that_fit_one_by_one_but_not_together_are_not_inspected(window, qtbot, model_file, monkeypatch):
    """prc.inspect checks each region against the machine's memory; the inspector keeps them all, so it
    checks their sum (300 single-pixel holes over a 1600x1200 photo, inspected before and after a fill,
    would keep 600 regions of 65x65 pixels: 7.8 GB of distributions, computed)."""
    from pixelrnn_core import memory

    window.files.new_blank(300, 400)
    window.load_checkpoint(str(model_file))
    mask = np.zeros((300, 400), bool)
    mask[10:14, 10:14] = mask[280:284, 380:384] = True
    config = window.controller.model.config
    first, second = (prc.inspection_bytes(config, w.height, w.width) for w in prc.completion_windows(mask))
    monkeypatch.setattr(memory, "physical_memory", lambda: max(first, second) + min(first, second) // 2)  # each, not both
    window.document.edit("Paint mask", "mask", mask)
    qtbot.waitUntil(lambda: "would need about" in window.message_bar.text(), timeout=WAIT_MS)
    assert window.message_bar.text().startswith("inspecting the 2 region(s) around the mask would need about")
    assert window.message_bar.text().endswith(": paint fewer holes, or inspect a smaller image")
    assert not window.inspector.inspection.busy and window.inspector.results is None
    window.document.undo_stack.setClean()


def test_the_inspector_follows_the_mask(window, qtbot, image_file, model_file):
    """The masked region's bits/dim comes and goes with the mask, and a large image is inspected once
    a mask says where (the numbers stayed those of the image as it was inspected last)."""
    inspector = window.inspector
    window.files.open_image(image_file[0])
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        window.load_checkpoint(str(model_file))
    assert "masked region" not in inspector.bits_label.text()
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        window.mask_bottom_half()
    expected = prc.inspect(window.controller.model, image_file[1], window.document.mask)
    assert f"masked region: {expected.masked_bits_per_dim:.3f} bits/dim" in inspector.bits_label.text()
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        window.undo_action.trigger()
    assert "masked region" not in inspector.bits_label.text()
    window.files.new_blank(200, 200)
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        window.mask_bottom_half()
    window_around = prc.completion_windows(window.document.mask)[0]
    assert [r.box for r in inspector.results.regions] == [Box(window_around.top, 0, 200, 200)]


def test_an_edit_during_an_inspection_stops_it_and_only_the_edited_image_is_shown(window, qtbot, image_file, model_file):
    """Inspecting a photo's region takes seconds: an edit meanwhile stops it after a band (its figures
    would be those of the image before the edit) and the edited image is inspected next."""
    inspector = window.inspector
    window.files.open_image(image_file[0])
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        window.load_checkpoint(str(model_file))
    shown = []
    inspector.inspected.connect(lambda: shown.append(inspector.bits_label.text()))
    inspector.inspect()
    assert inspector.inspection.busy
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        window.mask_bottom_half()
    qtbot.wait(600)  # past the inspector's debounce: nothing more comes
    expected = prc.inspect(window.controller.model, image_file[1], window.document.mask)
    assert len(shown) == 1 and f"masked region: {expected.masked_bits_per_dim:.3f} bits/dim" in shown[0]


def test_the_inspectors_controls_stay_put_as_the_pointer_moves(window, qtbot, image_file, model_file):
    """The pixel's text is one line to four (and the pin's note comes and goes): the Heatmap picker,
    the Opacity slider and the buttons under them jumped by up to 120 px as the pointer moved."""
    inspector = window.inspector
    window.resize(1100, 900)
    window.files.open_image(image_file[0])
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        window.load_checkpoint(str(model_file))
    places = []

    def place() -> int:
        qtbot.wait(20)
        return inspector.heatmap.mapTo(inspector, QPoint(0, 0)).y()

    places.append(place())  # "Point at a pixel."
    inspector.hover(3, 4)
    places.append(place())  # the pixel's numbers, a line per channel
    inspector.toggle_pin(3, 4)
    places.append(place())  # pinned
    inspector.unpin()
    window.mask_bottom_half()
    inspector.hover(3, 4)
    places.append(place())  # the numbers "as inspected before the image changed"
    assert len(set(places)) == 1, places


def test_inspector_shows_the_cores_numbers(ready, qtbot):
    window, pixels = ready
    inspector = window.inspector
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        inspector.inspect()
    expected = prc.inspect(window.controller.model, pixels, window.document.mask)
    np.testing.assert_allclose(inspector.pixel_probs(3, 4), expected.probs[3, 4])
    qtbot.mouseMove(window.canvas, window.canvas.widget_position(3, 4))
    assert inspector.pixel == (3, 4)
    np.testing.assert_array_equal(inspector.histograms[1].probs, expected.probs[3, 4, 1])
    assert inspector.histograms[1].markers["argmax"] == int(expected.probs[3, 4, 1].argmax())
    assert f"entropy {expected.entropy_bits[3, 4, 0]:.2f} bits" in inspector.pixel_label.text()
    assert f"{expected.masked_bits_per_dim:.3f}" in inspector.bits_label.text()
    inspector.heatmap.setCurrentText("Entropy")
    assert window.canvas.overlay is not None
    assert inspector.legend.range == pytest.approx(
        (expected.entropy_bits.sum(-1).min(), expected.entropy_bits.sum(-1).max()), rel=1e-5
    )


def test_inspector_follows_the_model_channels_and_forgets_the_last_models_numbers(ready, qtbot, tmp_path):
    window, _ = ready
    inspector = window.inspector
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        inspector.inspect()
    assert [h.isVisibleTo(inspector) for h in inspector.histograms] == [True, True, True]
    grey = tmp_path / "grey.safetensors"
    prc.save_checkpoint(grey, prc.build_model("pixelcnn", channels=1, levels=256, hidden=4, layers=1, out_hidden=4))
    window.controller.load_model(str(grey))
    assert inspector.results is None and inspector.bits_label.text() == ""  # nothing of the RGB model's is shown
    assert [h.isVisibleTo(inspector) for h in inspector.histograms] == [True, False, False]
    assert inspector.histograms[0].title == "Grey"


def test_inspect_now_waits_for_a_running_or_paused_fill(ready, qtbot, monkeypatch):
    """It stayed enabled during a fill and did nothing when pressed, and a pixel the fill decided showed
    the numbers from before it without a word."""
    window, _ = ready
    with qtbot.waitSignal(window.inspector.inspected, timeout=WAIT_MS):
        window.inspector.inspect()
    panel, controller, button = window.panel, window.controller, window.inspector.inspect_button
    assert button.isEnabled()
    click(qtbot, panel.step_pixel_button)
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=WAIT_MS)
    assert not button.isEnabled() and "fill" in button.toolTip()
    qtbot.mouseMove(window.canvas, window.canvas.widget_position(5, 0))  # the pixel the paused fill decided
    assert "as inspected before the image changed" in window.inspector.pixel_label.text()
    qtbot.mouseMove(window.canvas, window.canvas.widget_position(6, 2))  # one it has not drawn yet
    shown = window.inspector.pixel_label.text()
    assert "not drawn yet" in shown and "value" not in shown  # not the hidden pixel under the hole
    monkeypatch.setattr(panel, "ask_keep_partial", lambda closing: False)
    with qtbot.waitSignal(controller.cancelled, timeout=WAIT_MS):
        click(qtbot, panel.cancel_button)
    assert button.isEnabled()


def test_a_model_chosen_during_an_inspection_is_inspected_next(ready, qtbot, tmp_path, monkeypatch):
    """The late result of the last model was shown with the new model's channels: an IndexError, and
    a stale inspector until Inspect now was pressed."""
    window, _ = ready
    inspector = window.inspector
    release, inspect = threading.Event(), prc.inspect
    monkeypatch.setattr(prc, "inspect", lambda *args, **kwargs: release.wait(WAIT_MS / 1000) and inspect(*args, **kwargs))
    qtbot.mouseMove(window.canvas, window.canvas.widget_position(3, 4))
    inspector.inspect()
    assert inspector.inspection.busy
    grey = tmp_path / "grey.safetensors"
    prc.save_checkpoint(grey, prc.build_model("pixelcnn", channels=1, levels=256, hidden=4, layers=1, out_hidden=4))
    window.controller.load_model(str(grey))
    with qtbot.waitSignal(inspector.inspected, timeout=10_000):
        release.set()
    assert inspector.results.regions[0].result.probs.shape[2] == 1  # the grey model's numbers, for the pixel shown
    assert inspector.histograms[0].title == "Grey"


def test_export_fill_probabilities(ready, qtbot, tmp_path):
    window, _ = ready
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    out = tmp_path / "fill.npz"
    window.controller.export_probabilities(out)
    saved = np.load(out)
    assert saved["probs"].shape == (4, 24, 3, 256)  # the 4 candidates, the 24 masked pixels
    assert sorted(zip(saved["rows"].tolist(), saved["cols"].tolist())) == [(row, col) for row in range(5, 8) for col in range(8)]
    np.testing.assert_allclose(saved["probs"].sum(-1), 1.0, rtol=1e-4)
    assert saved["scores"].shape == (4,)
    numbered = {c.index: c.rank for c in window.controller.candidates}  # the strip's #1 .. #4
    assert saved["ranks"].tolist() == [numbered[draw] for draw in range(4)]
    value = window.document.image[6, 2, 1]
    pixel = int(np.flatnonzero((saved["rows"] == 6) & (saved["cols"] == 2))[0])
    assert saved["probs"][window.document.fill.shown, pixel, 1, value] > 0  # the shown candidate's draw


def test_the_undo_history_keeps_the_pixels_a_fill_of_holes_far_apart_changed(window, qtbot, model_file):
    """A fill's undo step kept the box around the changes, before and after: for two holes in opposite
    corners most of the image, twice. It keeps the changed pixels alone when that is less."""
    window.files.new_blank(300, 400)
    window.load_checkpoint(str(model_file))
    mask = np.zeros((300, 400), bool)
    mask[10:14, 10:14] = mask[280:284, 380:384] = True
    window.document.edit("Paint mask", "mask", mask)
    before = window.document.image.copy()
    window.panel.samples.setValue(2)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    after = window.document.image.copy()
    stack = window.document.undo_stack
    fill_step = stack.command(stack.index() - 1)
    assert fill_step.text() == "Fill" and fill_step.before.nbytes + fill_step.after.nbytes <= 2 * 32 * 3
    stack.undo()
    np.testing.assert_array_equal(window.document.image, before)
    stack.redo()
    np.testing.assert_array_equal(window.document.image, after)
    assert (after[mask] != before[mask]).any()
    assert stack.command(stack.index() - 2).before.shape == (32,)  # the mask of the two holes: its 32 pixels
    window.mask_bottom_half()  # the top hole unmasked and the bottom half masked: half of that box changed,
    assert stack.command(stack.index() - 1).before.shape == (290, 400)  # and the box is less to keep
    window.document.undo_stack.setClean()


def test_the_fill_probabilities_of_holes_far_apart_are_kept(window, qtbot, model_file, tmp_path):
    """They were kept over the box around the whole mask: two 4x4 holes at opposite corners of a
    300x400 image needed 1.2 GB for 4 candidates, and Export was disabled."""
    window.files.new_blank(300, 400)
    window.load_checkpoint(str(model_file))
    mask = np.zeros((300, 400), bool)
    mask[10:14, 10:14] = mask[280:284, 380:384] = True
    window.document.edit("Paint mask", "mask", mask)
    window.panel.samples.setValue(4)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    assert window.inspector.export_button.isEnabled()
    window.controller.export_probabilities(tmp_path / "fill.npz")
    saved = np.load(tmp_path / "fill.npz")
    assert saved["probs"].shape == (4, 32, 3, 256)
    np.testing.assert_array_equal(np.stack([saved["rows"], saved["cols"]], axis=1), window.controller.fill.job.generation_order)
    window.document.undo_stack.setClean()


def test_the_export_dialog_starts_by_the_image_then_where_the_last_export_went(ready, qtbot, tmp_path, monkeypatch):
    """It started in the folder the app was launched from."""
    window, _ = ready
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    starts, chosen = [], [tmp_path / "exports" / "mine.npz", ""]
    (tmp_path / "exports").mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, start, *a: starts.append(Path(start)) or (str(chosen.pop(0)), ""))
    click(qtbot, window.inspector.export_button)
    click(qtbot, window.inspector.export_button)
    name = "picture-fill-probabilities.npz"
    assert starts == [window.document.path.parent / name, tmp_path / "exports" / name]
    assert (tmp_path / "exports" / "mine.npz").is_file()


def test_bad_checkpoint_is_reported_and_the_app_goes_on(window, tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 64)
    model_before = window.controller.model  # the bundled default model, where one ships
    window.load_checkpoint(str(junk))
    assert "junk.safetensors" in window.message_bar.text()
    assert window.controller.model is model_before


def start_a_long_fill(window, qtbot, model_file):
    """A fill of thousands of sub-pixels, still running when the test goes on; an image with no unsaved change."""
    window.files.new_blank(96, 96)
    window.load_checkpoint(str(model_file))
    window.mask_bottom_half()
    window.document.undo_stack.setClean()
    with qtbot.waitSignal(window.controller.progressed, timeout=WAIT_MS):
        window.panel.start()
    assert window.controller.work.isRunning()


def test_closing_during_a_fill_asks_as_cancel_does_and_closes_once_it_stopped(window, qtbot, model_file, monkeypatch):
    start_a_long_fill(window, qtbot, model_file)
    work, blank = window.controller.work, np.full((96, 96, 3), 255, np.uint8)
    monkeypatch.setattr(window.panel, "ask_keep_partial", lambda closing: closing is False)  # Revert, asked as closing
    assert not window.close()  # not yet: the fill stops first, off the GUI thread
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert not work.isRunning() and window.controller.work is None
    np.testing.assert_array_equal(window.document.image, blank)  # nothing half-filled is left, nothing asked


def test_closing_during_a_fill_then_keeping_it_asks_to_save_it(window, qtbot, model_file, monkeypatch):
    """The save question comes from the event loop, not from inside the fill's task (a question's own
    event loop there made asyncio refuse the Inspector's task: "Cannot enter into task … while another
    task … is being executed")."""
    start_a_long_fill(window, qtbot, model_file)
    monkeypatch.setattr(window.panel, "ask_keep_partial", lambda closing: closing)
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a: asked.append((a[2], asyncio.current_task())) or QMessageBox.StandardButton.Cancel)
    assert not window.close()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    assert asked == [("The image has unsaved changes. Save them first?", None)] and window.isVisible()
    assert window.document.undo_stack.undoText() == "Partial fill" and window.isWindowModified()


def test_closing_asks_once_and_closes_even_if_the_fill_ended_while_it_asked(window, qtbot, model_file, monkeypatch):
    """A fill that ended while the question was up left the close waiting for a stop that had happened,
    and the next Cancel of another fill closed the window; a second close while it stopped asked again."""
    start_a_long_fill(window, qtbot, model_file)
    controller, asked = window.controller, []

    def ended_meanwhile(closing):
        asked.append(closing)
        controller.cancel(True)  # the fill ends (here: stopped, its pixels kept) while the user reads
        qtbot.waitUntil(lambda: not controller.busy, timeout=WAIT_MS)
        return False

    monkeypatch.setattr(window.panel, "ask_keep_partial", ended_meanwhile)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    assert window.close()  # closes now, as without a fill (asking about the kept pixels)
    assert asked == [True] and not window.isVisible()


def test_a_second_close_while_the_fill_stops_does_not_ask_again(window, qtbot, model_file, monkeypatch):
    start_a_long_fill(window, qtbot, model_file)
    asked = []
    monkeypatch.setattr(window.panel, "ask_keep_partial", lambda closing: asked.append(closing) or False)
    assert not window.close() and not window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert asked == [True]


def test_closing_during_a_fill_and_going_on_filling_keeps_the_window(window, qtbot, model_file, monkeypatch):
    start_a_long_fill(window, qtbot, model_file)
    monkeypatch.setattr(window.panel, "ask_keep_partial", lambda closing: None)
    assert not window.close()
    assert window.isVisible() and window.controller.state == "running"
    window.controller.cancel(False)
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=WAIT_MS)


def test_a_fill_holds_the_image_file_until_it_ends(window, qtbot, model_file, image_file, tmp_path):
    """While a fill draws into the image: it counts as unsaved, and what would replace or write the
    image is disabled (a paused fill was saved half-drawn and marked clean; Open did nothing, silently)."""
    start_a_long_fill(window, qtbot, model_file)
    assert window.isWindowModified()
    texts = {action.text() for action in window.idle_only_actions if not action.isEnabled()}
    assert {"&Open image…", "&Save image", "Save image &as…", "&New canvas…", "&Paste image", "&Load mask…"} <= texts
    assert not window.samples_menu.isEnabled() and not window.recent_menu.isEnabled()
    assert not window.files.open_image(image_file[0])  # a drop, or a recent file
    assert window.message_bar.text() == "A fill is running: let it finish or cancel it (Esc) first."
    assert not window.files.save_image()
    assert window.document.path is None and not (tmp_path / "untitled.png").exists()
    window.controller.cancel(False)
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=WAIT_MS)
    assert all(action.isEnabled() for action in window.idle_only_actions) and not window.isWindowModified()


def test_model_and_device_are_remembered(window, qtbot, model_file):
    from pixelrnn_gui.main_window import MainWindow

    window.load_checkpoint(str(model_file))
    window._save_settings()
    again = MainWindow(window.settings)
    qtbot.addWidget(again)
    assert again.controller.model_path == model_file
    assert again.panel.model_picker.currentData() == str(model_file)
    assert again.controller.device == again.panel.device_picker.currentData() == "cpu"
    assert "random weights (test)" in again.panel.card.text()


def test_a_large_image_is_filled_around_the_hole(window, qtbot, model_file):
    window.files.new_blank(80, 96)
    window.document.image[:] = np.random.default_rng(1).integers(0, 256, (80, 96, 3), dtype=np.uint8)
    before = window.document.image.copy()
    window.load_checkpoint(str(model_file))
    mask = np.zeros((80, 96), bool)
    mask[60:64, 70:75] = True
    window.document.edit("Mask", "mask", mask)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    changed = (window.document.image != before).any(axis=2)
    assert changed.any() and not changed[~mask].any()
    assert window.panel.progress.maximum() == 4 * 5 * 3
    window.document.undo_stack.setClean()


def test_heatmap_of_the_originals_nll_after_a_fill(ready, qtbot):
    window, pixels = ready
    inspector = window.inspector
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):  # re-inspects by itself after the fill
        pass
    inspector.heatmap.setCurrentText("NLL of original")
    expected = prc.inspect(window.controller.model, pixels).surprisal_bits.sum(-1)
    np.testing.assert_allclose(inspector.heatmap_values(), expected, rtol=1e-5)
    inspector.heatmap.setCurrentText("Surprisal of current value")
    current = prc.inspect(window.controller.model, window.document.image).surprisal_bits.sum(-1)
    np.testing.assert_allclose(inspector.heatmap_values(), current, rtol=1e-5)
    assert window.canvas.overlay is not None
    inspector.heatmap.setCurrentText("NLL of original")
    window.document.undo_stack.setClean()
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
        window.files.new_blank(8, 8)  # an image no fill has touched: its original is itself
    assert inspector.heatmap.currentText() == "None" and "needs a fill" not in window.message_bar.text()


def open_with_a_symmetry_trained_model(window, qtbot, image_file, tmp_path, corner: tuple[int, int]) -> np.ndarray:
    """The test image open, a tiny model trained "with --augment" loaded, and the rectangle from the
    top-left pixel to ``corner`` (row, col) masked; returns the image's pixels."""
    path, pixels = image_file
    model = prc.build_model("pixelcnn", channels=3, levels=256, hidden=8, layers=1, out_hidden=8)
    checkpoint = tmp_path / "augmented.safetensors"
    prc.save_checkpoint(checkpoint, model, data=prc.DatasetSpec("photos", augment=True).to_dict())
    window.files.open_image(path)
    window.load_checkpoint(str(checkpoint))
    window.set_tool(Tool.MASK_RECT)
    canvas = window.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(0, 0))
    qtbot.mouseMove(canvas, canvas.widget_position(*corner))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(*corner))
    return pixels


def test_a_model_trained_under_symmetries_fills_in_the_auto_orientation(window, qtbot, image_file, tmp_path):
    """Top rows masked: the app completes upside down, from the known part, as `pixelrnn complete` does,
    and resample-from-here redraws what follows in that order."""
    pixels = open_with_a_symmetry_trained_model(window, qtbot, image_file, tmp_path, (2, 7))
    canvas, mask = window.canvas, window.document.mask.copy()
    assert mask[:3].all() and not mask[3:].any()
    window.panel.seed.setValue(7)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        click(qtbot, window.panel.complete_button)
    assert window.controller.job.orientation in ("flip_vertical", "rotate_180")
    expected = prc.complete(window.controller.model, pixels, mask, samples=1, seed=7, orientation="auto", temperature=prc.FILL_TEMPERATURE)[0]
    np.testing.assert_array_equal(window.document.image, expected)
    first = window.document.image.copy()
    click(qtbot, window.panel.resample_button)
    with qtbot.waitSignal(window.controller.finished, timeout=WAIT_MS):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.widget_position(1, 3))
    again = window.document.image
    np.testing.assert_array_equal(again[2:], first[2:])  # the bottom row of the hole was decided first
    assert (again[:2] != first[:2]).any()


def test_step_row_follows_the_generation_order_of_a_turned_image(window, qtbot, image_file, tmp_path):
    """Left columns masked under a symmetry-trained model: the image is completed turned, so a "row" of
    the generation order is a column of the picture, and Step row stops at its end."""
    pixels = open_with_a_symmetry_trained_model(window, qtbot, image_file, tmp_path, (7, 2))
    panel, controller = window.panel, window.controller
    assert window.document.mask[:, :3].all() and not window.document.mask[:, 3:].any()
    click(qtbot, panel.step_pixel_button)
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=WAIT_MS)
    click(qtbot, panel.step_row_button)
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=WAIT_MS)
    assert controller.job.orientation in ("rotate_270", "antitranspose")
    changed = (window.document.image != pixels).any(axis=2)
    assert changed[:, 2].sum() >= 7 and not changed[:, :2].any()  # column 2, next to the known part, first
    assert window.canvas.pending[:, :2].all() and not window.canvas.pending[:, 2].any()


@pytest.mark.parametrize(("share", "digits", "text"), [
    (1.0, 0, ">99%"), (0.999, 0, ">99%"), (0.42, 0, "42%"), (0.004, 0, "<1%"), (0.0, 0, "<1%"),
    (0.9996, 1, ">99.9%"), (0.123, 1, "12.3%"), (0.0, 1, "<0.1%"),
])
def test_candidate_shares_that_round_to_all_or_nothing_say_so(share, digits, text):
    """On photos the known pixels after the hole single out one candidate: the strip read 100% and 0%s."""
    assert share_text(share, digits) == text


@pytest.mark.parametrize("samples", [1, 3])
def test_shares_are_shown_for_more_than_one_candidate(ready, qtbot, samples):
    """One candidate is all of the posterior over itself: it read "#1  100%"."""
    window, _ = ready
    mask = np.zeros_like(window.document.mask)
    mask[2:4] = True  # known rows after the hole to rank the candidates by
    window.document.edit("Mask", "mask", mask)
    fill_with_candidates(window, qtbot, samples)
    texts = [window.panel.strip.item(row).text() for row in range(samples)]
    assert texts == ["#1"] if samples == 1 else all(text.endswith("%") for text in texts)


def test_while_the_candidates_are_ranked_there_is_nothing_to_pause_or_cancel(ready, qtbot, monkeypatch):
    """Cancel during the ranking (one call of the model, which nothing stops) waited for it, then threw
    the finished candidates away ("Partial fill kept"); Pause looked pressed and did nothing (a
    helper's review)."""
    window, _ = ready
    panel, controller = window.panel, window.controller
    release, score = threading.Event(), prc.CompletionJob._score
    monkeypatch.setattr(prc.CompletionJob, "_score", lambda job: (release.wait(WAIT_MS / 1000), score(job))[1])
    monkeypatch.setattr(panel, "ask_keep_partial", lambda closing: pytest.fail("asked to keep a whole fill"))
    window.clear_mask()
    window.document.mask[2:5] = True
    click(qtbot, panel.complete_button)
    qtbot.waitUntil(lambda: panel.progress.maximum() == 0, timeout=WAIT_MS)
    assert controller.ranking and not panel.cancel_button.isEnabled() and not panel.pause_button.isEnabled()
    assert not panel.cancel()  # Esc, too
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS):
        release.set()
    assert panel.strip.count() == panel.samples.value() and panel.progress.maximum() == controller.fill.total

def test_undoing_a_resample_brings_back_the_fill_it_redrew_and_redo_the_resample(ready, qtbot):
    """Ctrl+Z after a resample put the earlier pixels back but left the resample's candidates, greyed
    ("The last fill is not on the canvas"): the earlier fill's candidates could not be browsed again."""
    window, _ = ready
    panel, controller, document = window.panel, window.controller, window.document
    fill_with_candidates(window, qtbot, 3)
    chosen = choose_candidate(panel, qtbot, 1)
    first, earlier = document.image.copy(), [(c.index, c.hole.tobytes()) for c in controller.fill.candidates]
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS):
        assert controller.resample_from(6, 3)
    again, later = document.image.copy(), [(c.index, c.hole.tobytes()) for c in controller.fill.candidates]
    assert later != earlier and document.undo_stack.undoText() == "Resample"
    document.undo_stack.undo()
    np.testing.assert_array_equal(document.image, first)
    assert [(c.index, c.hole.tobytes()) for c in controller.fill.candidates] == earlier
    assert document.shown_candidate().index == chosen and panel.resample_button.isEnabled() and panel.strip.isEnabled()
    np.testing.assert_array_equal(controller.job.images[chosen], first)  # the job is back too: it resamples from here
    document.undo_stack.redo()
    np.testing.assert_array_equal(document.image, again)
    assert [(c.index, c.hole.tobytes()) for c in controller.fill.candidates] == later and document.shown_candidate().index == chosen


def test_a_pinned_pixel_that_a_starting_fill_will_redraw_says_so_at_once(ready, qtbot):
    """Step pixel started a fill while the inspector was pinned to a pixel of the hole: it went on
    showing that pixel's value from before, now grey and undecided (a reviewer's real-window check)."""
    window, _ = ready
    with qtbot.waitSignal(window.inspector.inspected, timeout=WAIT_MS):
        window.inspector.inspect()
    window.document.set_pinned((6, 2))
    assert "value" in window.inspector.pixel_label.text()
    click(qtbot, window.panel.step_pixel_button)
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=WAIT_MS)
    shown = window.inspector.pixel_label.text()
    assert "not drawn yet" in shown and "value" not in shown


def test_a_resample_after_choosing_another_model_draws_with_the_fills_own(ready, qtbot, grey_model_file, monkeypatch):
    """With a grey model chosen after a colour fill, Resample from here (the fill's job: the colour
    model) drew dark pixels, read with the grey model's channels, and a kept partial resample kept them."""
    window, _ = ready
    controller = window.controller
    fill_with_candidates(window, qtbot, 2)
    window.load_checkpoint(str(grey_model_file))
    assert controller.model.config.channels == 1
    release, score = threading.Event(), prc.CompletionJob._score
    monkeypatch.setattr(prc.CompletionJob, "_score", lambda job: (release.wait(WAIT_MS / 1000), score(job))[1])
    assert controller.resample_from(6, 3)
    qtbot.waitUntil(lambda: controller.ranking, timeout=WAIT_MS)  # every sub-pixel drawn on the canvas
    np.testing.assert_array_equal(window.document.image, controller.job.images[controller.fill.shown])
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS):
        release.set()


def test_a_fill_that_draws_the_pixels_already_there_still_ends_the_redo_history(ready, qtbot):
    """A greedy fill after undoing another fill drew the pixels already on the canvas, so nothing was
    recorded and Redo stayed enabled: it wrote the undone fill's pixels beside the new fill's candidates."""
    window, _ = ready
    panel, document = window.panel, window.document
    panel.greedy.setChecked(True)
    fill_with_candidates(window, qtbot, 1)
    greedy = document.image.copy()
    panel.greedy.setChecked(False)
    fill_with_candidates(window, qtbot, 2)
    assert not np.array_equal(document.image, greedy)
    document.undo_stack.undo()
    np.testing.assert_array_equal(document.image, greedy)
    panel.greedy.setChecked(True)
    fill_with_candidates(window, qtbot, 1)
    np.testing.assert_array_equal(document.image, greedy)
    assert not document.undo_stack.canRedo() and document.undo_stack.undoText() == "Fill"


def test_browsing_candidates_inspects_each_image_once(ready, qtbot, monkeypatch):
    """Each click on a candidate inspected the canvas and the image before the fill again (over a
    minute each on a large region): the image before the fill never changes, and a candidate seen
    before shows its figures at once."""
    window, _ = ready
    panel, inspector = window.panel, window.inspector
    with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):  # the best candidate and the image before the fill
        fill_with_candidates(window, qtbot, 2)
    inspected, steps = [], prc.inspection_steps
    monkeypatch.setattr(prc, "inspection_steps", lambda model, image, *rest, **options: (
        inspected.append(image.tobytes()), steps(model, image, *rest, **options))[1])
    figures = {}
    for row in (1, 0, 1, 0):
        with qtbot.waitSignal(inspector.inspected, timeout=WAIT_MS):
            chosen = choose_candidate(panel, qtbot, row)
        figures.setdefault(chosen, inspector.bits_label.text())
        assert inspector.bits_label.text() == figures[chosen]
    assert len(inspected) == 1  # the other candidate, once; the image before the fill was inspected already
