"""A tiny model of each architecture learns a handful of images far below the uniform 8 bits/dim."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import pixelrnn_core as prc


def striped_images() -> torch.Tensor:
    """Four 8x8 RGB images of coloured horizontal stripes: predictable from the pixel to the left."""
    gen = torch.Generator().manual_seed(0)
    colours = torch.randint(0, 256, (4, 3, 8, 1), generator=gen)
    return colours.expand(4, 3, 8, 8).contiguous()


def bits_per_dim(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(model(x), x) / math.log(2)


@pytest.mark.parametrize("arch", ["pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale"])
def test_tiny_model_overfits_a_handful_of_images(arch):
    torch.manual_seed(0)
    model = prc.build_model(arch, channels=3, levels=256, hidden=12, layers=2, out_hidden=48)
    x = striped_images()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    start = bits_per_dim(model, x).item()
    for _ in range(150):
        optimizer.zero_grad()
        loss = bits_per_dim(model, x)
        loss.backward()
        optimizer.step()
    end = bits_per_dim(model, x).item()
    assert start > 7.5  # an untrained softmax is close to uniform over 256 levels
    assert end < 1.0, f"{arch} only reached {end:.2f} bits/dim"
