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


def hole_box(mask: np.ndarray) -> Window | None:
    """The bounding box of the masked pixels of ``mask`` (H, W), or None when there are none."""
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if len(rows) == 0:
        return None
    return Window(int(rows[0]), int(cols[0]), int(rows[-1]) + 1 - int(rows[0]), int(cols[-1]) + 1 - int(cols[0]))


def completion_window(mask: np.ndarray, size: tuple[int, int] | None = None, align: int = 1) -> Window:
    """The window a completion of ``mask`` (H, W) runs on.

    ``size=None``: the hole's bounding box with :data:`COMPLETION_CONTEXT` pixels on every side, clipped to
    the image (the whole image when it is small). ``size=(h, w)``: a window of that size (grown to the
    hole's bounding box if smaller, clipped to the image), the hole centred across and placed low, with
    three quarters of the spare rows above it. ``align``: the window starts on a multiple of it (the
    subsampling grid of a multi-scale model).
    """
    box = hole_box(mask)
    if box is None:
        return Window(0, 0, *mask.shape)
    return window_around(box, mask.shape, size, align)


def window_around(box: Window, shape: tuple[int, int], size: tuple[int, int] | None, align: int) -> Window:
    """:func:`completion_window` of a hole whose bounding box is ``box`` in an image of ``shape``."""
    height, width = shape
    r0, r1, c0, c1 = box.top, box.top + box.height, box.left, box.left + box.width
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


def completion_windows(mask: np.ndarray, size: tuple[int, int] | None = None, align: int = 1) -> list[Window]:
    """The windows a completion of ``mask`` (H, W) runs on: :func:`completion_window` of each of its
    :func:`hole_groups`. No window holds a masked pixel of another group, so each group is filled and
    scored on its own window: two small holes far apart cost two small windows, not one spanning both."""
    return [window_around(box, mask.shape, size, align) for box in hole_groups(mask, size, align)]


def hole_groups(mask: np.ndarray, size: tuple[int, int] | None = None, align: int = 1) -> list[Window]:
    """The bounding boxes of the groups of holes of ``mask`` (H, W) that are completed on windows of
    their own, in raster order of their first masked pixel: holes whose windows could reach each other
    share a group.

    Groups are found by cutting the mask along runs of unmasked rows or columns (recursively, an X-Y
    cut) at least as long as a window reaches past its hole: ``COMPLETION_CONTEXT`` (or the longer side
    of the window's ``size``) plus ``align`` - 1 lines it may move to the grid, in both directions, so
    that it holds in every orientation a group may be completed in. A hole's window lies within that
    reach of its own box, and a box inside another is reached by no more than the outer box is, so
    windows only ever meet known pixels of other groups.
    """
    gap = (COMPLETION_CONTEXT if size is None else max(size)) + align
    boxes = separated_boxes(mask, (gap, gap))
    boxes.sort(key=lambda box: (box.top, int(np.argmax(mask[box.top, box.cols])) + box.left))
    return boxes


def separated_boxes(mask: np.ndarray, gaps: tuple[int, int]) -> list[Window]:
    """Bounding boxes of the groups of masked pixels that at least ``gaps`` (rows, columns) unmasked lines
    separate from each other, found by cutting along such runs of rows or columns until none is left."""
    whole = hole_box(mask)
    pending, boxes = ([] if whole is None else [whole]), []
    while pending:
        box = pending.pop()
        pieces = cut(mask, box, gaps)
        if len(pieces) == 1:
            boxes.append(box)
        else:
            pending.extend(pieces)
    return boxes


def cut(mask: np.ndarray, box: Window, gaps: tuple[int, int]) -> list[Window]:
    """``box`` cut along every run of at least ``gaps[axis]`` unmasked rows (or, if there is none, columns),
    each piece shrunk to its masked pixels; ``[box]`` when neither has such a run."""
    inside = mask[box.rows, box.cols]
    for axis, gap in enumerate(gaps):
        used = np.flatnonzero(inside.any(axis=1 - axis))
        breaks = np.flatnonzero(np.diff(used) > gap)
        if len(breaks):
            starts, stops = used[np.r_[0, breaks + 1]], used[np.r_[breaks, len(used) - 1]] + 1
            pieces = []
            for start, stop in zip(starts.tolist(), stops.tolist()):
                part = (slice(start, stop), slice(None)) if axis == 0 else (slice(None), slice(start, stop))
                piece = hole_box(inside[part])
                offset = (box.top + start, box.left) if axis == 0 else (box.top, box.left + start)
                pieces.append(Window(offset[0] + piece.top, offset[1] + piece.left, piece.height, piece.width))
            return pieces
    return [box]
