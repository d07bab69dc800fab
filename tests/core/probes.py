"""Black-box probes of a model's dependencies, through the public logits contract only."""
from __future__ import annotations

import torch


def subpixel_rank(model: torch.nn.Module, height: int, width: int, channels: int) -> torch.Tensor:
    """(H, W, C) position of every sub-pixel in the model's generation order (R -> G -> B in a pixel)."""
    pixel_rank = model.pixel_order(height, width)
    return pixel_rank[:, :, None] * channels + torch.arange(channels)


def perturbed(x: torch.Tensor, levels: int, i: int, j: int, c: int | None = None) -> torch.Tensor:
    """``x`` with sub-pixel (i, j, c) -- or every channel of pixel (i, j) -- moved half the range away."""
    y = x.clone()
    channels = slice(None) if c is None else c
    y[:, channels, i, j] = (y[:, channels, i, j] + levels // 2) % levels
    return y


def logit_change(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Largest absolute logit change per sub-pixel, (H, W, C), between inputs x and y."""
    with torch.no_grad():
        diff = (model(x) - model(y)).abs()
    return diff.amax(dim=(0, 1)).permute(1, 2, 0)


def influence_map(model, images: list[torch.Tensor], levels: int, target: tuple[int, int]) -> torch.Tensor:
    """Bool (H, W): which pixels change the logits of the target pixel's first channel, over ``images``."""
    _, _, height, width = images[0].shape
    seen = torch.zeros(height, width, dtype=torch.bool)
    for x in images:
        for i in range(height):
            for j in range(width):
                change = logit_change(model, x, perturbed(x, levels, i, j))
                seen[i, j] |= bool(change[target[0], target[1], 0] > 1e-9)
    return seen
