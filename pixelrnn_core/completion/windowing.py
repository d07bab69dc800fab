"""The part of an image a completion runs on: the hole with context above, left, right and below.

An image larger than the model was trained on is completed at its native resolution on a window around
the mask; the rest of the image is untouched. Rows below the hole do not change the sample (the model
is causal) but they are scored, so the window keeps some of them too (docs/design.md, "Completion with
pixels after the hole").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COMPLETION_CONTEXT = 32  # pixels of context kept on every side of the hole when no window size is given


@dataclass(frozen=True)
class Window:
    top: int
    left: int
    height: int
    width: int

    @property
    def rows(self) -> slice:
        return slice(self.top, self.top + self.height)

    @property
    def cols(self) -> slice:
        return slice(self.left, self.left + self.width)


def place(start: int, stop: int, size: int, limit: int, before_share: float) -> tuple[int, int]:
    """(offset, length) of a span of ``size`` (at least the hole's) in [0, limit) around [start, stop)."""
    length = min(limit, max(size, stop - start))
    spare = length - (stop - start)
    offset = min(max(0, start - round(spare * before_share)), limit - length)
    return offset, length


def align_down(offset: int, length: int, limit: int, multiple: int) -> tuple[int, int]:
    """Move the span's start down to a multiple of ``multiple``, keeping its end covered."""
    aligned = offset - offset % multiple
    return aligned, min(limit - aligned, length + offset - aligned)


def completion_window(mask: np.ndarray, size: tuple[int, int] | None = None, align: int = 1) -> Window:
    """The window a completion of ``mask`` (H, W) runs on.

    ``size=None``: the hole's bounding box with :data:`COMPLETION_CONTEXT` pixels on every side, clipped to
    the image (the whole image when it is small). ``size=(h, w)``: a window of that size (grown to the
    hole's bounding box if smaller, clipped to the image), the hole centred across and placed low, with
    three quarters of the spare rows above it. ``align``: the window starts on a multiple of it (the
    subsampling grid of a multi-scale model).
    """
    height, width = mask.shape
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if len(rows) == 0:
        return Window(0, 0, height, width)
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if size is None:
        top, bottom = max(0, r0 - COMPLETION_CONTEXT), min(height, r1 + COMPLETION_CONTEXT)
        left, right = max(0, c0 - COMPLETION_CONTEXT), min(width, c1 + COMPLETION_CONTEXT)
        top, window_height = align_down(top, bottom - top, height, align)
        left, window_width = align_down(left, right - left, width, align)
        return Window(top, left, window_height, window_width)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"window must be (height, width) with both at least 1, got {size!r}")
    top, window_height = align_down(*place(r0, r1, size[0], height, 0.75), height, align)
    left, window_width = align_down(*place(c0, c1, size[1], width, 0.5), width, align)
    return Window(top, left, window_height, window_width)
