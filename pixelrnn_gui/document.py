"""The document: the image being edited, its mask, their undo history, and everything that belongs to
this image only -- its last fill (candidates, progress, pixels not decided yet), the pixels as they
were before any fill (what holding Tab shows) and the pixel pinned in the inspector. Opening, pasting
or creating an image starts all of it afresh in :meth:`Document.replace`, so nothing of one image can
reach the next.

Edits are applied to the arrays directly while the user drags (so painting is live) and then
recorded as a :class:`PatchEdit` whose first ``redo`` is a no-op rewrite of the same pixels."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

import pixelrnn_core as prc

# what undo and redo of an edit put back besides its pixels (a resample's fill before and after it)
Restores = tuple[Callable[[], None], Callable[[], None]]


@dataclass(frozen=True)
class Box:
    """Rows ``top:bottom`` and columns ``left:right`` of an image."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.bottom), slice(self.left, self.right)

    @property
    def empty(self) -> bool:
        return self.bottom <= self.top or self.right <= self.left

    @classmethod
    def of(cls, window: prc.Window) -> "Box":
        """The box of a window of the core (top, left, height, width): a group of holes, or the region
        a fill runs on around it."""
        return cls(window.top, window.left, window.top + window.height, window.left + window.width)

    @classmethod
    def around(cls, changed: np.ndarray) -> "Box":
        """The smallest box holding every True of a (H, W) bool array (empty if none)."""
        rows, cols = np.nonzero(changed)
        if rows.size == 0:
            return cls(0, 0, 0, 0)
        return cls(int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1)


@dataclass(frozen=True)
class Candidate:
    """One finished completion: its rank (1 = best), which of the K draws it is, its score
    (log-likelihood of the known pixels after the hole, nats), its share of the K candidates'
    posterior, and the RGB values (P, 3) it gave the P pixels of the fill's mask, in the order of
    ``mask[box]`` (the whole image for each of the K took 144 MB a fill on a 12-megapixel photo, and
    the box around two holes far apart most of it)."""

    rank: int
    index: int
    score: float
    share: float
    hole: np.ndarray

    def in_box(self, before: np.ndarray, mask: np.ndarray, box: Box) -> np.ndarray:
        """The ``box`` of ``before`` (H, W, 3) with this candidate in the holes of ``mask`` (H, W)."""
        pixels = before[box.slices].copy()
        pixels[mask[box.slices]] = self.hole
        return pixels


@dataclass
class Fill:
    """The last fill of the document's image: where it ran and what it produced."""

    mask: np.ndarray  # (H, W) the pixels it fills
    before: np.ndarray  # the image when it started
    probs: np.ndarray | None  # (K, P, C, L) what each step drew from, masked pixels in the order filled; None: too large to keep
    box: Box  # the bounding box of ``mask``
    total: int  # sub-pixels to decide
    decided: int = 0  # sub-pixels decided so far
    job: Any = None  # the prc.CompletionJob, once built
    pending: np.ndarray | None = None  # (H, W) pixels not decided yet while it runs
    candidates: list[Candidate] = field(default_factory=list)  # best first, once finished
    shown: int = 0  # the draw (index of the K) shown in the image
    first_filled: np.ndarray | None = None  # (H, W) pixels no earlier fill had touched

    def candidate(self, index: int) -> Candidate | None:
        """The candidate drawn as ``index`` of the K."""
        return next((c for c in self.candidates if c.index == index), None)


