"""Masked convolutions evaluated on a few positions of one row, for the cached blocks.

Fast PixelCNN++ (Ramachandran et al. 2017) keeps, per layer, the rows of its input that the
layer's kernel reaches, and computes only the outputs the next sample needs. A mask-A/B kernel never
reads rows below the current one, so a k x k kernel reaches ``k // 2 + 1`` rows: those above and the
current row. Features of a row segment are laid out ``(batch, positions, features)`` so that every
1 x 1 convolution is one matrix product.

Colour groups (§3.4): the features of colour group g at a pixel depend on that pixel's channels < g
only. So when channel g of the current pixel is to be sampled, only group g of every layer needs
computing there -- the rows of each weight that belong to group g (:class:`GroupLinear`,
:meth:`RowCachedConv.compute_group`) -- and after the last channel the pixel is complete. A block's
maths (beside its model block) runs on a row segment with the layers here applied to the segment
(:class:`Pointwise`, :meth:`RowCachedConv.on_segment`), and on one colour group of one pixel with their
shares of that group (``Pointwise.groups[g]``, :meth:`RowCachedConv.on_group`).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ...models.masks import channel_groups
from ...models.weights import ConvWeights, Layer
from .array_ops import ArrayOps


def group_slices(features: int, channels: int) -> list[slice]:
    """The contiguous range of each colour group among ``features`` maps (see masks.channel_groups)."""
    groups = channel_groups(features, channels)
    return [slice(int(idx[0]), int(idx[-1]) + 1) for idx in (torch.nonzero(groups == g)[:, 0] for g in range(channels))]


def rows_by_group(
    weight: torch.Tensor, bias: torch.Tensor | None, out_groups: torch.Tensor, channels: int
) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
    """For each colour group, the (contiguous) rows of a 2-D weight and of its bias that produce it."""
    parts = []
    for g in range(channels):
        rows = torch.nonzero(out_groups == g)[:, 0].to(weight.device)
        parts.append((weight[rows].contiguous(), None if bias is None else bias[rows].contiguous()))
    return parts


class GroupLinear:
    """One colour group's share of a linear map: the transposed weight ``(used, O_g)`` over the first
    ``used`` inputs only -- every input after them has a zero weight in this group (the masks' zeros:
    later colour groups, taps right of the centre), so dropping them changes nothing but the work.
    Weight and bias are held as arrays of ``ops``; ``bias_row`` is the bias as one row ``(1, O_g)``,
    zeros where there is none; ``arrays`` is the pair as the compiled steps take it (:mod:`.kernels`).
    Called on inputs ``(B, >= used)``, it is a :data:`~pixelrnn_core.models.weights.Layer` of the
    per-pixel steps."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, ops: ArrayOps) -> None:
        nonzero = torch.nonzero(weight.ne(0).any(0))
        self.used = int(nonzero[-1]) + 1 if len(nonzero) else 0
        self.weight_t = ops.view(weight[:, : self.used].t().contiguous())
        self.bias = None if bias is None else ops.view(bias.contiguous())
        row = weight.new_zeros(weight.shape[0]) if bias is None else bias
        self.bias_row = ops.view(row.reshape(1, -1).contiguous())
        self.arrays = (self.weight_t, self.bias_row)

    def __call__(self, inputs, with_bias: bool = True):
        """``inputs (B, >= used) @ weight + bias`` as a new array (without the bias if ``with_bias`` is
        false, for a caller that has folded it in elsewhere)."""
        out = inputs[:, : self.used] @ self.weight_t
        if with_bias and self.bias is not None:
            out += self.bias
        return out


def group_linears(
    weight: torch.Tensor, bias: torch.Tensor | None, out_groups: torch.Tensor, channels: int, ops: ArrayOps
) -> list[GroupLinear]:
    """:class:`GroupLinear` of each colour group of a 2-D weight ``(O, F)`` and its bias."""
    return [GroupLinear(rows, row_bias, ops) for rows, row_bias in rows_by_group(weight, bias, out_groups, channels)]


def optional_linears(
    pointwise: Pointwise | None, sizes: list[int], reference: torch.Tensor, ops: ArrayOps
) -> list[GroupLinear]:
    """Each colour group's share of a 1x1 map a model may lack (a multi-scale model's conditioning,
    §3.6; the skips); in its absence, maps of no inputs that add nothing (outputs of ``sizes``), so the
    compiled steps need no special case."""
    if pointwise is not None:
        return pointwise.groups
    return [GroupLinear(reference.new_zeros(size, 0), None, ops) for size in sizes]


def scratch(ops: ArrayOps, reference: torch.Tensor, batch: int, sizes: list[int]) -> list:
    """One ``(batch, size)`` array of ``ops`` per size, for the compiled steps to write into."""
    return [ops.view(reference.new_zeros(batch, size)) for size in sizes]


def repeated(tensor: torch.Tensor, count: int) -> torch.Tensor:
    """A state computed for one candidate, as ``count`` identical candidates (a new tensor)."""
    return tensor.expand(count, *tensor.shape[1:]).clone()


