"""One window of a completion: its holes in the generation order, the candidates' values on it, and the
engine that fills it.

A completion runs on one window per group of holes (:func:`.windowing.hole_groups`), each in its own
orientation (the one asked for, or the one "auto" chooses for that group); no window holds another's
holes, so each is filled and scored on its own, one after the other.
"""
from __future__ import annotations

import numpy as np
import torch

from ..pixels.dihedral import inverse, transform_array, transform_position
from .engines import Engine, make_engine
from .orientation import turned_box
from .windowing import Window


class WindowFill:
    """The masked sub-pixels of ``window`` of the ``image`` turned by ``orientation`` (the window lies in
    the turned image), in the model's generation order, filled for ``samples`` candidates. The engine is
    built when the first sub-pixel is asked for and let go once the last one is decided, so that only one
    window's states are held at a time."""

    def __init__(
        self,
        model: torch.nn.Module,
        image: np.ndarray,
        mask: np.ndarray,
        orientation: str,
        window: Window,
        samples: int,
        engine: str,
        device: torch.device,
    ) -> None:
        self.model, self.orientation, self.window, self.engine_name = model, orientation, window, engine
        self.channels = channels = model.config.channels
        turned_image, turned_mask = transform_array(image, orientation), transform_array(mask, orientation)
        self.image_shape, self.turned_shape = mask.shape, turned_mask.shape
        self.mask = turned_mask[window.rows, window.cols]
        pixel_rank = model.pixel_order(window.height, window.width).numpy()
        self.subpixel_rank = pixel_rank[:, :, None] * channels + np.arange(channels)
        order = np.argsort(pixel_rank[self.mask], kind="stable")
        self.pixels = np.argwhere(self.mask)[order]  # (P, 2) window coordinates
        self.total = len(self.pixels) * channels
        values = torch.from_numpy(turned_image[window.rows, window.cols].copy()).long()  # a copy: an empty view keeps negative strides
        self.x = values.permute(2, 0, 1)[None].repeat(samples, 1, 1, 1).to(device)
        self.x[:, :, self.pixels[:, 0], self.pixels[:, 1]] = 0
        self._engine: Engine | None = None

    def image_positions(self, rows: np.ndarray | int, cols: np.ndarray | int) -> tuple[np.ndarray | int, np.ndarray | int]:
        """Window coordinates -> the caller's image coordinates."""
        return transform_position(self.window.top + rows, self.window.left + cols, self.turned_shape, inverse(self.orientation))

    def window_position(self, row: int, col: int) -> tuple[int, int]:
        """The caller's image coordinates -> window coordinates (outside the window when out of range)."""
        turned_row, turned_col = transform_position(row, col, self.image_shape, self.orientation)
        return int(turned_row) - self.window.top, int(turned_col) - self.window.left

    def position(self, index: int) -> tuple[int, int, int]:
        """(row, col, channel) in the window of its ``index``-th sub-pixel in the generation order."""
        row, col = (int(v) for v in self.pixels[index // self.channels])
        return row, col, index % self.channels

    def engine(self) -> Engine:
        """The window's engine, built if it is not (setting up a large model's cached form takes a while)."""
        if self._engine is None:
            self._engine = make_engine(self.engine_name, self.model, len(self.x), self.window.height, self.window.width)
        return self._engine

    def logits(self, row: int, col: int, channel: int) -> torch.Tensor:
        """Logits (K, L) of window sub-pixel (row, col, channel) given everything before it in the window."""
        return self.engine().logits(self.x, row, col, channel)

    def decide(self, index: int, row: int, col: int, channel: int, values: np.ndarray) -> None:
        """Write each candidate's value of the ``index``-th sub-pixel, at (row, col, channel) of the
        window; after the last, let the engine go."""
        self.x[:, channel, row, col] = torch.from_numpy(values).to(self.x.device)
        if index == self.total - 1:
            self._engine = None

    def region(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The first and last row, and column, of the caller's image that the window covers."""
        box = turned_box(self.window, self.turned_shape, inverse(self.orientation))
        return (box.top, box.top + box.height - 1), (box.left, box.left + box.width - 1)

    def clear_from(self, start: int, stop: int) -> None:
        """Undecide sub-pixels ``start`` to ``stop`` - 1; the engine recomputes from the top."""
        for index in range(start, stop):
            row, col, channel = self.position(index)
            self.x[:, channel, row, col] = 0
        if self._engine is not None and start < stop:
            self._engine.reset()

    def forget_states(self) -> None:
        """Let the engine's states go (after the values were replaced, see :meth:`CompletionJob.restore`)."""
        self._engine = None

    def index_of(self, row: int, col: int, channel: int) -> int:
        """The index, in the generation order, of the first masked sub-pixel at or after window sub-pixel
        (row, col, channel)."""
        planned = self.subpixel_rank[self.pixels[:, 0], self.pixels[:, 1]].reshape(-1)
        return int(np.searchsorted(planned, self.subpixel_rank[row, col, channel]))

    def known_after_hole(self) -> np.ndarray:
        """Bool (h, w, C) of the window: the known sub-pixels after its first hole sub-pixel."""
        first_hole = self.subpixel_rank[self.mask].min()
        return ~self.mask[:, :, None] & (self.subpixel_rank > first_hole)

    def score(self) -> np.ndarray:
        """log p(known sub-pixels after the hole | everything before them in the window), nats, per
        candidate (docs/design.md, "Completion with pixels after the hole")."""
        after_hole = self.known_after_hole()
        if not after_hole.any():
            return np.zeros(len(self.x))
        with torch.no_grad():
            log_probs = self.model.log_likelihood(self.x).double().cpu().numpy()  # (K, C, h, w)
        return log_probs.transpose(0, 2, 3, 1)[:, after_hole].sum(axis=1)
