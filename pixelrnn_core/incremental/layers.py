"""Masked convolutions evaluated on a few positions of one row, for the cached steppers.

Fast PixelCNN++ (Ramachandran et al. 2017, PAPER.md §3) keeps, per layer, the rows of its input that the
layer's kernel reaches, and computes only the outputs the next sample needs. A mask-B/A kernel never
reads rows below the current one, so a k x k kernel reaches ``k // 2 + 1`` rows: those above and the
current row. Features of a row segment are laid out ``(batch, positions, features)`` so that every
1 x 1 convolution is one matrix product.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..masks import MaskedConv2d


def conv_weight(conv: nn.Conv2d) -> torch.Tensor:
    """The weight a convolution applies: masked if it is a :class:`MaskedConv2d`, detached."""
    weight = conv.masked_weight() if isinstance(conv, MaskedConv2d) else conv.weight
    return weight.detach()


class Pointwise:
    """A 1 x 1 convolution applied to a row segment ``(B, n, F) -> (B, n, O)``."""

    def __init__(self, conv: nn.Conv2d) -> None:
        weight = conv_weight(conv)
        if weight.shape[2:] != (1, 1):
            raise ValueError(f"expected a 1x1 convolution, got a {tuple(weight.shape[2:])} kernel")
        self.weight = weight[:, :, 0, 0]
        self.bias = None if conv.bias is None else conv.bias.detach()

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        return F.linear(features, self.weight, self.bias)


class RowCachedConv:
    """A masked k_h x k_w convolution that keeps the rows of its input its kernel reaches.

    Call :meth:`begin_row` before the first position of each row (rows above the image read as zeros,
    the convolution's own padding), :meth:`write` the input of a segment of the current row, then
    :meth:`compute` the segment's outputs. Positions right of the segment in the current row are masked
    out of every output, so whatever they hold does not matter.
    """

    def __init__(self, conv: MaskedConv2d, batch: int, width: int) -> None:
        weight = conv_weight(conv)
        out_features, in_features, kernel_height, kernel_width = weight.shape
        self.rows = kernel_height // 2 + 1
        self.pad = kernel_width // 2
        self.kernel_width = kernel_width
        # (O, rows, kw, F) flattened to match the patches gathered in compute()
        self.weight = weight[:, :, : self.rows].permute(0, 2, 3, 1).reshape(out_features, -1)
        self.bias = None if conv.bias is None else conv.bias.detach()
        self.buffer = weight.new_zeros(batch, self.rows, width + 2 * self.pad, in_features)

    def begin_row(self) -> None:
        """Drop the oldest row and start an empty current row."""
        if self.rows > 1:
            self.buffer[:, :-1] = self.buffer[:, 1:].clone()
        self.buffer[:, -1].zero_()

    def write(self, features: torch.Tensor, start: int) -> None:
        """Store the input ``(B, n, F)`` of current-row positions ``start .. start + n - 1``."""
        self.buffer[:, -1, self.pad + start : self.pad + start + features.shape[1]] = features

    def compute(self, start: int, stop: int) -> torch.Tensor:
        """Outputs ``(B, n, O)`` at current-row positions ``start .. stop - 1``."""
        window = self.buffer[:, :, start : stop + 2 * self.pad]
        # (B, rows, n, F, kw) -> (B, n, rows, kw, F)
        patches = window.unfold(2, self.kernel_width, 1).permute(0, 2, 1, 4, 3)
        batch, positions = patches.shape[:2]
        return F.linear(patches.reshape(batch, positions, -1), self.weight, self.bias)
