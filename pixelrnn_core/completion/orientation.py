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

from ..pixels.dihedral import SYMMETRIES, code_of, inverse, transform_array
from .windowing import completion_windows

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
    """The orientation in which the most known pixels around the holes precede them (identity on ties):
    around them means in the windows a completion runs on (:func:`.windowing.completion_windows`, each
    a group of holes with :data:`.windowing.COMPLETION_CONTEXT` pixels on every side), summed over the
    windows -- so a large image costs no more than its holes' surroundings."""
    windows = [mask[window.rows, window.cols] for window in completion_windows(mask)]

    def context(name: str) -> int:
        total = 0
        for around in windows:
            oriented = orient(around, name)
            total += known_before_hole(oriented, model.pixel_order(*oriented.shape))
        return total

    return max(ORIENTATIONS, key=context)
