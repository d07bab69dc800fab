"""Masked convolutions with the R -> G -> B channel grouping (paper §3.4).

Every feature map, the hidden ones included, is split into ``C`` contiguous groups, one per colour
channel. At the current pixel, a feature of group ``g`` may read the input features of

* groups ``< g`` under **mask A** (the first layer: a colour never sees itself), or
* groups ``<= g`` under **mask B** (every later layer: a feature may read its own group, which by
  induction holds only information the colour is allowed to see).

Positions above the current row, and left of the current pixel in the current row, are always visible;
positions after the current pixel never are. Grayscale (``C = 1``) is the same code with one group.
The mask multiplies the weight in every forward pass, so no optimiser can leak through a masked weight
(the paper instead zeroes masked weights after each update, §3.4).
"""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

MaskType = Literal["A", "B"]


def channel_groups(features: int, channels: int) -> torch.Tensor:
    """Colour group (``0 .. channels-1``) of each of ``features`` feature maps: contiguous, near-equal."""
    if features < channels:
        raise ValueError(f"{features} feature maps cannot be split into {channels} colour groups")
    return torch.arange(features) * channels // features


def gate_groups(hidden: int, channels: int, gates: int = 4) -> torch.Tensor:
    """Groups of an LSTM's stacked gate maps ``[o, f, i, g]``: each gate repeats the ``hidden`` grouping,
    so gate feature ``k`` of every gate belongs to the same colour as state feature ``k`` (§3.1, §3.4)."""
    return channel_groups(hidden, channels).repeat(gates)


def causal_mask(
    kernel_size: tuple[int, int],
    in_groups: torch.Tensor,
    out_groups: torch.Tensor,
    mask_type: MaskType,
) -> torch.Tensor:
    """The ``(out, in, kh, kw)`` 0/1 mask of a convolution centred on the current pixel (§3.4)."""
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B', not {mask_type!r}")
    kh, kw = kernel_size
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"a masked convolution needs an odd kernel to have a centre, got {kh}x{kw}")
    row, col = kh // 2, kw // 2
    mask = torch.ones(len(out_groups), len(in_groups), kh, kw)
    mask[:, :, row, col + 1 :] = 0
    mask[:, :, row + 1 :, :] = 0
    if mask_type == "A":
        sees_current = out_groups[:, None] > in_groups[None, :]
    else:
        sees_current = out_groups[:, None] >= in_groups[None, :]
    mask[:, :, row, col] = sees_current.float()
    return mask


class MaskedConv2d(nn.Conv2d):
    """A 'same'-padded convolution whose weight is multiplied by a causal mask (§3.4).

    ``in_groups``/``out_groups`` give each feature's colour group; by default the features are split
    contiguously into ``channels`` groups (see :func:`channel_groups`).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        kernel_size: int | tuple[int, int],
        mask_type: MaskType,
        channels: int,
        in_groups: torch.Tensor | None = None,
        out_groups: torch.Tensor | None = None,
    ) -> None:
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        super().__init__(in_features, out_features, (kh, kw), padding=(kh // 2, kw // 2))
        in_groups = channel_groups(in_features, channels) if in_groups is None else in_groups
        out_groups = channel_groups(out_features, channels) if out_groups is None else out_groups
        self.mask_type = mask_type
        self.register_buffer(
            "mask", causal_mask((kh, kw), in_groups, out_groups, mask_type), persistent=False
        )
        self.register_buffer("out_groups", out_groups, persistent=False)

    def masked_weight(self) -> torch.Tensor:
        """The weight with every forbidden connection zeroed."""
        return self.weight * self.mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The masked convolution, run on the kernel's unmasked rows and columns only.

        Every row below the centre is masked out (§3.4), so convolving with the top ``kh // 2 + 1`` rows
        gives the same sums without multiplying the zero rows (a 3x3 becomes a 2x3, the 7x7 a 4x7). The
        symmetric padding then yields ``kh // 2`` extra output rows at the bottom, which are dropped.
        A one-row kernel is the centre row alone, whose columns right of the centre are masked too: it
        runs on the columns up to the centre over the input padded on the left only (a 1x3 becomes a 1x2).
        """
        kh, kw = self.kernel_size
        weight = self.convolved_weight()
        if kh == 1 and kw > 1:
            return F.conv2d(F.pad(x, (kw // 2, 0)), weight, self.bias)
        return F.conv2d(x, weight, self.bias, padding=self.padding)[:, :, : x.shape[-2]]

    def convolved_weight(self) -> torch.Tensor:
        """The part of the masked weight :meth:`forward` convolves with: the rows down to the centre, and
        of a one-row kernel the columns up to the centre."""
        kh, kw = self.kernel_size
        if kh == 1:
            return self.masked_weight()[..., : kw // 2 + 1]
        return self.masked_weight()[:, :, : kh // 2 + 1]
