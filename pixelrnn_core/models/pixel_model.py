"""What every single-scale PixelRNN shares (paper Table 1, §3.3, §3.4).

    x (B, C, H, W) ints -> scaled to [-1, 1]
      -> 7x7 conv, mask A                       2h maps
      -> ``layers`` residual blocks              2h maps each (architecture specific),
                                                 each output under dropout while training
      -> sum of learnable 1x1 mask-B skips      (or the last block's output without skips)
      -> ReLU, 1x1 mask B -> ReLU, 1x1 mask B   C * L maps (C * 3K for a logistic mixture)
      -> logits (B, L, C, H, W): an L-way softmax per sub-pixel (for a mixture, its L log-probabilities)

An architecture only supplies its block (``make_block``). A block maps 2h maps to 2h maps and may take
conditioning maps (multi-scale, §3.6) that it adds to its input-to-state maps. For the cached engine
(``pixelrnn_core.completion.cached``) a block also hands over its weights as applied, in one bundle
(:mod:`.weights`).
"""
from __future__ import annotations

import torch
from torch import nn

from ..pixels.levels import scale_levels
from .config import ModelConfig
from .logistic_mixture import initial_bias, mixture_log_likelihood_maps, mixture_log_prob_maps, mixture_log_probs
from .masks import MaskedConv2d
from .weights import CachedWeightsSource, PixelModelWeights, conv_weights


def layout_of(maps: torch.Tensor) -> torch.memory_format:
    """channels-last if ``maps`` (B, C, H, W) are stored channels-last (and not also plain contiguous, as
    maps with one channel or one pixel can be), else contiguous."""
    if maps.is_contiguous(memory_format=torch.channels_last) and not maps.is_contiguous():
        return torch.channels_last
    return torch.contiguous_format


def check_input(x: torch.Tensor, channels: int, levels: int) -> None:
    """Raise a clear ValueError unless ``x`` is an integer (B, channels, H, W) tensor in [0, levels)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor of sub-pixel values, got {type(x).__name__}")
    if x.dtype.is_floating_point or x.dtype.is_complex or x.dtype == torch.bool:
        raise TypeError(f"expected an integer tensor of levels (int64), got dtype {x.dtype}")
    if x.dim() != 4 or x.shape[1] != channels:
        raise ValueError(f"expected shape (batch, {channels}, height, width), got {tuple(x.shape)}")
    if x.is_cuda and torch.cuda.is_current_stream_capturing():
        return  # recording a CUDA graph, where reading the values back is not allowed (training.cuda_graphs)
    if x.numel() and (int(x.min()) < 0 or int(x.max()) >= levels):
        raise ValueError(
            f"values must lie in [0, {levels}); got min {int(x.min())}, max {int(x.max())}"
        )


def log_softmax_at(logits: torch.Tensor, x: torch.Tensor, dim: int, in_place: bool = False) -> torch.Tensor:
    """The log-softmax of ``logits`` over ``dim`` (the levels) at the levels ``x`` (``logits``' shape
    without ``dim``), taken on the logits' own memory order. One fused pass each way: a third of the time
    of a gather minus a log-sum-exp, forward and backward, on the 256 logits of 32x32 RGB
    (docs/benchmarks.md, "The softmax head's log-likelihood"). ``in_place`` (no autograd): written over
    the logits instead of into a second tensor of as many scores."""
    scores = torch.log_softmax(logits, dim, out=logits) if in_place else torch.log_softmax(logits, dim)
    return scores.gather(dim, x.unsqueeze(dim)).squeeze(dim)


class OutputHead(nn.Module):
    """Two "ReLU followed by 1x1 conv, mask B" layers, the last producing C * L logit maps (Table 1), or
    C * 3K parameters of a discretized logistic mixture per sub-pixel (:mod:`.logistic_mixture`)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        c = config.channels
        self.config = config
        self.hidden = MaskedConv2d(2 * config.hidden, config.out_hidden, 1, "B", c)
        self.logits = MaskedConv2d(config.out_hidden, c * config.output_maps, 1, "B", c)
        if config.output == "logistic_mixture":
            with torch.no_grad():
                self.logits.bias.copy_(initial_bias(config.mixtures).repeat(c))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.logits(torch.relu(self.hidden(torch.relu(features))))

    def scores(self, outputs: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, L, C, H, W)`` from the last layer's outputs ``(B, C * maps, H, W)``."""
        cfg = self.config
        batch, _, height, width = outputs.shape
        outputs = outputs.view(batch, cfg.channels, cfg.output_maps, height, width)
        if cfg.output == "softmax":
            return outputs.transpose(1, 2)
        return mixture_log_prob_maps(outputs, cfg.levels)

    def log_likelihood(self, outputs: torch.Tensor, x: torch.Tensor, in_place: bool = False) -> torch.Tensor:
        """log p ``(B, C, H, W)`` (float32 or wider) of each sub-pixel's value ``x`` under the scores
        of ``outputs``: the log-softmax at the value, or the mixture at the value alone. ``in_place``:
        ``outputs`` are the caller's to overwrite (evaluation without autograd)."""
        cfg = self.config
        batch, _, height, width = outputs.shape
        layout = layout_of(outputs)
        outputs = outputs.view(batch, cfg.channels, cfg.output_maps, height, width)
        if cfg.output == "logistic_mixture":
            return mixture_log_likelihood_maps(outputs, cfg.levels, x)
        logits = outputs.to(torch.promote_types(outputs.dtype, torch.float32))
        if layout == torch.channels_last:
            return log_softmax_at(logits.permute(0, 3, 4, 1, 2), x.permute(0, 2, 3, 1), -1, in_place).permute(0, 3, 1, 2)
        return log_softmax_at(logits, x, 2, in_place)

    def pixel_scores(self, outputs: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, L)`` of one sub-pixel from its channel's outputs ``(B, maps)`` (the cached engine)."""
        if self.config.output == "softmax":
            return outputs
        return mixture_log_probs(outputs, self.config.levels)