class Document(QObject):
    """An 8-bit RGB image (H, W, 3), a fill mask (H, W; True = to be filled), an undo stack, and the
    state that belongs to this image only (see the module docstring)."""

    imageChanged = Signal()
    maskChanged = Signal()
    replaced = Signal()  # a different image (new size or new file): all image state starts afresh
    pathChanged = Signal()
    fillChanged = Signal()  # the last fill started, progressed to a new state, finished or went away
    pinChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.image = np.full((32, 32, 3), 255, dtype=np.uint8)
        self.mask = np.zeros((32, 32), dtype=bool)
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.untitled_changes = False
        self.generation = 0  # counts the images opened, so late results for an earlier one are dropped
        self._start_image_state()
        for change in (self.imageChanged, self.maskChanged, self.fillChanged):
            change.connect(self._forget_shown)

    def _forget_shown(self) -> None:
        self._shown = None

    def _start_image_state(self) -> None:
        self.fill: Fill | None = None
        self.earlier_fill: Fill | None = None  # the fill before ``fill``, the last one again if ``fill`` is reverted
        self.pinned: tuple[int, int] | None = None
        self.unfilled = self.image.copy()  # the pixels before any fill, where ``model_filled``
        self.model_filled = np.zeros(self.image.shape[:2], dtype=bool)
        self._shown: tuple[Candidate | None] | None = None  # shown_candidate(), until the image, mask or fill changes

    @property
    def height(self) -> int:
        return self.image.shape[0]

    @property
    def width(self) -> int:
        return self.image.shape[1]

    def replace(self, image: np.ndarray, path: Path | None, mask: np.ndarray | None = None) -> None:
        """Start over with ``image`` (and ``mask``); the undo history starts empty."""
        self.image = np.ascontiguousarray(image, dtype=np.uint8)
        self.mask = np.zeros(image.shape[:2], dtype=bool) if mask is None else mask.copy()
        self.path = path
        self.untitled_changes = path is None and mask is not None and bool(mask.any())
        self._start_image_state()  # before the undo stack's signals: nothing of the last image is asked for
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.generation += 1
        self.replaced.emit()
        self.fillChanged.emit()
        self.pinChanged.emit()
        self.pathChanged.emit()

    @property
    def shape(self) -> tuple[int, int]:
        return self.height, self.width

    def inside(self, row: int, col: int) -> bool:
        return 0 <= row < self.height and 0 <= col < self.width

    def colour_kind(self) -> str | None:
        """"grey" or "colour" for the models that fit the image; None for a single-colour image (a
        blank canvas), which any model fits."""
        if (self.image == self.image[0, 0]).all():
            return None
        return "grey" if prc.is_grey(self.image) else "colour"

    # ---- the image's fill state -------------------------------------------------------------
    def begin_fill(self, fill: Fill) -> None:
        """A fill starts: the pixels it covers keep their value from before any fill, for comparing."""
        first_time = fill.mask & ~self.model_filled
        self.unfilled[first_time] = self.image[first_time]
        self.model_filled |= fill.mask
        fill.first_filled = first_time
        self.fill, self.earlier_fill = fill, self.fill
        self.fillChanged.emit()

    def drop_fill(self) -> None:
        """The last fill was reverted: its pixels count as never filled, and the fill before it is the
        last one again (its candidates come back to the strip)."""
        if self.fill is not None:
            self.model_filled &= ~self.fill.first_filled
            self.fill, self.earlier_fill = self.earlier_fill, None
            self.fillChanged.emit()

    def mask_is_the_fills(self) -> bool:
        """Whether there is a last fill and the mask is still the one it filled."""
        return self.fill is not None and np.array_equal(self.fill.mask, self.mask)

    def shown_candidate(self) -> Candidate | None:
        """The last fill's candidate the canvas shows: its hole holds that candidate's pixels and the mask
        is still the fill's. None otherwise (the fill undone, its hole painted over, the mask changed)."""
        if self._shown is None:
            self._shown = (self._find_shown_candidate(),)
        return self._shown[0]

    def _find_shown_candidate(self) -> Candidate | None:
        fill = self.fill
        if not self.mask_is_the_fills():
            return None
        in_box = fill.mask[fill.box.slices]
        hole = self.image[fill.box.slices][in_box]
        shown_first = sorted(fill.candidates, key=lambda c: c.index != fill.shown)  # of equal holes, the one applied
        return next((c for c in shown_first if np.array_equal(c.hole, hole)), None)

    def compare_image(self) -> np.ndarray | None:
        """The image with every filled pixel as it was before the first fill; None if none was filled."""
        if not self.model_filled.any():
            return None
        image = self.image.copy()
        image[self.model_filled] = self.unfilled[self.model_filled]
        return image

    def original_at(self, row: int, col: int) -> np.ndarray | None:
        """The RGB value of a filled pixel before any fill; None for a pixel no fill touched."""
        return self.unfilled[row, col] if self.inside(row, col) and self.model_filled[row, col] else None

    def set_pinned(self, pixel: tuple[int, int] | None) -> None:
        """Pin a pixel of the image in the inspector (None: unpin)."""
        if pixel is not None and not self.inside(*pixel):
            pixel = None
        if pixel != self.pinned:
            self.pinned = pixel
            self.pinChanged.emit()

    def set_path(self, path: Path) -> None:
        self.path = path
        self.untitled_changes = False
        self.undo_stack.setClean()
        self.pathChanged.emit()

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean() or self.untitled_changes

    @property
    def only_mask_modified(self) -> bool:
        """Whether the unsaved changes are all to the mask: the image is as it was saved or opened."""
        stack = self.undo_stack
        low, high = sorted((stack.cleanIndex(), stack.index()))
        if self.untitled_changes or low < 0 or not self.modified:
            return False
        return all(stack.command(index).layer == "mask" for index in range(low, high))

    def write(self, layer: str, box: Box, pixels: np.ndarray) -> None:
        """Put ``pixels`` into ``layer`` ("image" or "mask") at ``box`` and tell the views."""
        self.put(layer, box.slices, pixels)

    def put(self, layer: str, where: tuple, values: np.ndarray) -> None:
        """Put ``values`` into ``layer`` at ``where`` (a box's slices, or the rows and columns of pixels)
        and tell the views."""
        getattr(self, layer)[where] = values
        (self.imageChanged if layer == "image" else self.maskChanged).emit()

    def record(self, text: str, layer: str, before: np.ndarray, restores: Restores | None = None, always: bool = False) -> None:
        """Record the change from ``before`` (a full copy of ``layer``) to its current state as one
        undoable edit; nothing is recorded if nothing changed, unless ``always`` (a fill is an edit even
        when it draws the pixels already there: it ends the redo history). ``restores``: what else undo
        and redo put back after the pixels (a resample's fill as it was before and after it)."""
        after = getattr(self, layer)
        changed = before != after
        if changed.ndim == 3:
            changed = changed.any(axis=2)
        box = Box.around(changed)
        if always or not box.empty:
            where = changed_pixels(changed, box, after)
            self.undo_stack.push(PatchEdit(self, text, layer, where, before[where].copy(), after[where].copy(), restores))

    def edit(self, text: str, layer: str, pixels: np.ndarray) -> None:
        """Replace ``layer`` as a whole by ``pixels`` as one undoable edit."""
        before = getattr(self, layer).copy()
        self.write(layer, Box(0, 0, self.height, self.width), pixels)
        self.record(text, layer, before)


