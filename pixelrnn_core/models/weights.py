"""The weights of a model as applied, bundled per block, for evaluators other than ``forward``.

The cached engine (``pixelrnn_core.completion.cached``) evaluates a model one sub-pixel at a time from
the same weights its ``forward`` applies. It reads them only through these bundles: each residual
block hands over its own in one call (``cached_weights()``, see :class:`CachedWeightsSource`), and the
type of the bundle selects the block's cached form. Weights are detached, masked convolutions' weights
masked, and every map carries its colour group (§3.4). Gate maps of an LSTM are stacked ``[o, f, i, g]``
(eq. 3).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable

import torch
from torch import nn

from .masks import MaskedConv2d

# A layer as the maths shared by ``forward`` and the cached engine takes it: the model's own module on
# (B, F, H, W) maps, or the engine's equivalent on its own layout: a row segment's (B, n, F), or one
# colour group of one pixel, (B, F) -> (B, O_g), as tensors or numpy arrays (see .nonlinearities).
Layer = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class ConvWeights:
    """A convolution as it is applied: ``weight`` (O, I, *kernel) with every masked connection zeroed,
    ``bias`` (O,) or None, and ``out_groups`` (O,), the colour group of each output map."""

    weight: torch.Tensor
    bias: torch.Tensor | None
    out_groups: torch.Tensor


def conv_weights(conv: nn.Conv1d | nn.Conv2d, out_groups: torch.Tensor | None = None) -> ConvWeights:
    """The :class:`ConvWeights` of ``conv``, contiguous whatever the layout the model trains in;
    ``out_groups`` by default those of a :class:`MaskedConv2d` (an unmasked convolution must be given them)."""
    weight = conv.masked_weight() if isinstance(conv, MaskedConv2d) else conv.weight
    out_groups = conv.out_groups if out_groups is None else out_groups
    return ConvWeights(weight.detach().contiguous(), None if conv.bias is None else conv.bias.detach(), out_groups)


@runtime_checkable
class CachedWeightsSource(Protocol):
    """A residual block the cached engine can evaluate: it hands over the weights its cached form needs
    as one of the bundles below."""

    def cached_weights(self) -> object: ...


@dataclass(frozen=True)
class PixelCNNWeights:
    """A PixelCNN block (§3.5)."""

    reduce: ConvWeights  # 1x1 mask B, 2h -> h
    conv: ConvWeights  # k x k mask B, h -> h
    expand: ConvWeights  # 1x1 mask B, h -> 2h
    condition: ConvWeights | None  # unmasked 1x1 of a multi-scale model's conditioning maps, U -> h (§3.6)


@dataclass(frozen=True)
class RowLSTMWeights:
    """A Row LSTM block (§3.1)."""

    input_to_state: ConvWeights  # k x 1 mask B along the row, 2h -> 4h
    state_to_state: ConvWeights  # unmasked k-tap Conv1d over the row above, h -> 4h, padded k // 2
    initial_hidden: torch.Tensor  # (h,), the state above the first row
    initial_cell: torch.Tensor  # (h,)
    output: ConvWeights  # 1x1 mask B, h -> 2h
    condition: ConvWeights | None  # unmasked 1x1 of a multi-scale model's conditioning maps, U -> 4h


@dataclass(frozen=True)
class DiagonalLSTMWeights:
    """One direction of a Diagonal BiLSTM block (§3.2)."""

    input_to_state: ConvWeights  # 1x1 mask B, 2h -> 4h
    state_to_state: ConvWeights  # unmasked 2-tap Conv1d, h -> 4h: tap 0 reads the state above, tap 1 the side
    initial_hidden: torch.Tensor  # (h,), the state above and left of the image
    initial_cell: torch.Tensor  # (h,)
    condition: ConvWeights | None  # unmasked 1x1 of a multi-scale model's conditioning maps, U -> 4h
    image_to_state: ConvWeights | None  # unmasked 1x1 of the scaled image, C -> 4h (right-to-left only)


@dataclass(frozen=True)
class DiagonalBiLSTMWeights:
    """A Diagonal BiLSTM block (§3.2): both directions and the output 1x1."""

    left_to_right: DiagonalLSTMWeights
    right_to_left: DiagonalLSTMWeights
    output: ConvWeights  # 1x1 mask B, h -> 2h


@dataclass(frozen=True)
class PixelModelWeights:
    """A single-scale model (Table 1): what every architecture shares, and its blocks' bundles."""

    stem: ConvWeights  # first_kernel x first_kernel mask A, C -> 2h
    blocks: list  # each residual block's cached_weights()
    skips: list[ConvWeights] | None  # 1x1 mask B, 2h -> 2h, one per block
    head_hidden: ConvWeights  # 1x1 mask B, 2h -> out_hidden
    head_logits: ConvWeights  # 1x1 mask B, out_hidden -> C * maps (L logits or 3K mixture parameters), channel-major
