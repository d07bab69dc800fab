"""The window a completion runs on (pixelrnn_core/windowing.py)."""
from __future__ import annotations

import numpy as np

from pixelrnn_core.completion.windowing import COMPLETION_CONTEXT, Window, completion_window


def hole(height, width, rows, cols):
    mask = np.zeros((height, width), bool)
    mask[rows, cols] = True
    return mask


def test_small_image_is_completed_whole():
    assert completion_window(hole(32, 32, slice(16, 32), slice(0, 32))) == Window(0, 0, 32, 32)


def test_default_window_keeps_context_around_the_hole_in_a_large_image():
    window = completion_window(hole(300, 400, slice(100, 110), slice(200, 220)))
    c = COMPLETION_CONTEXT
    assert window == Window(100 - c, 200 - c, 10 + 2 * c, 20 + 2 * c)


def test_sized_window_holds_the_hole_with_more_context_above_than_below():
    window = completion_window(hole(300, 400, slice(100, 110), slice(200, 220)), size=(32, 32))
    assert (window.height, window.width) == (32, 32)
    above, below = 100 - window.top, window.top + 32 - 110
    left, right = 200 - window.left, window.left + 32 - 220
    assert above + below == 22 and above > below >= 1 and abs(left - right) <= 1


def test_sized_window_is_clipped_to_the_image_and_grown_to_the_hole():
    assert completion_window(hole(40, 40, slice(36, 40), slice(0, 3)), size=(32, 32)) == Window(8, 0, 32, 32)
    assert completion_window(hole(100, 100, slice(10, 60), slice(10, 20)), size=(32, 32)).height == 50


def test_window_is_aligned_to_the_multiscale_grid():
    window = completion_window(hole(300, 400, slice(101, 110), slice(201, 220)), size=(31, 31), align=2)
    assert window.top % 2 == 0 and window.left % 2 == 0
    assert window.top + window.height >= 110 and window.left + window.width >= 220
