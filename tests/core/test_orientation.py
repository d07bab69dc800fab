"""The eight flips/transposes and the choice of the one with the most context before the hole."""
from __future__ import annotations

import numpy as np
import torch

from pixelrnn_core.completion.orientation import ORIENTATIONS, known_before_hole, orient, restore


def test_eight_distinct_orientations_each_undone_by_restore():
    array = np.arange(2 * 3 * 2).reshape(2, 3, 2)
    seen = set()
    for name in ORIENTATIONS:
        oriented = orient(array, name)
        seen.add(oriented.tobytes() + bytes(oriented.shape))
        np.testing.assert_array_equal(restore(oriented, name), array)
    assert len(seen) == 8


def test_rotations_turn_the_picture():
    array = np.array([[1, 2], [3, 4]])
    np.testing.assert_array_equal(orient(array, "rotate_90"), [[2, 4], [1, 3]])
    np.testing.assert_array_equal(orient(array, "antitranspose"), [[4, 2], [3, 1]])


def test_known_context_counts_pixels_before_the_first_masked_one():
    mask = np.zeros((4, 5), bool)
    mask[2, 3] = True
    assert known_before_hole(mask, torch.arange(20).view(4, 5)) == 13
