"""`build_model` and the paper's model sizes by name (paper §4, Table 1 and §5)."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..memory import FLOAT_BYTES, check_memory
from .architectures import single_scale_model
from .config import ModelConfig
from .multiscale import MultiScalePixelRNN

PRESETS: dict[str, dict[str, Any]] = {
    # Binarized MNIST: Diagonal BiLSTM, 7 layers, h = 16, 32 output maps (§5.5).
    "mnist": dict(arch="diagonal_bilstm", channels=1, levels=2, hidden=16, layers=7, out_hidden=32),
    # CIFAR-10: 12-layer Row LSTM and Diagonal BiLSTM, 15-layer PixelCNN, h = 128, 1024 output maps.
    "cifar10-pixelcnn": dict(arch="pixelcnn", channels=3, levels=256, hidden=128, layers=15, out_hidden=1024),
    "cifar10-row-lstm": dict(arch="row_lstm", channels=3, levels=256, hidden=128, layers=12, out_hidden=1024),
    "cifar10-diagonal-bilstm": dict(
        arch="diagonal_bilstm", channels=3, levels=256, hidden=128, layers=12, out_hidden=1024
    ),
    # ImageNet 32x32: 12-layer Row LSTM, h = 384. ImageNet 64x64: 4-layer Row LSTM, h = 512, no residuals.
    "imagenet32": dict(arch="row_lstm", channels=3, levels=256, hidden=384, layers=12, out_hidden=1024),
    "imagenet64": dict(
        arch="row_lstm", channels=3, levels=256, hidden=512, layers=4, out_hidden=1024, residual=False
    ),
}


def model_config(arch: str, **settings: Any) -> ModelConfig:
    """A config from an architecture name or a preset name, with ``settings`` overriding it."""
    if arch in PRESETS:
        return ModelConfig(**{**PRESETS[arch], **settings})
    return ModelConfig(arch=arch, **settings)


def model_from_config(config: ModelConfig) -> nn.Module:
    """The model a config describes."""
    if config.arch == "multiscale":
        return MultiScalePixelRNN(config)
    return single_scale_model(config)


def count_parameters(config: ModelConfig) -> int:
    """The number of weights the model of ``config`` has, counted on the meta device (nothing allocated)."""
    with torch.device("meta"):
        return sum(p.numel() for p in model_from_config(config).parameters())


def build_model(arch: str, **settings: Any) -> nn.Module:
    """Build a PixelRNN: ``arch`` is "pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale" or a
    preset name from :data:`PRESETS`; ``settings`` are :class:`ModelConfig` fields (channels, levels,
    hidden, layers, out_hidden, residual, skip, kernel, base_arch, scale, ...). A model whose weights
    alone would not fit in this machine's memory is refused (:class:`MemoryRequestError`) before any is
    allocated."""
    config = model_config(arch, **settings)
    count = count_parameters(config)
    check_memory(count * FLOAT_BYTES, f"the weights of a {config.arch} of {count:,} parameters")
    return model_from_config(config)
