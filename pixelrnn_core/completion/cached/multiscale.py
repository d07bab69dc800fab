"""Cached multi-scale PixelRNN (paper §3.6): the small image first, then the full one.

Every small-image position comes before every other position in the generation order, so the small
image is complete when the first full-size position is asked for; its conditioning maps are then
computed once and the conditional model runs incrementally like any single-scale one.
"""
from __future__ import annotations

import torch

from ...models.multiscale import MultiScalePixelRNN
from .array_ops import ArrayOps
from .stack import CachedPixelModel


class CachedMultiScale:
    """Logits of one sub-pixel at a time of a :class:`MultiScalePixelRNN` on a (B, C, H, W) image."""

    def __init__(
        self,
        model: MultiScalePixelRNN,
        batch: int,
        height: int,
        width: int,
        ops: ArrayOps | None = None,
        compiled: bool | None = None,
    ) -> None:
        """``ops`` and ``compiled``: how the per-pixel steps of both parts run (see CachedPixelModel)."""
        self.model, self.ops, self.compiled = model, ops, compiled
        self.scale = model.config.scale
        self.batch, self.height, self.width = batch, height, width
        small_height, small_width = -(-height // self.scale), -(-width // self.scale)
        self.small = CachedPixelModel(model.small, batch, small_height, small_width, ops=ops, compiled=compiled)
        self.large: CachedPixelModel | None = None

    def reset(self) -> None:
        self.small.reset()
        self.large = None

    def logits(self, x: torch.Tensor, row: int, col: int, channel: int) -> torch.Tensor:
        s = self.scale
        small_image = self.model.subsample(x)
        if row % s == 0 and col % s == 0:
            self.large = None  # a small-image value may change: the conditioning must be recomputed
            return self.small.logits(small_image, row // s, col // s, channel)
        if self.large is None:
            condition = self.model.condition(small_image, self.height, self.width)
            self.large = CachedPixelModel(
                self.model.large, self.batch, self.height, self.width, condition, self.ops, self.compiled
            )
        return self.large.logits(x, row, col, channel)
