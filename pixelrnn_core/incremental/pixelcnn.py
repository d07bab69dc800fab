"""Cached PixelCNN block (paper §3.5): only the k x k convolution needs rows of the past."""
from __future__ import annotations

import torch

from ..pixelcnn import PixelCNNBlock
from .layers import Pointwise, RowCachedConv


class CachedPixelCNNBlock:
    """ReLU, 1x1, ReLU, k x k (row-cached), ReLU, 1x1 on a segment of the current row."""

    def __init__(self, block: PixelCNNBlock, batch: int, width: int) -> None:
        self.reduce = Pointwise(block.reduce)
        self.conv = RowCachedConv(block.conv, batch, width)
        self.expand = Pointwise(block.expand)
        self.condition = None if block.condition is None else Pointwise(block.condition)

    def begin_row(self, row: int) -> None:
        self.conv.begin_row()

    def advance(
        self,
        features: torch.Tensor,
        start: int,
        stop: int,
        condition: torch.Tensor | None,
        image: torch.Tensor,
    ) -> torch.Tensor:
        self.conv.write(torch.relu(self.reduce(torch.relu(features))), start)
        hidden = self.conv.compute(start, stop)
        if self.condition is not None:
            hidden = hidden + self.condition(condition)
        return self.expand(torch.relu(hidden))
