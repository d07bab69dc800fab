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

SUB_PIXELS_PER_CHUNK = 2**15  # distributions summed in float64 at a time: a few tens of MB at 256 levels


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
        logits = frozen_copy(model, device)(x)[0]  # (L, C, H, W)
    probs, entropy, surprisal = distribution_statistics(logits, torch.from_numpy(image).long())
    masked = None if mask is None or not mask.any() else float(surprisal[mask].mean())
    return Inspection(
        probs=probs,
        entropy_bits=entropy.astype(np.float32),
        surprisal_bits=surprisal.astype(np.float32),
        bits_per_dim=float(surprisal.mean()),
        masked_bits_per_dim=masked,
    )


def distribution_statistics(logits: torch.Tensor, image: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From ``logits`` (L, C, H, W) and the actual values ``image`` (H, W, C): every sub-pixel's
    distribution (H, W, C, L) float32, and its entropy and the surprisal of the actual value in bits
    (H, W, C) float64, computed in float64 a band of rows at a time (all at once took 24 KB a pixel)."""
    levels, channels, height, width = logits.shape
    probs = np.empty((height, width, channels, levels), np.float32)
    entropy, surprisal = np.empty((height, width, channels)), np.empty((height, width, channels))
    rows = max(1, SUB_PIXELS_PER_CHUNK // (width * channels))
    for top in range(0, height, rows):
        band = slice(top, top + rows)
        log_p = torch.log_softmax(logits[:, :, band].double(), dim=0).permute(2, 3, 1, 0).cpu()  # (h, W, C, L)
        p = log_p.exp()
        probs[band] = p.float().numpy()
        entropy[band] = (-(p * log_p).sum(dim=3) / math.log(2)).numpy()
        surprisal[band] = (-log_p.gather(3, image[band, ..., None])[..., 0] / math.log(2)).numpy()
    return probs, entropy, surprisal
