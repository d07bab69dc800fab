"""What a model thinks of an image: one teacher-forced pass, every sub-pixel's predicted distribution.

For each sub-pixel (i, j, c) the model gives p(x_ijc | everything before it) (paper eq. 2). From it:
the entropy of the prediction, the surprisal -log2 p of the actual value, and the negative
log-likelihood in bits per dimension (sub-pixel), the paper's CIFAR/ImageNet measure (§5).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..memory import check_inspection_memory
from .devices import frozen_copy, resolve_device
from .job import check_image, check_mask


@dataclass(frozen=True)
class Inspection:
    probs: np.ndarray  # (H, W, C, L) float32: each sub-pixel's predicted distribution
    entropy_bits: np.ndarray  # (H, W, C): entropy of each prediction
    surprisal_bits: np.ndarray  # (H, W, C): -log2 p(actual value)
    bits_per_dim: float  # mean surprisal over the image
    masked_bits_per_dim: float | None  # mean surprisal over the masked pixels (None without any)


def inspect(
    model: torch.nn.Module,
    image: np.ndarray,
    mask: np.ndarray | None = None,
    device: str | torch.device | None = None,
) -> Inspection:
    """Teacher-forced predictions for ``image`` uint8 (H, W, C); ``mask`` bool (H, W) selects a region
    whose bits/dim is reported separately. Runs on ``device`` (default: the model's device)."""
    cfg = model.config
    image = check_image(image, cfg.channels, cfg.levels)
    mask = None if mask is None else check_mask(mask, image.shape[:2])
    check_inspection_memory(cfg, *image.shape[:2])
    device = resolve_device(model, device)
    x = torch.from_numpy(image).long().permute(2, 0, 1)[None].to(device)
    with torch.no_grad():
        log_probs = torch.log_softmax(frozen_copy(model, device)(x)[0].double(), dim=0)  # (L, C, H, W)
    log_probs = log_probs.permute(2, 3, 1, 0).cpu().numpy()  # (H, W, C, L)
    probs = np.exp(log_probs)
    entropy = -(probs * log_probs).sum(axis=3) / math.log(2)
    surprisal = -np.take_along_axis(log_probs, image[..., None].astype(np.int64), axis=3)[..., 0] / math.log(2)
    masked = None if mask is None or not mask.any() else float(surprisal[mask].mean())
    return Inspection(
        probs=probs.astype(np.float32),
        entropy_bits=entropy.astype(np.float32),
        surprisal_bits=surprisal.astype(np.float32),
        bits_per_dim=float(surprisal.mean()),
        masked_bits_per_dim=masked,
    )
