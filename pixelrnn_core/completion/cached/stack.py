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

import numpy as np
import torch

from ...models.logistic_mixture import MIN_LOG_SCALE
from ...models.nonlinearities import relu
from ...models.pixel_model import PixelModel, scale_levels
from ...models.weights import DiagonalBiLSTMWeights, PixelCNNWeights, RowLSTMWeights
from .array_ops import NUMPY_OPS, ArrayOps, array_ops_for
from .block import CachedBlock
from .diagonal_bilstm import CachedDiagonalBiLSTMBlock
from .kernels import (
    add_linear,
    compiled,
    linear_into,
    mixture_log_probs_into,
    patch_linear_into,
    relu_in_place,
    relu_linear_into,
    write_inputs,
)
from .layers import Pointwise, RowCachedConv, group_slices, optional_linears, repeated
from .pixelcnn import CachedPixelCNNBlock
from .row_lstm import CachedRowLSTMBlock

# Most candidates the compiled per-pixel steps take; beyond, numpy's matrix products (BLAS) read each
# weight block once for all candidates faster than the compiled loops (benchmarks/compiled_steps.py).
COMPILED_BATCH_LIMIT = 8

# the cached form of each kind of residual block, by the type of the weights its model block hands over
CACHED_BLOCKS: dict[type, type[CachedBlock]] = {
    PixelCNNWeights: CachedPixelCNNBlock,
    RowLSTMWeights: CachedRowLSTMBlock,
    DiagonalBiLSTMWeights: CachedDiagonalBiLSTMBlock,
}


def cached_block(weights: object, batch: int, width: int, channels: int, ops: ArrayOps, compiled: bool) -> CachedBlock:
    """The cached form of one residual block from its weights (``compiled``: see :class:`CachedPixelModel`)."""
    kind = CACHED_BLOCKS.get(type(weights))
    if kind is None:
        raise ValueError(f"no cached engine for blocks with weights {type(weights).__name__}; use engine='naive'")
    return kind(weights, batch, width, channels, ops, compiled)


class CachedPixelModel:
    """Logits of one sub-pixel at a time of a :class:`PixelModel` on a (B, C, H, W) image.

    ``condition`` (B, U, H, W) are the conditioning maps of a multi-scale model's large part (§3.6).
    ``ops``: the arrays the per-pixel steps run on (default: numpy on the CPU, see :mod:`.array_ops`).
    ``compiled``: whether the per-pixel steps on numpy (and the Diagonal BiLSTM's row scans) run as
    compiled calls, one per layer (:meth:`compiled_group`), rather than as numpy calls of the blocks'
    shared maths (:meth:`advance_group`; default: compiled for up to ``COMPILED_BATCH_LIMIT`` candidates).
    """

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
        self.weights = weights = model.cached_weights()
        self.ops = array_ops_for(weights.stem.weight) if ops is None else ops
        if compiled is None:
            compiled = self.ops is NUMPY_OPS and batch <= COMPILED_BATCH_LIMIT
        if compiled and self.ops is not NUMPY_OPS:
            raise ValueError("the compiled per-pixel steps run on numpy arrays only")
        self.compiled = compiled
        self.batch, self.height, self.width = batch, height, width
        cfg = model.config
        self.levels, self.channels, self.residual = cfg.levels, cfg.channels, cfg.residual
        self.output_maps = cfg.output_maps  # per channel: L logits, or a mixture's 3K parameters
        self.mixture = cfg.output == "logistic_mixture"
        self.all_conditions = None if condition is None else condition.permute(0, 2, 3, 1)  # (B, H, W, U)
        c = self.channels
        ops = self.ops
        self.skips = None if weights.skips is None else [Pointwise(skip, c, ops) for skip in weights.skips]
        self.head_hidden = Pointwise(weights.head_hidden, c, ops)
        self.head_logits = Pointwise(weights.head_logits, c, ops)  # group g = the logits of channel g
        # every level's scaled value, to look up the stem's input of one pixel (same as scale_levels)
        weight = weights.stem.weight
        self.level_values = ops.view(scale_levels(torch.arange(cfg.levels, device=weight.device), cfg.levels, weight.dtype))
        self.feature_groups = group_slices(2 * cfg.hidden, c)
        self.head_groups = group_slices(cfg.out_hidden, c)
        # per layer and colour group, what the compiled steps read of the residual connections' weights
        # (see residual_group; maps of no inputs where there are no skips), and of the head's (head_group)
        sizes = [part.stop - part.start for part in self.feature_groups]
        self.residual_weights = [
            [
                (linear.arrays, part.start, part.stop, self.residual, self.skips is not None, index == 0)
                for linear, part in zip(optional_linears(skip, sizes, weight, ops), self.feature_groups)
            ]
            for index, skip in enumerate([None] * cfg.layers if self.skips is None else self.skips)
        ]
        self.head_weights = [
            (hidden.arrays, logits.arrays, part.start, part.stop)
            for hidden, logits, part in zip(self.head_hidden.groups, self.head_logits.groups, self.head_groups)
        ]
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
        self.stem = RowCachedConv(self.weights.stem, batch, width, c, self.ops)
        self.blocks = [cached_block(block, batch, width, c, self.ops, self.compiled) for block in self.weights.blocks]
        # per colour group, what the compiled steps read of the stem's weights (see stem_group)
        self.stem_weights = [
            (linear.arrays, self.stem.kernel_width, part.start, part.stop)
            for linear, part in zip(self.stem.groups, self.feature_groups)
        ]
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
        # per colour group (and layer), the states the compiled steps read and write
        self.stem_states = (self.stem.buffer_array, self.feature_arrays[0])
        self.residual_states = [
            [(inputs, following, self.skip_sum_array[:, part]) for part in self.feature_groups]
            for inputs, following in zip(self.feature_arrays, self.feature_arrays[1:])
        ]
        source = self.feature_arrays[-1] if self.skips is None else self.skip_sum_array
        self.head_states = (source, self.hidden_array)

    def repeat(self, count: int) -> None:
        """Turn the caches computed for one candidate into ``count`` identical candidates."""
        self.features = [repeated(features, count) for features in self.features]
        self.skip_sum, self.hidden = repeated(self.skip_sum, count), repeated(self.hidden, count)
        self.stem.repeat(count)
        for block in self.blocks:
            block.repeat(count)

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
        """Logits (B, L) of sub-pixel (row, col, channel) given every sub-pixel before it in ``x`` (for a
        logistic-mixture model its L log-probabilities, turned from the mixture's parameters as in
        ``forward``)."""
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
            self.repeat(self.batch)
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
        if self.compiled and self.mixture:
            return self.mixture_log_probs(logits)
        return self.model.head.pixel_scores(self.ops.tensor(logits))

    def mixture_log_probs(self, params: np.ndarray) -> torch.Tensor:
        """The L log-probabilities (B, L) of a logistic-mixture model's sub-pixel from its mixtures'
        parameters (B, 3K): what the head's ``pixel_scores`` gives, as one compiled call (a few dozen
        torch calls took a third of a fill's time)."""
        out = np.empty((len(params), self.levels))
        mixture_log_probs_into(params, self.levels, MIN_LOG_SCALE, out)
        return torch.from_numpy(out)

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
            following[:, part] = out + features[:, part] if self.residual else out
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
        self.hidden_array[:, head] = relu(self.head_hidden.group(relu(features), group))

    def compiled_group(self, image, row: int, col: int, group: int):
        """:meth:`advance_group` as compiled calls, one per layer; returns the output head's maps of
        channel ``group`` (B, maps): its logits (B, L), or its mixture's parameters."""
        stem_group(self.stem_weights[group], self.stem_states, self.level_values[image[:, :, row, col]], col)
        condition = self.no_condition if self.condition_array is None else self.condition_array[:, row, col]
        for index, block in enumerate(self.blocks):
            out = block.compiled_group(self.feature_arrays[index], col, group, condition)
            residual_group(self.residual_weights[index][group], self.residual_states[index][group], out)
        logits = np.empty((self.hidden_array.shape[0], self.output_maps), self.hidden_array.dtype)
        head_group(self.head_weights[group], self.head_states, logits)
        return logits


