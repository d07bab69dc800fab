"""Cached PixelCNN block (paper §3.5): only the k x k convolution needs rows of the past."""
from __future__ import annotations

import torch

from ..pixelcnn import PixelCNNBlock
from .layers import Pointwise, RowCachedConv, group_slices


class CachedPixelCNNBlock:
    """ReLU, 1x1, ReLU, k x k (row-cached), ReLU, 1x1 on a segment of the current row, or on one colour
    group of one pixel."""

    STATE, PARTS = ("hidden",), ("conv",)

    def __init__(self, block: PixelCNNBlock, batch: int, width: int, channels: int) -> None:
        self.reduce = Pointwise(block.reduce, channels)
        self.conv = RowCachedConv(block.conv, batch, width, channels)
        self.expand = Pointwise(block.expand, channels)
        self.condition = None if block.condition is None else Pointwise(block.condition, channels)
        h = self.reduce.weight.shape[0]
        self.hidden_groups = group_slices(h, channels)
        self.hidden = self.reduce.weight.new_zeros(batch, h)  # the current pixel's k x k output, by group

    def begin_row(self, row: int, image_above: torch.Tensor, condition_above: torch.Tensor | None) -> None:
        self.conv.begin_row()

    def advance(
        self, features: torch.Tensor, start: int, stop: int, condition: torch.Tensor | None
    ) -> torch.Tensor:
        self.conv.write(torch.relu(self.reduce(torch.relu(features))), start)
        hidden = self.conv.compute(start, stop)
        if self.condition is not None:
            hidden = hidden + self.condition(condition)
        return self.expand(torch.relu(hidden))

    def advance_group(
        self, features: torch.Tensor, col: int, group: int, condition: torch.Tensor | None
    ) -> torch.Tensor:
        part = self.hidden_groups[group]
        self.conv.write(torch.relu(self.reduce.group(torch.relu(features), group))[:, None], col, part)
        hidden = self.conv.compute_group(col, group)
        if self.condition is not None:
            hidden = hidden + self.condition.group(condition, group)
        self.hidden[:, part] = torch.relu(hidden)
        return self.expand.group(self.hidden, group)
