"""The memory layout models train and evaluate in: channels-last feature maps.

oneDNN, which runs PyTorch's convolutions on CPUs, is fastest on (B, H, W, C) memory; on contiguous
(B, C, H, W) maps it reorders every convolution's input and output. Converting the weights once makes
every convolution's output channels-last, and the rest of a model follows. Only the speed changes: the
maps hold the same values, checkpoints are written contiguous, and the cached engine reads contiguous
copies of the weights (:func:`pixelrnn_core.models.weights.conv_weights`). docs/benchmarks.md
("Channels-last layout") has the measured gain.
"""
from __future__ import annotations

import torch
from torch import nn

from ..models.pixel_model import PixelModel


def to_fast_layout(model: nn.Module) -> nn.Module:
    """``model`` with its 4-D weights and its feature maps in channels-last memory, in place; returned
    for chaining."""
    for module in model.modules():
        if isinstance(module, PixelModel):
            module.feature_layout = torch.channels_last
    model.to(memory_format=torch.channels_last)
    for parameter in model.parameters():
        if parameter.dim() == 4 and parameter.shape[2:] == (1, 1):
            # a 1x1 kernel: channels-last is the same memory as contiguous; take the strides autograd
            # gives its gradient, so that DistributedDataParallel's gradient buckets match it (else it
            # warns, and copies). A grey model's first kernel (one input channel) is the same case, but
            # kept channels-last: contiguous strides there cost 1.5-2 % of its training speed
            # (train_speed.py, docs/benchmarks.md), more than the copy of its few weights under DDP
            parameter.data = parameter.data.clone(memory_format=torch.contiguous_format)
    return model
