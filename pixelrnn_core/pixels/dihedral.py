"""The 8 symmetries of the square (the dihedral group): names <-> codes <-> transforms, for numpy
arrays and torch tensors.

Training augments with them (a model that has seen every orientation can complete in any of them) and
completion uses them to turn an image so that the most known pixels come before the hole. A code is
three bits, applied in this order: bit 2 transposes, bit 1 flips top-bottom, bit 0 flips left-right;
0 is the identity and codes 0-3 are the flips alone (all that keep a non-square image's shape).
Rotations are counterclockwise, as ``numpy.rot90``.
"""
from __future__ import annotations

import numpy as np
import torch

TRANSPOSE, FLIP_TOP_BOTTOM, FLIP_LEFT_RIGHT = 4, 2, 1
# Name -> code. The order is the one completion prefers among orientations that tie.
SYMMETRIES: dict[str, int] = {
    "identity": 0,
    "flip_horizontal": FLIP_LEFT_RIGHT,
    "flip_vertical": FLIP_TOP_BOTTOM,
    "rotate_180": FLIP_TOP_BOTTOM | FLIP_LEFT_RIGHT,
    "transpose": TRANSPOSE,
    "antitranspose": TRANSPOSE | FLIP_TOP_BOTTOM | FLIP_LEFT_RIGHT,
    "rotate_90": TRANSPOSE | FLIP_TOP_BOTTOM,
    "rotate_270": TRANSPOSE | FLIP_LEFT_RIGHT,
}
NAMES = {code: name for name, code in SYMMETRIES.items()}
FLIPS = 4  # codes below this keep the shape


def code_of(symmetry: str | int) -> int:
    """The code of a symmetry given by name or code; a ValueError names the choices."""
    if isinstance(symmetry, str):
        if symmetry not in SYMMETRIES:
            raise ValueError(f"unknown orientation {symmetry!r}; choose 'auto' or one of {', '.join(SYMMETRIES)}")
        return SYMMETRIES[symmetry]
    if symmetry not in NAMES:
        raise ValueError(f"a symmetry code is 0..7, got {symmetry!r}")
    return int(symmetry)


def inverse(symmetry: str | int) -> int:
    """The code that undoes ``symmetry``: the two quarter turns undo each other, the rest themselves."""
    code = code_of(symmetry)
    return {SYMMETRIES["rotate_90"]: SYMMETRIES["rotate_270"], SYMMETRIES["rotate_270"]: SYMMETRIES["rotate_90"]}.get(code, code)


def transform_array(array: np.ndarray, symmetry: str | int) -> np.ndarray:
    """``array`` (rows, columns, ...) under ``symmetry``: images (H, W, C), masks (H, W). A view."""
    code = code_of(symmetry)
    out = array.swapaxes(0, 1) if code & TRANSPOSE else array
    if code & FLIP_TOP_BOTTOM:
        out = out[::-1]
    if code & FLIP_LEFT_RIGHT:
        out = out[:, ::-1]
    return out


def transform_position(rows, cols, shape: tuple[int, int], symmetry: str | int):
    """Where the pixels at ``rows``, ``cols`` (ints or integer arrays) of an array of ``shape`` (rows,
    columns) lie in ``transform_array(array, symmetry)``: ``(rows, cols)`` there."""
    code = code_of(symmetry)
    height, width = shape
    if code & TRANSPOSE:
        rows, cols, height, width = cols, rows, width, height
    if code & FLIP_TOP_BOTTOM:
        rows = height - 1 - rows
    if code & FLIP_LEFT_RIGHT:
        cols = width - 1 - cols
    return rows, cols


def transform_tensor(tensor: torch.Tensor, symmetry: str | int) -> torch.Tensor:
    """``tensor`` (..., H, W) under ``symmetry``: examples (C, H, W), batches (B, C, H, W)."""
    code = code_of(symmetry)
    out = tensor.transpose(-1, -2) if code & TRANSPOSE else tensor
    if code & FLIP_TOP_BOTTOM:
        out = out.flip(-2)
    if code & FLIP_LEFT_RIGHT:
        out = out.flip(-1)
    return out
