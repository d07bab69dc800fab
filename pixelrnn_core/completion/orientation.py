"""The eight flips and transposes of an image (the dihedral group), for completing in another order.

A raster-order model sees only what comes before the hole. For a model trained on randomly flipped and
transposed images, completion may run in the orientation where the most known pixels come before the
hole, and the result is mapped back (PAPER.md §4, "Change the order so the hole comes last").
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

Transform = Callable[[np.ndarray], np.ndarray]

# Each acts on the first two axes (rows, columns) of an array.
ORIENTATIONS: dict[str, Transform] = {
    "identity": lambda a: a,
    "flip_horizontal": lambda a: a[:, ::-1],
    "flip_vertical": lambda a: a[::-1],
    "rotate_180": lambda a: a[::-1, ::-1],
    "transpose": lambda a: a.swapaxes(0, 1),
    "antitranspose": lambda a: a[::-1, ::-1].swapaxes(0, 1),
    "rotate_90": lambda a: np.rot90(a, 1),
    "rotate_270": lambda a: np.rot90(a, 3),
}
INVERSES = {name: name for name in ORIENTATIONS} | {"rotate_90": "rotate_270", "rotate_270": "rotate_90"}


def check_orientation(name: str) -> None:
    if name not in ORIENTATIONS:
        raise ValueError(f"unknown orientation {name!r}; choose 'auto' or one of {', '.join(ORIENTATIONS)}")


def orient(array: np.ndarray, name: str) -> np.ndarray:
    """``array`` (rows, columns, ...) seen in orientation ``name``."""
    check_orientation(name)
    return np.ascontiguousarray(ORIENTATIONS[name](array))


def restore(array: np.ndarray, name: str) -> np.ndarray:
    """Undo :func:`orient`: ``restore(orient(a, name), name) == a``."""
    check_orientation(name)
    return np.ascontiguousarray(ORIENTATIONS[INVERSES[name]](array))


def known_before_hole(mask: np.ndarray, pixel_order: torch.Tensor) -> int:
    """How many known pixels come before the first masked one in the generation order."""
    rank = pixel_order.numpy()
    if not mask.any():
        return int(mask.size)
    return int((rank < rank[mask].min()).sum())


def best_orientation(mask: np.ndarray, model: torch.nn.Module) -> str:
    """The orientation in which the most known context precedes the hole (identity on ties)."""
    def context(name: str) -> int:
        oriented = orient(mask, name)
        return known_before_hole(oriented, model.pixel_order(*oriented.shape))

    return max(ORIENTATIONS, key=context)
