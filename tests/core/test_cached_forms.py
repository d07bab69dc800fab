"""A new architecture without a cached form still completes with the naive engine, and the cached one
says so clearly instead of failing inside."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import pixelrnn_core as prc
from pixelrnn_core.models.config import ModelConfig
from pixelrnn_core.models.masks import MaskedConv2d
from pixelrnn_core.models.pixel_model import PixelModel


class ReLUBlock(nn.Module):
    """A residual block of one masked 1x1 convolution; it hands over no weights for a cached form."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.conv = MaskedConv2d(2 * config.hidden, 2 * config.hidden, 1, "B", config.channels)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return self.conv(torch.relu(x))


class ReLUBlockWithUnknownWeights(ReLUBlock):
    def cached_weights(self) -> tuple:
        return (self.conv.weight,)


@pytest.mark.parametrize("block", [ReLUBlock, ReLUBlockWithUnknownWeights])
def test_architecture_without_cached_form_needs_the_naive_engine(block):
    architecture = type("ReLUModel", (PixelModel,), {"make_block": lambda self, config: block(config)})
    model = architecture(ModelConfig(arch="pixelcnn", channels=3, levels=4, hidden=3, layers=1, out_hidden=3)).eval()
    image = np.zeros((3, 3, 3), dtype=np.uint8)
    mask = np.zeros((3, 3), dtype=bool)
    mask[2] = True
    with pytest.raises(ValueError, match="engine='naive'"):
        prc.complete(model, image, mask, engine="cached")
    filled = prc.complete(model, image, mask, engine="naive")
    assert filled.shape == (1, 3, 3, 3) and (filled[0][~mask] == 0).all()
