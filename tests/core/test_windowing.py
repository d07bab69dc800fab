"""The windows a completion runs on (pixelrnn_core/completion/windowing.py)."""
from __future__ import annotations

import numpy as np
import pytest

from pixelrnn_core.completion.windowing import COMPLETION_CONTEXT, Window, completion_window, completion_windows


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


def masked_in(window, mask):
    return mask[window.rows, window.cols].sum()


def test_holes_far_apart_get_windows_of_their_own_and_near_ones_share_one():
    mask = hole(1200, 1600, slice(1000, 1010), slice(1400, 1410)) | hole(1200, 1600, slice(100, 110), slice(100, 110))
    mask[100:105, 120:125] = True  # beside the first hole: its window reaches it
    windows = completion_windows(mask)
    c = COMPLETION_CONTEXT
    assert windows == [Window(100 - c, 100 - c, 10 + 2 * c, 25 + 2 * c), Window(1000 - c, 1400 - c, 10 + 2 * c, 10 + 2 * c)]
    assert [masked_in(window, mask) for window in windows] == [125, 100]


def test_holes_whose_windows_would_reach_each_other_share_one():
    gap = COMPLETION_CONTEXT + 1
    mask = hole(300, 400, slice(100, 110), slice(100, 110)) | hole(300, 400, slice(110 + gap - 2, 120 + gap), slice(100, 110))
    assert completion_windows(mask) == [completion_window(mask)]


@pytest.mark.parametrize("size, align", [(None, 1), (None, 2), ((24, 40), 1), ((31, 31), 2)])
def test_no_window_holds_a_masked_pixel_of_another(size, align):
    """Scattered holes of every size: each window holds whole groups of holes, every masked pixel lies in
    exactly one window, and windows start on the multi-scale grid."""
    rng = np.random.default_rng(3)
    mask = np.zeros((800, 1000), bool)
    for _ in range(40):
        row, col, height, width = rng.integers(0, 800), rng.integers(0, 1000), rng.integers(1, 12), rng.integers(1, 12)
        mask[row : row + height, col : col + width] = True
    windows = completion_windows(mask, size, align)
    assert len(windows) > 5
    covered = np.zeros(mask.shape, int)
    for window in windows:
        covered[window.rows, window.cols] += mask[window.rows, window.cols]
        assert window.top % align == 0 and window.left % align == 0
    np.testing.assert_array_equal(covered, mask.astype(int))
    firsts = [np.argwhere(mask[w.rows, w.cols])[0] + (w.top, w.left) for w in windows]
    assert [tuple(f) for f in firsts] == sorted(tuple(f) for f in firsts)  # listed in raster order of their first hole pixel


def test_an_empty_mask_has_no_windows():
    assert completion_windows(np.zeros((10, 10), bool)) == []
