"""What the cached engine asks of the cached form of every residual block.

A cached block is built from the weight bundle its model block hands over (``cached_weights()``, see
:class:`pixelrnn_core.models.weights.CachedWeightsSource`) and keeps, for ``batch`` candidates on
rows of ``width`` positions, the states of the rows its outputs still depend on. The stack
(:class:`.stack.CachedPixelModel`) drives it in the generation order: :meth:`~CachedBlock.begin_row`
once per row, then either whole segments of a row (:meth:`~CachedBlock.advance`, torch tensors) or one
colour group of one pixel (paper §3.4) at a time (:meth:`~CachedBlock.advance_group` on arrays of the
engine's :class:`.array_ops.ArrayOps`, or :meth:`~CachedBlock.compiled_group` as one compiled call).

The block's maths is written once, beside its model block (``pixelcnn_block``, ``input_gates``,
``row_states``, ``lstm_update``): :meth:`~CachedBlock.advance` runs it with the layers applied to a row
segment (e.g. :meth:`.layers.RowCachedConv.on_segment`), :meth:`~CachedBlock.advance_group` with each
layer's share of one colour group (:class:`.layers.GroupLinear`, :meth:`.layers.RowCachedConv.on_group`).
:meth:`~CachedBlock.compiled_group` is the same step for one colour group written as a compiled
function beside the block (numba cannot run the shared maths: it takes callables and arrays of either
library).
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import torch


class CachedBlock(ABC):
    """The cached form of one residual block: block input (2h maps) -> block output (2h maps).

    Built as ``Kind(weights, batch, width, channels, ops, compiled)``: ``weights`` the model block's
    bundle, ``ops`` the arrays of the per-pixel steps, ``compiled`` whether :meth:`compiled_group` is
    used (the block may then run its row work as compiled calls too).
    """

    @abstractmethod
    def begin_row(self, row: int, image_above: torch.Tensor | None, condition_above: torch.Tensor | None) -> None:
        """Start ``row``; ``image_above`` (B, W, C) and ``condition_above`` (B, W, U) are the scaled
        image and the conditioning maps of the completed row above (None for the first row)."""

    @abstractmethod
    def advance(self, features: torch.Tensor, start: int, stop: int, condition: torch.Tensor | None) -> torch.Tensor:
        """Block outputs (B, n, 2h) at current-row positions ``start .. stop - 1`` from their inputs
        ``features`` (B, n, 2h), every earlier position of the row being done."""

    @abstractmethod
    def advance_group(self, features, col: int, group: int, condition):
        """Colour group ``group`` at current-row position ``col``, on arrays of ``ops``: the block
        inputs ``features`` (B, 2h; groups <= ``group`` final) -> the group's outputs (B, 2h_g)."""

    def compiled_group(self, features, col: int, group: int, condition):
        """:meth:`advance_group` as one compiled call; ``condition`` (B, U) has U = 0 without
        conditioning. The result is overwritten by the next call. Each kind sets ``group_kernel`` (its
        compiled step), ``group_weights`` and ``group_states`` (per colour group; the step writes the
        group's outputs into the state's last array)."""
        state = self.group_states[group]
        self.group_kernel(self.group_weights[group], state, features, condition, col)
        return state[-1]

    @abstractmethod
    def repeat(self, count: int) -> None:
        """Turn the states computed for one candidate into ``count`` identical candidates."""