def changed_pixels(changed: np.ndarray, box: Box, layer: np.ndarray) -> tuple:
    """Where an edit keeps its pixels, before and after: the slices of ``box`` (around every pixel
    ``changed``), or the rows and columns of the changed pixels alone where that is less to keep (a fill
    of holes far apart, whose box is most of a photo around a few hundred pixels)."""
    inside = changed[box.slices]
    count, per_pixel = int(inside.sum()), layer[:1, :1].nbytes
    if count * (2 * np.dtype(np.int32).itemsize + 2 * per_pixel) < inside.size * 2 * per_pixel:
        rows, cols = np.nonzero(changed)
        return rows.astype(np.int32), cols.astype(np.int32)
    return box.slices


class PatchEdit(QUndoCommand):
    """One undoable change of the image or of the mask: strokes, mask tools, fills. ``where``: the
    pixels it changed (:func:`changed_pixels`), ``before`` and ``after`` their values."""

    def __init__(self, document: Document, text: str, layer: str, where: tuple, before: np.ndarray, after: np.ndarray,
                 restores: Restores | None = None):
        super().__init__(text)
        self.document, self.layer, self.where = document, layer, where
        self.before, self.after = before, after
        self.restores = restores

    def redo(self) -> None:
        self.document.put(self.layer, self.where, self.after)
        if self.restores is not None:
            self.restores[1]()

    def undo(self) -> None:
        self.document.put(self.layer, self.where, self.before)
        if self.restores is not None:
            self.restores[0]()