class Pointwise:
    """A 1 x 1 convolution applied to a row segment ``(B, n, F) -> (B, n, O)``.

    The colour group of each output map (``weights.out_groups``) lets :meth:`group` compute one group's
    outputs alone.
    """

    def __init__(self, weights: ConvWeights, channels: int, ops: ArrayOps) -> None:
        if weights.weight.shape[2:] != (1, 1):
            raise ValueError(f"expected a 1x1 convolution, got a {tuple(weights.weight.shape[2:])} kernel")
        self.weight, self.bias = weights.weight[:, :, 0, 0], weights.bias
        self.groups = group_linears(self.weight, self.bias, weights.out_groups, channels, ops)

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        return F.linear(features, self.weight, self.bias)

    def group(self, features, group: int):
        """The outputs ``(B, O_g)`` of colour group ``group`` only, for inputs ``(B, F)`` (arrays of
        ``ops``)."""
        return self.groups[group](features)


class RowCachedConv:
    """A masked k_h x k_w convolution that keeps the rows of its input its kernel reaches.

    Call :meth:`begin_row` before the first position of each row (rows above the image read as zeros,
    the convolution's own padding), :meth:`write` the input of a segment of the current row, then
    :meth:`compute` the segment's outputs. Positions right of the segment in the current row are masked
    out of every output, so whatever they hold does not matter.
    """

    def __init__(self, weights: ConvWeights, batch: int, width: int, channels: int, ops: ArrayOps) -> None:
        weight = weights.weight
        out_features, in_features, kernel_height, kernel_width = weight.shape
        self.rows = kernel_height // 2 + 1
        self.pad = kernel_width // 2
        self.kernel_width = kernel_width
        # (O, rows, kw, F) flattened to match the patches gathered in compute()
        self.weight = weight[:, :, : self.rows].permute(0, 2, 3, 1).reshape(out_features, -1)
        self.bias = weights.bias
        self.groups = group_linears(self.weight, self.bias, weights.out_groups, channels, ops)
        self.ops = ops
        self.buffer = weight.new_zeros(batch, self.rows, width + 2 * self.pad, in_features)
        self.refresh_arrays()

    def refresh_arrays(self) -> None:
        """The buffer as an array of ``ops``, for the per-pixel steps (renewed when it is replaced)."""
        self.buffer_array = self.ops.view(self.buffer)

    def repeat(self, count: int) -> None:
        """Turn the buffer of one candidate into ``count`` identical ones."""
        self.buffer = repeated(self.buffer, count)
        self.refresh_arrays()

    def begin_row(self) -> None:
        """Drop the oldest row and start an empty current row."""
        if self.rows > 1:
            self.buffer[:, :-1] = self.buffer[:, 1:].clone()
        self.buffer[:, -1].zero_()

    def write(self, features: torch.Tensor, start: int) -> None:
        """Store the input ``(B, n, F)`` of current-row positions ``start .. start + n - 1``."""
        self.buffer[:, -1, self.pad + start : self.pad + start + features.shape[1]] = features

    def compute(self, start: int, stop: int, with_bias: bool = True) -> torch.Tensor:
        """Outputs ``(B, n, O)`` at current-row positions ``start .. stop - 1`` (without the bias if
        ``with_bias`` is false, for a caller that has folded it in elsewhere)."""
        window = self.buffer[:, :, start : stop + 2 * self.pad]
        # (B, rows, n, F, kw) -> (B, n, rows, kw, F)
        patches = window.unfold(2, self.kernel_width, 1).permute(0, 2, 1, 4, 3)
        batch, positions = patches.shape[:2]
        return F.linear(patches.reshape(batch, positions, -1), self.weight, self.bias if with_bias else None)

    def write_group(self, features, col: int, features_slice: slice) -> None:
        """Store the input maps ``features_slice`` (B, n) of current-row position ``col`` (an array of
        ``ops``)."""
        self.buffer_array[:, -1, self.pad + col, features_slice] = features

    def compute_group(self, col: int, group: int, with_bias: bool = True):
        """Outputs ``(B, O_g)`` (an array of ``ops``) of colour group ``group`` at current-row position
        ``col`` (see :class:`GroupLinear` for ``with_bias``)."""
        patch = self.buffer_array[:, :, col : col + self.kernel_width]
        return self.groups[group](patch.reshape(patch.shape[0], -1), with_bias)

    def on_segment(self, start: int, stop: int, with_bias: bool = True) -> Layer:
        """This convolution as a layer on a row segment: it stores the inputs ``(B, n, F)`` of current-row
        positions ``start .. stop - 1`` and returns their outputs ``(B, n, O)``."""

        def layer(features: torch.Tensor) -> torch.Tensor:
            self.write(features, start)
            return self.compute(start, stop, with_bias)

        return layer

    def on_group(self, col: int, group: int, inputs: slice, with_bias: bool = True) -> Layer:
        """This convolution as a layer on one colour group of one pixel: it stores the input maps
        ``inputs`` (B, F_g) of current-row position ``col`` and returns the outputs (B, O_g) of colour
        group ``group`` there (arrays of ``ops``)."""

        def layer(features):
            self.write_group(features, col, inputs)
            return self.compute_group(col, group, with_bias)

        return layer