@compiled
def stem_group(weights, state, image_values, col):
    """The mask-A stem (§3.4) at current-row position ``col``: store the pixel's scaled values
    ``image_values (B, C)`` and write one colour group of its output maps. ``weights``: the group's
    linear, the kernel width and the group's range [start, stop) of the maps; ``state``: the stem's row
    buffer and the maps (B, 2h)."""
    linear, kernel_width, start, stop = weights
    buffer, features = state
    write_inputs(image_values, 0, image_values.shape[1], buffer, kernel_width // 2 + col)
    patch_linear_into(features[:, start:stop], linear, buffer, col, kernel_width)


@compiled
def residual_group(weights, state, out):
    """After a block (§3.5): its next input's group maps ``following[:, start:stop]`` are its output
    ``out`` (B, 2h_g), plus its input when ``residual``; with ``skip``, the group's share of the skip
    sum is set (``first``) or increased by the learnable 1 x 1 skip of ``following``. ``weights``: the
    skip's linear, the range, and the three switches; ``state``: the block's input and next input maps
    (B, 2h) and the group's share of the skip sum (B, 2h_g)."""
    skip_linear, start, stop, residual, skip, first = weights
    features, following, skip_sum = state
    for b in range(out.shape[0]):
        for f in range(stop - start):
            following[b, start + f] = out[b, f] + features[b, start + f] if residual else out[b, f]
    if skip:
        if first:
            linear_into(skip_sum, skip_linear, following)
        else:
            add_linear(skip_sum, skip_linear, following)


@compiled
def head_group(weights, state, logits):
    """The output head (Table 1) for colour group g: ``hidden[:, start:stop] = relu(relu(source) @ W +
    b)``, then channel g's ``logits (B, maps)`` from ``hidden``'s groups <= g. ``weights``: the group's
    hidden and logits linears and its range [start, stop) of the hidden maps; ``state``: ``source``
    (the skip sum, or the last block's output without skips) and ``hidden``."""
    hidden_linear, logits_linear, start, stop = weights
    source, hidden = state
    group = hidden[:, start:stop]
    relu_linear_into(group, hidden_linear, source)
    relu_in_place(group)
    linear_into(logits, logits_linear, hidden)