class PixelModel(nn.Module):
    """Base of PixelCNN, Row LSTM and Diagonal BiLSTM: stem, residual stack, skips and softmax head."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c, width = config.channels, 2 * config.hidden
        self.stem = MaskedConv2d(c, width, config.first_kernel, "A", c)
        self.blocks = nn.ModuleList(self.make_block(config) for _ in range(config.layers))
        self.skips = (
            nn.ModuleList(MaskedConv2d(width, width, 1, "B", c) for _ in range(config.layers))
            if config.skip
            else None
        )
        self.head = OutputHead(config)
        self.dropout = nn.Dropout(config.dropout)
        # the memory layout of the feature maps: channels-last after training.layout.to_fast_layout
        self.feature_layout = torch.contiguous_format

    def make_block(self, config: ModelConfig) -> nn.Module:
        """One residual block; for the cached engine also a :class:`CachedWeightsSource`."""
        raise NotImplementedError

    def cached_weights(self) -> PixelModelWeights:
        """The weights the cached engine evaluates this model with."""
        for block in self.blocks:
            if not isinstance(block, CachedWeightsSource):
                raise ValueError(f"blocks of type {type(block).__name__} have no cached form; use engine='naive'")
        return PixelModelWeights(
            conv_weights(self.stem),
            [block.cached_weights() for block in self.blocks],
            None if self.skips is None else [conv_weights(skip) for skip in self.skips],
            conv_weights(self.head.hidden),
            conv_weights(self.head.logits),
        )

    def run_block(
        self, block: nn.Module, features: torch.Tensor, condition: torch.Tensor | None, image: torch.Tensor
    ) -> torch.Tensor:
        """Apply one residual block's body; ``image`` is the scaled input, for blocks that read it."""
        return block(features, condition)

    def pixel_order(self, height: int, width: int) -> torch.Tensor:
        """Rank of each pixel in the generation order: raster order, row by row."""
        return torch.arange(height * width).view(height, width)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(B, L, C, H, W)`` of every sub-pixel given the sub-pixels before it (R -> G -> B)."""
        return self.head.scores(self.head_outputs(x, condition))

    def log_likelihood(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """log p(x_ijc | the sub-pixels before it) ``(B, C, H, W)``, nats: what ``forward``'s scores
        give at ``x`` (paper eq. 2), without the scores of every other value where that is cheaper."""
        return self.head.log_likelihood(self.head_outputs(x, condition), x)

    def head_outputs(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """The output head's maps ``(B, C * maps, H, W)`` for ``x``: logits, or mixture parameters."""
        cfg = self.config
        check_input(x, cfg.channels, cfg.levels)
        image = scale_levels(x, cfg.levels, self.stem.weight.dtype).contiguous(memory_format=self.feature_layout)
        # with one channel the image is contiguous and channels-last at once, and so is the stem's output
        features = self.stem(image).contiguous(memory_format=self.feature_layout)
        skip_sum = None
        for index, block in enumerate(self.blocks):
            out = self.dropout(self.run_block(block, features, condition, image))
            features = out + features if cfg.residual else out
            if self.skips is not None:
                skipped = self.skips[index](features)
                skip_sum = skipped if skip_sum is None else skip_sum + skipped
        return self.head(features if skip_sum is None else skip_sum)
