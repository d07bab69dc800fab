"""Tiny models, images and masks shared by the completion tests."""
from __future__ import annotations

import numpy as np
import torch

import pixelrnn_core as prc

ARCHS = ["pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale"]
# the settings of each output layer: the paper's softmax and a small discretized logistic mixture
OUTPUTS = {"softmax": {}, "logistic_mixture": {"output": "logistic_mixture", "mixtures": 3}}


def tiny_model(arch: str, channels: int = 3, levels: int = 16, dtype=torch.float64, **settings) -> torch.nn.Module:
    """float64 by default: logits of both engines then agree to ~1e-13, so no sampled value can flip."""
    torch.manual_seed(0)
    settings = {"hidden": 12, "layers": 2, "out_hidden": 24, "upsample_features": 8, **settings}
    return prc.build_model(arch, channels=channels, levels=levels, **settings).to(dtype)


def random_image(height: int, width: int, channels: int = 3, levels: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, levels, (height, width, channels)).astype(np.uint8)


def mask_of(kind: str, height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), dtype=bool)
    if kind == "bottom_half":
        mask[height // 2 :] = True
    elif kind == "hole":
        mask[height // 2 - 1 : height // 2 + 1, 1 : width - 1] = True
    elif kind == "two_regions":
        mask[1, 0:2] = True
        mask[height - 2 :, width - 2 :] = True
    elif kind == "whole":
        mask[:] = True
    else:
        raise ValueError(kind)
    return mask
