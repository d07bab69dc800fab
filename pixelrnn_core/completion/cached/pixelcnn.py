"""Cached PixelCNN block (paper §3.5): only the k x k convolution needs rows of the past."""
from __future__ import annotations

import torch

from ...models.pixelcnn import pixelcnn_block
from ...models.weights import PixelCNNWeights
from .array_ops import ArrayOps
from .block import CachedBlock
from .kernels import add_linear, compiled, linear_into, patch_linear_into, relu_in_place, relu_linear_into
from .layers import Pointwise, RowCachedConv, group_slices, optional_linears, repeated, scratch


class CachedPixelCNNBlock(CachedBlock):
    """ReLU, 1x1, ReLU, k x k (row-cached), ReLU, 1x1 on a segment of the current row, or on one colour
    group of one pixel."""

    def __init__(
        self, weights: PixelCNNWeights, batch: int, width: int, channels: int, ops: ArrayOps, compiled: bool
    ) -> None:
        self.ops, self.compiled = ops, compiled
        self.reduce = Pointwise(weights.reduce, channels, ops)
        self.conv = RowCachedConv(weights.conv, batch, width, channels, ops)
        self.expand = Pointwise(weights.expand, channels, ops)
        self.condition = None if weights.condition is None else Pointwise(weights.condition, channels, ops)
        h = self.reduce.weight.shape[0]
        self.hidden_groups = group_slices(h, channels)
        sizes = [part.stop - part.start for part in self.hidden_groups]
        conditions = optional_linears(self.condition, sizes, self.reduce.weight, ops)
        # per colour group, everything the compiled step reads of the weights (see pixelcnn_group)
        self.group_kernel = pixelcnn_group
        self.group_weights = [
            (
                self.reduce.groups[g].arrays, self.conv.groups[g].arrays, conditions[g].arrays,
                self.expand.groups[g].arrays, self.conv.kernel_width, part.start, part.stop,
            )
            for g, part in enumerate(self.hidden_groups)
        ]
        self.hidden = self.reduce.weight.new_zeros(batch, h)  # the current pixel's k x k output, by group
        self.refresh_arrays()

    def refresh_arrays(self) -> None:
        """The current pixel's k x k output as an array of ``ops`` (renewed when it is replaced), and
        the states of the compiled steps."""
        self.hidden_array = self.ops.view(self.hidden)
        if not self.compiled:
            return
        batch = self.hidden.shape[0]
        reduced = scratch(self.ops, self.hidden, batch, [part.stop - part.start for part in self.hidden_groups])
        outputs = scratch(self.ops, self.hidden, batch, [linear.weight_t.shape[1] for linear in self.expand.groups])
        self.group_states = [
            (self.conv.buffer_array, self.hidden_array, reduced[g], outputs[g]) for g in range(len(outputs))
        ]

    def repeat(self, count: int) -> None:
        self.hidden = repeated(self.hidden, count)
        self.conv.repeat(count)
        self.refresh_arrays()

    def begin_row(self, row: int, image_above: torch.Tensor | None, condition_above: torch.Tensor | None) -> None:
        self.conv.begin_row()

    def advance(self, features: torch.Tensor, start: int, stop: int, condition: torch.Tensor | None) -> torch.Tensor:
        return pixelcnn_block(
            features, condition, self.reduce, self.conv.on_segment(start, stop), self.expand, self.condition
        )

    def advance_group(self, features, col: int, group: int, condition):
        part = self.hidden_groups[group]
        condition_to_hidden = None if self.condition is None else self.condition.groups[group]

        def expand(hidden):  # the pixel's hidden maps arrive one colour group at a time
            self.hidden_array[:, part] = hidden
            return self.expand.groups[group](self.hidden_array)

        conv = self.conv.on_group(col, group, part)
        return pixelcnn_block(features, condition, self.reduce.groups[group], conv, expand, condition_to_hidden)


@compiled
def pixelcnn_group(weights, state, features, condition, col):
    """:meth:`CachedPixelCNNBlock.advance_group` in one call: ReLU, 1 x 1 (stored as the k x k conv's
    input), ReLU, the masked k x k conv (+ conditioning), ReLU (into the current pixel's ``hidden``),
    1 x 1 into ``out``. ``weights``: the reduce, k x k, conditioning and expand linears of the group,
    the kernel width and the group's range [start, stop) of the hidden maps; ``state``: the k x k
    conv's row buffer, ``hidden``, and scratch for the reduced maps and the output."""
    reduce, conv, conditioning, expand, kernel_width, start, stop = weights
    buffer, hidden, reduced, out = state
    relu_linear_into(reduced, reduce, features)
    for b in range(reduced.shape[0]):
        for f in range(reduced.shape[1]):
            buffer[b, buffer.shape[1] - 1, kernel_width // 2 + col, start + f] = max(reduced[b, f], 0.0)
    group = hidden[:, start:stop]
    patch_linear_into(group, conv, buffer, col, kernel_width)
    add_linear(group, conditioning, condition)
    relu_in_place(group)
    linear_into(out, expand, hidden)
