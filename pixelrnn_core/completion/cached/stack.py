"""A single-scale PixelRNN evaluated incrementally, exactly as its full forward pass (docs/design.md,
"Incremental evaluation").

The stem (7x7 mask A) keeps the rows of the image it reaches, each residual block its own cache, and
the skips and the output head are 1 x 1, so they need none. A *cursor* marks the first position whose
states are not yet final. Asking for the logits of sub-pixel (r, c, g) brings every position before
(r, c) up to date -- a whole row at a time where rows are known, a segment otherwise -- then computes
colour group g of every layer at (r, c): by the masks (§3.4) that group depends only on channels < g of
the pixel, which are decided, and channel g's logits read only groups <= g. After the last channel the
pixel is complete and the cursor moves on, so each pixel costs one pass of every layer's weights.

Candidates agree on every sub-pixel before the first one sampled, so that part (the known rows above a
hole, say) is computed once, for one candidate, and its states are then repeated for all of them.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ...models.diagonal_bilstm import DiagonalBiLSTMBlock
from ...models.pixel_model import PixelModel, scale_levels
from ...models.pixelcnn import PixelCNNBlock
from ...models.row_lstm import RowLSTMBlock
from .array_ops import NUMPY_OPS, ArrayOps, array_ops_for
from .diagonal_bilstm import CachedDiagonalBiLSTMBlock
from .kernels import head_group, residual_group, stem_group
from .layers import GroupLinear, Pointwise, RowCachedConv, group_slices, repeat_batch
from .pixelcnn import CachedPixelCNNBlock
from .row_lstm import CachedRowLSTMBlock

# Most candidates the compiled per-pixel steps take; beyond, numpy's matrix products (BLAS) read each
# weight block once for all candidates faster than the compiled loops (benchmarks/compiled_steps.py).
COMPILED_BATCH_LIMIT = 8

CACHED_BLOCKS: dict[type, Callable] = {
    PixelCNNBlock: CachedPixelCNNBlock,
    RowLSTMBlock: CachedRowLSTMBlock,
    DiagonalBiLSTMBlock: CachedDiagonalBiLSTMBlock,
}


def cached_block(block: torch.nn.Module, batch: int, width: int, channels: int, ops: ArrayOps, compiled: bool):
    """The cached stepper of one residual block (``compiled``: see :class:`CachedPixelModel`)."""
    for kind, stepper in CACHED_BLOCKS.items():
        if isinstance(block, kind):
            return stepper(block, batch, width, channels, ops, compiled)
    raise ValueError(f"no cached engine for blocks of type {type(block).__name__}; use engine='naive'")


class CachedPixelModel:
    """Logits of one sub-pixel at a time of a :class:`PixelModel` on a (B, C, H, W) image.

    ``condition`` (B, U, H, W) are the conditioning maps of a multi-scale model's large part (§3.6).
    ``ops``: the arrays the per-pixel steps run on (default: numpy on the CPU, see :mod:`.array_ops`).
    ``compiled``: whether the per-pixel steps on numpy (and the Diagonal BiLSTM's row scans) run as
    compiled calls, one per layer (:mod:`.kernels`), rather than as numpy operations (default: for up to
    ``COMPILED_BATCH_LIMIT`` candidates).
    """

    STATE, PARTS = ("features", "skip_sum", "hidden"), ("stem", "blocks")

    def __init__(
        self,
        model: PixelModel,
        batch: int,
        height: int,
        width: int,
        condition: torch.Tensor | None = None,
        ops: ArrayOps | None = None,
        compiled: bool | None = None,
    ) -> None:
        self.model = model
        self.ops = array_ops_for(model.stem.weight) if ops is None else ops
        if compiled is None:
            compiled = self.ops is NUMPY_OPS and batch <= COMPILED_BATCH_LIMIT
        if compiled and self.ops is not NUMPY_OPS:
            raise ValueError("the compiled per-pixel steps run on numpy arrays only")
        self.compiled = compiled
        self.batch, self.height, self.width = batch, height, width
        cfg = model.config
        self.levels, self.channels, self.residual = cfg.levels, cfg.channels, cfg.residual
        self.all_conditions = None if condition is None else condition.permute(0, 2, 3, 1)  # (B, H, W, U)
        c = self.channels
        ops = self.ops
        self.skips = None if model.skips is None else [Pointwise(skip, c, ops) for skip in model.skips]
        self.head_hidden = Pointwise(model.head.hidden, c, ops)
        self.head_logits = Pointwise(model.head.logits, c, ops)  # group g = the logits of channel g
        # every level's scaled value, to look up the stem's input of one pixel (same as scale_levels)
        weight = model.stem.weight
        self.level_values = ops.view(scale_levels(torch.arange(cfg.levels, device=weight.device), cfg.levels, weight.dtype))
        self.feature_groups = group_slices(2 * cfg.hidden, c)
        self.head_groups = group_slices(cfg.out_hidden, c)
        # a model without skips: maps of no inputs in their place, so the compiled steps need no special case
        no_skip = [GroupLinear(weight.new_zeros(part.stop - part.start, 0), None, ops) for part in self.feature_groups]
        self.skip_groups = [no_skip] * cfg.layers if self.skips is None else [skip.groups for skip in self.skips]
        self.reset()

    def reset(self) -> None:
        """Forget every cached state; the next request recomputes from the top of the image."""
        self.active_batch: int | None = None

    def shared_prefix(self, x: torch.Tensor, row: int, col: int) -> bool:
        """Whether all candidates agree on everything before (row, col)."""
        if self.batch == 1:
            return False
        prefix = x.flatten(2)[:, :, : row * self.width + col]
        same = bool((prefix == prefix[:1]).all())
        if self.all_conditions is not None:
            same = same and bool((self.all_conditions == self.all_conditions[:1]).all())
        return same

    def build(self, batch: int) -> None:
        """Fresh caches for ``batch`` candidates, at the top of the image."""
        c, width = self.channels, self.width
        self.active_batch = batch
        self.condition = None if self.all_conditions is None else self.all_conditions[:batch]
        self.stem = RowCachedConv(self.model.stem, batch, width, c, self.ops)
        self.blocks = [cached_block(block, batch, width, c, self.ops, self.compiled) for block in self.model.blocks]
        # the current pixel's block inputs, skip sum and head hidden maps, filled one colour group at a time
        dtype_like = self.stem.weight
        self.features = [dtype_like.new_zeros(batch, 2 * self.model.config.hidden) for _ in range(len(self.blocks) + 1)]
        self.skip_sum = dtype_like.new_zeros(batch, 2 * self.model.config.hidden)
        self.hidden = dtype_like.new_zeros(batch, self.model.config.out_hidden)
        self.refresh_arrays()
        self.row, self.col, self.groups_done = 0, 0, 0
        self.completed_pixel: int | None = None  # column whose last channel was decided after its pass
        self.begin_row(None)

    def refresh_arrays(self) -> None:
        """The current pixel's maps and the conditioning as arrays of ``ops`` (renewed when replaced)."""
        view = self.ops.view
        self.feature_arrays = [view(features) for features in self.features]
        self.skip_sum_array, self.hidden_array = view(self.skip_sum), view(self.hidden)
        self.condition_array = None if self.condition is None else view(self.condition)
        self.no_condition = view(self.skip_sum.new_zeros(self.skip_sum.shape[0], 0))

    def scaled(self, x: torch.Tensor) -> torch.Tensor:
        return scale_levels(x, self.levels, self.stem.weight.dtype)

    def begin_row(self, x: torch.Tensor | None) -> None:
        """Start row ``self.row``; ``x`` holds the completed row above (None for the first row)."""
        image_above = condition_above = None
        if self.row > 0:
            image_above = self.scaled(x[:, :, self.row - 1].transpose(1, 2))
            condition_above = None if self.condition is None else self.condition[:, self.row - 1]
        self.stem.begin_row()
        for block in self.blocks:
            block.begin_row(self.row, image_above, condition_above)

    def logits(self, x: torch.Tensor, row: int, col: int, channel: int) -> torch.Tensor:
        """Logits (B, L) of sub-pixel (row, col, channel) given every sub-pixel before it in ``x``."""
        if self.active_batch is None or (row, col) < (self.row, self.col):
            self.build(1 if self.shared_prefix(x, row, col) else self.batch)
        full_x, x = x, x[: self.active_batch]
        self.store_completed_pixel(self.ops.view(x))
        while self.row < row:
            if self.col < self.width:
                self.advance(x, self.row, self.col, self.width)
            self.row, self.col = self.row + 1, 0
            self.begin_row(x)
        if self.col < col:
            self.advance(x, row, self.col, col)
            self.col, self.groups_done = col, 0
        if self.active_batch < self.batch:
            repeat_batch(self, self.batch)
            self.active_batch, self.condition, x = self.batch, self.all_conditions, full_x
            self.refresh_arrays()
        if channel < self.groups_done:
            self.groups_done = 0  # asked again: the pixel's earlier channels may have changed
        image = self.ops.view(x)
        logits = None
        for group in range(self.groups_done, channel + 1):
            if self.compiled:
                logits = self.compiled_group(image, row, col, group)
            else:
                self.advance_group(image, row, col, group)
        self.groups_done = channel + 1
        if self.groups_done == self.channels:
            self.col, self.groups_done, self.completed_pixel = col + 1, 0, col
        if logits is None:
            logits = self.head_logits.group(self.hidden_array, channel)
        return self.ops.tensor(logits)

    def store_completed_pixel(self, image) -> None:
        """The stem's input at a completed pixel was written before its last channel was decided
        (``image``: the sub-pixel values (B, C, H, W) as an array of ``ops``)."""
        if self.completed_pixel is not None:
            col = self.completed_pixel
            self.stem.write_group(self.level_values[image[:, :, self.row, col]], col, slice(None))
            self.completed_pixel = None

    def advance(self, x: torch.Tensor, row: int, start: int, stop: int) -> None:
        """Compute every layer at positions start..stop-1 of ``row``, all colour groups."""
        self.stem.write(self.scaled(x[:, :, row, start:stop].transpose(1, 2)), start)
        features = self.stem.compute(start, stop)
        condition = None if self.condition is None else self.condition[:, row, start:stop]
        for index, block in enumerate(self.blocks):
            out = block.advance(features, start, stop, condition)
            features = out + features if self.residual else out

    def advance_group(self, image, row: int, col: int, group: int) -> None:
        """Compute colour group ``group`` of every layer at (row, col), then of the head's hidden layer,
        on arrays of ``ops`` (``image``: the sub-pixel values (B, C, H, W))."""
        self.stem.write_group(self.level_values[image[:, :, row, col]], col, slice(None))
        part = self.feature_groups[group]
        features = self.feature_arrays[0]
        features[:, part] = self.stem.compute_group(col, group)
        condition = None if self.condition_array is None else self.condition_array[:, row, col]
        skip_sum = None
        for index, block in enumerate(self.blocks):
            out = block.advance_group(features, col, group, condition)
            following = self.feature_arrays[index + 1]
            if self.residual:
                self.ops.add(out, features[:, part], out=following[:, part])
            else:
                following[:, part] = out
            features = following
            if self.skips is not None:
                skipped = self.skips[index].group(features, group)
                if skip_sum is None:
                    skip_sum = skipped
                else:
                    skip_sum += skipped
        if skip_sum is not None:
            features = self.skip_sum_array
            features[:, part] = skip_sum
        head = self.head_groups[group]
        self.hidden_array[:, head] = self.ops.relu(self.head_hidden.group(self.ops.relu(features), group))

    def compiled_group(self, image, row: int, col: int, group: int):
        """:meth:`advance_group` as compiled calls (:mod:`.kernels`), one per layer; returns the logits
        (B, L) of channel ``group``."""
        stem, part = self.stem, self.feature_groups[group]
        features = self.feature_arrays[0]
        stem_linear = stem.groups[group]
        stem_group(
            self.level_values[image[:, :, row, col]], stem.buffer_array, col, stem.pad, stem.kernel_width,
            stem_linear.weight_t, stem_linear.bias_row, features, part.start, part.stop,
        )
        condition = self.no_condition if self.condition_array is None else self.condition_array[:, row, col]
        skip_sum = self.skip_sum_array[:, part]
        for index, block in enumerate(self.blocks):
            out = block.compiled_group(features, col, group, condition)
            following = self.feature_arrays[index + 1]
            skip = self.skip_groups[index][group]
            residual_group(
                out, features, part.start, part.stop, self.residual, following,
                self.skips is not None, skip.weight_t, skip.bias_row, skip_sum, index == 0,
            )
            features = following
        source = features if self.skips is None else self.skip_sum_array
        head, hidden, logits = self.head_groups[group], self.head_hidden.groups[group], self.head_logits.groups[group]
        out = np.empty((self.hidden_array.shape[0], logits.weight_t.shape[1]), self.hidden_array.dtype)
        head_group(
            source, hidden.weight_t, hidden.bias_row, self.hidden_array, head.start, head.stop,
            logits.weight_t, logits.bias_row, out,
        )
        return out
