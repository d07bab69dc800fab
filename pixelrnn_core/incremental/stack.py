"""A single-scale PixelRNN evaluated incrementally, exactly as its full forward pass (PAPER.md §3).

The stem (7x7 mask A) keeps the rows of the image it reaches, each residual block its own cache, and
the skips and the output head are 1 x 1, so they need none. A *cursor* marks the first position whose
states are not yet final. Asking for the logits of position (r, c) first brings every position before
it up to date -- a whole row at a time where a row is known, a segment otherwise -- then computes
(r, c) itself from the current sub-pixel values. That last computation is tentative: the cursor stays
at (r, c), so its states are computed once more, with all its channels set, when the cursor moves on.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..diagonal_bilstm import DiagonalBiLSTMBlock
from ..pixel_model import PixelModel, scale_levels
from ..pixelcnn import PixelCNNBlock
from ..row_lstm import RowLSTMBlock
from .diagonal_bilstm import CachedDiagonalBiLSTMBlock
from .layers import Pointwise, RowCachedConv
from .pixelcnn import CachedPixelCNNBlock
from .row_lstm import CachedRowLSTMBlock

CACHED_BLOCKS: dict[type, Callable] = {
    PixelCNNBlock: CachedPixelCNNBlock,
    RowLSTMBlock: CachedRowLSTMBlock,
    DiagonalBiLSTMBlock: CachedDiagonalBiLSTMBlock,
}


def cached_block(block: torch.nn.Module, batch: int, width: int):
    """The cached stepper of one residual block."""
    for kind, stepper in CACHED_BLOCKS.items():
        if isinstance(block, kind):
            return stepper(block, batch, width)
    raise ValueError(f"no cached engine for blocks of type {type(block).__name__}; use engine='naive'")


class CachedPixelModel:
    """Logits of one position at a time of a :class:`PixelModel` on a (B, C, H, W) image.

    ``condition`` (B, U, H, W) are the conditioning maps of a multi-scale model's large part (§3.6).
    """

    def __init__(
        self, model: PixelModel, batch: int, height: int, width: int, condition: torch.Tensor | None = None
    ) -> None:
        self.model = model
        self.batch, self.height, self.width = batch, height, width
        cfg = model.config
        self.levels, self.channels, self.residual = cfg.levels, cfg.channels, cfg.residual
        self.condition = None if condition is None else condition.permute(0, 2, 3, 1)  # (B, H, W, U)
        self.skips = None if model.skips is None else [Pointwise(skip) for skip in model.skips]
        self.head_hidden = Pointwise(model.head.hidden)
        self.head_logits = Pointwise(model.head.logits)
        self.reset()

    def reset(self) -> None:
        """Forget every cached state; the next request recomputes from the top of the image."""
        self.stem = RowCachedConv(self.model.stem, self.batch, self.width)
        self.blocks = [cached_block(block, self.batch, self.width) for block in self.model.blocks]
        self.row, self.col = 0, 0
        self.begin_row(0)

    def begin_row(self, row: int) -> None:
        self.stem.begin_row()
        for block in self.blocks:
            block.begin_row(row)

    def logits(self, x: torch.Tensor, row: int, col: int, channel: int) -> torch.Tensor:
        """Logits (B, L) of sub-pixel (row, col, channel) given every sub-pixel before it in ``x``."""
        if (row, col) < (self.row, self.col):
            self.reset()
        while self.row < row:
            if self.col < self.width:
                self.advance(x, self.row, self.col, self.width)
            self.row, self.col = self.row + 1, 0
            self.begin_row(self.row)
        head_input = self.advance(x, row, self.col, col + 1)
        self.col = col
        return self.head(head_input[:, -1], channel)

    def advance(self, x: torch.Tensor, row: int, start: int, stop: int) -> torch.Tensor:
        """Compute every layer at positions start..stop-1 of ``row``; the head's input (B, n, 2h)."""
        image = scale_levels(x[:, :, row, start:stop].transpose(1, 2), self.levels, self.stem.weight.dtype)
        self.stem.write(image, start)
        features = self.stem.compute(start, stop)
        condition = None if self.condition is None else self.condition[:, row, start:stop]
        skip_sum = None
        for index, block in enumerate(self.blocks):
            out = block.advance(features, start, stop, condition, image)
            features = out + features if self.residual else out
            if self.skips is not None:
                skipped = self.skips[index](features)
                skip_sum = skipped if skip_sum is None else skip_sum + skipped
        return features if skip_sum is None else skip_sum

    def head(self, features: torch.Tensor, channel: int) -> torch.Tensor:
        """The output layers at one position (B, 2h) -> logits (B, L) of one channel (Table 1)."""
        hidden = torch.relu(self.head_hidden(torch.relu(features)))
        rows = slice(channel * self.levels, (channel + 1) * self.levels)
        return torch.nn.functional.linear(hidden, self.head_logits.weight[rows], self.head_logits.bias[rows])
