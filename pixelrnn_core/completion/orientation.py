"""Completing in another orientation: one of the 8 symmetries of the square (:mod:`..pixels.dihedral`).

A raster-order model sees only what comes before the hole. For a model trained on randomly flipped and
transposed images, completion may run in the orientation where the most known pixels come before the
hole, and the result is mapped back. This is a cheap form of choosing the generation order so that the
hole comes last, as Locally Masked Convolutions (Jain, Abbeel, Pathak, UAI 2020) do with per-location
masks; see docs/design.md.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np
import torch

from ..pixels.dihedral import SYMMETRIES, code_of, inverse, transform_array, transform_position
from .windowing import Window, completion_window

Transform = Callable[[np.ndarray], np.ndarray]

# Name -> its transform of the first two axes (rows, columns) of an array.
ORIENTATIONS: dict[str, Transform] = {name: partial(transform_array, symmetry=code) for name, code in SYMMETRIES.items()}


def check_orientation(name: str) -> None:
    code_of(name)


def orient(array: np.ndarray, name: str) -> np.ndarray:
    """``array`` (rows, columns, ...) seen in orientation ``name``."""
    return np.ascontiguousarray(transform_array(array, name))


def restore(array: np.ndarray, name: str) -> np.ndarray:
    """Undo :func:`orient`: ``restore(orient(a, name), name) == a``."""
    return np.ascontiguousarray(transform_array(array, inverse(name)))


def known_before_hole(mask: np.ndarray, pixel_order: torch.Tensor) -> int:
    """How many known pixels come before the first masked one in the generation order."""
    rank = pixel_order.numpy()
    if not mask.any():
        return int(mask.size)
    return int((rank < rank[mask].min()).sum())


def best_orientation(mask: np.ndarray, model: torch.nn.Module) -> str:
    """The orientation in which the most known pixels around the hole precede it (identity on ties):
    around it means in its bounding box with :data:`.windowing.COMPLETION_CONTEXT` pixels on every
    side, what a completion runs on -- so a large image costs no more than a small one. (A job with
    groups of holes far apart asks this of each group's window.)"""
    window = completion_window(mask)
    around = mask[window.rows, window.cols]

    def context(name: str) -> int:
        oriented = orient(around, name)
        return known_before_hole(oriented, model.pixel_order(*oriented.shape))

    return max(ORIENTATIONS, key=context)


def turned_box(box: Window, shape: tuple[int, int], name: str) -> Window:
    """Where ``box`` of an array of ``shape`` (rows, columns) lies in the array turned by ``name``."""
    corners = np.array([box.top, box.top + box.height - 1]), np.array([box.left, box.left + box.width - 1])
    rows, cols = transform_position(*corners, shape, name)
    return Window(int(rows.min()), int(cols.min()), int(rows.max() - rows.min()) + 1, int(cols.max() - cols.min()) + 1)
