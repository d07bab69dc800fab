"""PixelCNN (paper §3.5, Figure 5): residual blocks of 1x1 -> 3x3 -> 1x1 mask-B convolutions.

Its receptive field is bounded by the depth and has a blind spot up and to the right of the pixel,
which the recurrent architectures do not have (§3.5).
"""
from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig
from .masks import MaskedConv2d
from .nonlinearities import Array, relu
from .pixel_model import PixelModel
from .weights import Layer, PixelCNNWeights, conv_weights


def pixelcnn_block(
    x: Array,
    condition: Array | None,
    reduce: Layer,
    conv: Layer,
    expand: Layer,
    condition_to_hidden: Layer | None,
) -> Array:
    """A PixelCNN block's body (Figure 5): ReLU, 1x1 (2h -> h), ReLU, k x k (h -> h), plus the 1x1 of a
    multi-scale model's conditioning maps (§3.6) where it has one, ReLU, 1x1 (h -> 2h) (shared by
    ``forward`` and the cached engine, see :data:`.weights.Layer`; tensors or numpy arrays)."""
    hidden = conv(relu(reduce(relu(x))))
    if condition_to_hidden is not None:
        hidden = hidden + condition_to_hidden(condition)
    return expand(relu(hidden))


class PixelCNNBlock(nn.Module):
    """ReLU, 1x1 (2h -> h), ReLU, k x k (h -> h), ReLU, 1x1 (h -> 2h); all mask B (Figure 5)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        h, c = config.hidden, config.channels
        self.reduce = MaskedConv2d(2 * h, h, 1, "B", c)
        self.conv = MaskedConv2d(h, h, config.kernel, "B", c)
        self.expand = MaskedConv2d(h, 2 * h, 1, "B", c)
        self.condition = nn.Conv2d(config.cond_features, h, 1) if config.cond_features else None

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return pixelcnn_block(x, condition, self.reduce, self.conv, self.expand, self.condition)

    def cached_weights(self) -> PixelCNNWeights:
        """The weights the cached engine evaluates this block with."""
        condition = None if self.condition is None else conv_weights(self.condition, self.conv.out_groups)
        return PixelCNNWeights(conv_weights(self.reduce), conv_weights(self.conv), conv_weights(self.expand), condition)


class PixelCNN(PixelModel):
    """PixelCNN: 7x7 mask-A conv, residual PixelCNN blocks, ReLU + 1x1 mask-B output (Table 1)."""

    def make_block(self, config: ModelConfig) -> nn.Module:
        return PixelCNNBlock(config)
