"""Cached PixelCNN block (paper §3.5): only the k x k convolution needs rows of the past."""
from __future__ import annotations

import torch

from ...models.pixelcnn import PixelCNNBlock
from .array_ops import ArrayOps
from .kernels import pixelcnn_group
from .layers import Pointwise, RowCachedConv, condition_linears, group_slices, scratch


class CachedPixelCNNBlock:
    """ReLU, 1x1, ReLU, k x k (row-cached), ReLU, 1x1 on a segment of the current row, or on one colour
    group of one pixel."""

    STATE, PARTS = ("hidden",), ("conv",)

    def __init__(
        self, block: PixelCNNBlock, batch: int, width: int, channels: int, ops: ArrayOps, compiled: bool
    ) -> None:
        """``compiled``: whether the per-pixel steps run as compiled calls (:meth:`compiled_group`)."""
        self.ops, self.compiled = ops, compiled
        self.reduce = Pointwise(block.reduce, channels, ops)
        self.conv = RowCachedConv(block.conv, batch, width, channels, ops)
        self.expand = Pointwise(block.expand, channels, ops)
        self.condition = None if block.condition is None else Pointwise(block.condition, channels, ops)
        h = self.reduce.weight.shape[0]
        self.hidden_groups = group_slices(h, channels)
        sizes = [part.stop - part.start for part in self.hidden_groups]
        self.conditions = condition_linears(self.condition, sizes, self.reduce.weight, ops)
        self.hidden = self.reduce.weight.new_zeros(batch, h)  # the current pixel's k x k output, by group
        self.refresh_arrays()

    def refresh_arrays(self) -> None:
        """The current pixel's k x k output as an array of ``ops`` (renewed when it is replaced)."""
        self.hidden_array = self.ops.view(self.hidden)
        if not self.compiled:
            return
        batch = self.hidden.shape[0]
        self.reduced = scratch(self.ops, self.hidden, batch, [part.stop - part.start for part in self.hidden_groups])
        self.outputs = scratch(self.ops, self.hidden, batch, [linear.weight_t.shape[1] for linear in self.expand.groups])

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

    def advance_group(self, features, col: int, group: int, condition):
        """Colour group ``group`` at ``col``, on arrays of ``ops``: (B, 2h) -> (B, 2h_g)."""
        ops, part = self.ops, self.hidden_groups[group]
        self.conv.write_group(ops.relu(self.reduce.group(ops.relu(features), group)), col, part)
        hidden = self.conv.compute_group(col, group)
        if self.condition is not None:
            hidden += self.condition.group(condition, group)
        current = self.hidden_array
        ops.relu(hidden, out=current[:, part])
        return self.expand.group(current, group)

    def compiled_group(self, features, col: int, group: int, condition):
        """:meth:`advance_group` in one compiled call (:func:`.kernels.pixelcnn_group`); ``condition``
        (B, U) has U = 0 without conditioning. The result is overwritten by the next call."""
        part, conv, conditioning = self.hidden_groups[group], self.conv, self.conditions[group]
        reduce, convolve, expand = self.reduce.groups[group], conv.groups[group], self.expand.groups[group]
        pixelcnn_group(
            features, reduce.weight_t, reduce.bias_row, conv.buffer_array, col, conv.pad, conv.kernel_width,
            convolve.weight_t, convolve.bias_row, condition, conditioning.weight_t, conditioning.bias_row,
            self.hidden_array, part.start, part.stop, expand.weight_t, expand.bias_row, self.reduced[group], self.outputs[group],
        )
        return self.outputs[group]
