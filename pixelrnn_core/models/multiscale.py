"""Multi-Scale PixelRNN (paper §3.6): a small image first, then the full image conditioned on it.

An unconditional PixelRNN models the s x s image subsampled from the n x n one (every ``scale``-th pixel
of every ``scale``-th row). A conditional PixelRNN models the rest: the small image goes through a
deconvolutional upsampling net, and every layer of the conditional model adds an unmasked 1x1 conv of
the result to its input-to-state maps. The joint likelihood counts every sub-pixel once: the subsampled
positions' logits come from the small model, all other positions' logits from the conditional model.
Generation order: the subsampled pixels in raster order, then the remaining pixels in raster order.
"""
from __future__ import annotations

import torch
from torch import nn

from .architectures import single_scale_model
from .config import ModelConfig
from .pixel_model import OutputHead, check_input, scale_levels


class Upsampler(nn.Module):
    """The deconvolutional net from the s x s image to conditioning maps at full size (§3.6)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        u = config.upsample_features
        self.net = nn.Sequential(
            nn.Conv2d(config.channels, u, 3, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(u, u, config.scale, stride=config.scale),
            nn.ReLU(),
            nn.Conv2d(u, u, 3, padding=1),
        )

    def forward(self, small: torch.Tensor, height: int, width: int) -> torch.Tensor:
        return self.net(small)[:, :, :height, :width]


class MultiScalePixelRNN(nn.Module):
    """Two PixelRNNs of ``config.base_arch`` composed into one model with the usual logits contract."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        base = config.replace(arch=config.base_arch)
        self.small = single_scale_model(base)
        self.upsampler = Upsampler(config)
        self.large = single_scale_model(base.replace(cond_features=config.upsample_features))

    def subsample(self, x: torch.Tensor) -> torch.Tensor:
        """The small image: every ``scale``-th pixel of every ``scale``-th row, from (0, 0)."""
        s = self.config.scale
        return x[:, :, ::s, ::s]

    def condition(self, small: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """Conditioning maps for the large model from a complete small image."""
        dtype = self.upsampler.net[0].weight.dtype
        image = scale_levels(small, self.config.levels, dtype).contiguous(memory_format=self.large.feature_layout)
        return self.upsampler(image, height, width)

    def pixel_order(self, height: int, width: int) -> torch.Tensor:
        """Rank of each pixel in the generation order: small-image pixels first, then the rest."""
        s = self.config.scale
        is_small = torch.zeros(height, width, dtype=torch.bool)
        is_small[::s, ::s] = True
        keys = (~is_small).long() * (height * width) + torch.arange(height * width).view(height, width)
        return keys.flatten().argsort().argsort().view(height, width)

    @property
    def head(self) -> OutputHead:
        """The output layer that turns :meth:`head_outputs` into scores (both scales' heads score alike)."""
        return self.large.head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, L, C, H, W) of every sub-pixel given those before it in :meth:`pixel_order`."""
        return self.head.scores(self.head_outputs(x))

    def head_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """The output head's maps (B, C * maps, H, W): the small model's at the subsampled positions,
        the conditional model's elsewhere."""
        cfg = self.config
        check_input(x, cfg.channels, cfg.levels)
        small = self.subsample(x)
        outputs = self.large.head_outputs(x, self.condition(small, x.shape[2], x.shape[3])).clone()
        outputs[:, :, :: cfg.scale, :: cfg.scale] = self.small.head_outputs(small)
        return outputs

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """log p (B, C, H, W) of each sub-pixel's value given those before it in :meth:`pixel_order`
        (see :meth:`PixelModel.log_likelihood`)."""
        cfg = self.config
        check_input(x, cfg.channels, cfg.levels)
        small = self.subsample(x)
        log_likelihood = self.large.log_likelihood(x, self.condition(small, x.shape[2], x.shape[3])).clone()
        log_likelihood[:, :, :: cfg.scale, :: cfg.scale] = self.small.log_likelihood(small)
        return log_likelihood

