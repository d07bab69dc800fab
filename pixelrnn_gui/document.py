"""The image being edited, its mask and their undo history: the app state the canvas shows.

Edits are applied to the arrays directly while the user drags (so painting is live) and then
recorded as a :class:`PatchEdit` whose first ``redo`` is a no-op rewrite of the same pixels."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack


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
    def around(cls, changed: np.ndarray) -> "Box":
        """The smallest box holding every True of a (H, W) bool array (empty if none)."""
        rows, cols = np.nonzero(changed)
        if rows.size == 0:
            return cls(0, 0, 0, 0)
        return cls(int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1)


class Document(QObject):
    """An 8-bit RGB image (H, W, 3), a fill mask (H, W; True = to be filled) and an undo stack."""

    imageChanged = Signal()
    maskChanged = Signal()
    replaced = Signal()  # a different image (new size or new file)
    pathChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.image = np.full((32, 32, 3), 255, dtype=np.uint8)
        self.mask = np.zeros((32, 32), dtype=bool)
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.untitled_changes = False

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
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.replaced.emit()
        self.pathChanged.emit()

    def set_path(self, path: Path) -> None:
        self.path = path
        self.untitled_changes = False
        self.undo_stack.setClean()
        self.pathChanged.emit()

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean() or self.untitled_changes

    def write(self, layer: str, box: Box, pixels: np.ndarray) -> None:
        """Put ``pixels`` into ``layer`` ("image" or "mask") at ``box`` and tell the views."""
        getattr(self, layer)[box.slices] = pixels
        (self.imageChanged if layer == "image" else self.maskChanged).emit()

    def record(self, text: str, layer: str, before: np.ndarray) -> None:
        """Record the change from ``before`` (a full copy of ``layer``) to its current state as one
        undoable edit; nothing is recorded if nothing changed."""
        after = getattr(self, layer)
        changed = before != after
        if changed.ndim == 3:
            changed = changed.any(axis=2)
        box = Box.around(changed)
        if not box.empty:
            self.undo_stack.push(PatchEdit(self, text, layer, box, before[box.slices].copy(), after[box.slices].copy()))

    def edit(self, text: str, layer: str, pixels: np.ndarray) -> None:
        """Replace ``layer`` as a whole by ``pixels`` as one undoable edit."""
        before = getattr(self, layer).copy()
        self.write(layer, Box(0, 0, self.height, self.width), pixels)
        self.record(text, layer, before)


class PatchEdit(QUndoCommand):
    """One undoable change of a box of the image or of the mask: strokes, mask tools, fills."""

    def __init__(self, document: Document, text: str, layer: str, box: Box, before: np.ndarray, after: np.ndarray):
        super().__init__(text)
        self.document, self.layer, self.box = document, layer, box
        self.before, self.after = before, after

    def redo(self) -> None:
        self.document.write(self.layer, self.box, self.after)

    def undo(self) -> None:
        self.document.write(self.layer, self.box, self.before)
