"""What a model thinks of an image: one teacher-forced pass, every sub-pixel's predicted distribution.

For each sub-pixel (i, j, c) the model gives p(x_ijc | everything before it) (paper eq. 2). From it:
the entropy of the prediction, the surprisal -log2 p of the actual value, and the negative
log-likelihood in bits per dimension (sub-pixel), the paper's CIFAR/ImageNet measure (§5).
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..memory import check_inspection_memory
from .devices import frozen_copy, resolve_device
from .job import check_image, check_mask

SUB_PIXELS_PER_CHUNK = 2**15  # a band's sub-pixels: its distributions are a few tens of MB at 256 levels


@dataclass(frozen=True)
class Inspection:
    probs: np.ndarray  # (H, W, C, L) float32: each sub-pixel's predicted distribution
    entropy_bits: np.ndarray  # (H, W, C): entropy of each prediction
    surprisal_bits: np.ndarray  # (H, W, C): -log2 p(actual value)
    bits_per_dim: float  # mean surprisal over the image
    masked_bits_per_dim: float | None  # mean surprisal over the masked pixels (None without any)


@dataclass(frozen=True)
class InspectionProgress:
    """One step of :func:`inspection_steps`: ``rows_done`` of the image's ``rows`` scored; the last
    step carries the :class:`Inspection`."""

    rows_done: int
    rows: int
    result: Inspection | None = None


def inspect(
    model: torch.nn.Module,
    image: np.ndarray,
    mask: np.ndarray | None = None,
    device: str | torch.device | None = None,
) -> Inspection:
    """Teacher-forced predictions for ``image`` uint8 (H, W, C); ``mask`` bool (H, W) selects a region
    whose bits/dim is reported separately. Runs on ``device`` (default: the model's device)."""
    *_, last = inspection_steps(model, image, mask, device)
    return last.result


def inspection_steps(
    model: torch.nn.Module,
    image: np.ndarray,
    mask: np.ndarray | None = None,
    device: str | torch.device | None = None,
) -> Iterator[InspectionProgress]:
    """:func:`inspect` a band of rows at a time: the network's layers run once over the image, then
    each band's distributions (all L values of each sub-pixel: most of the work for a logistic-mixture
    model) and statistics are computed and a step yielded, so a caller can stop after any band. The
    last step carries the result. The arguments are checked at the call."""
    cfg = model.config
    image = check_image(image, cfg.channels, cfg.levels)
    mask = None if mask is None else check_mask(mask, image.shape[:2])
    check_inspection_memory(cfg, *image.shape[:2])
    return banded_inspection(frozen_copy(model, resolve_device(model, device)), image, mask)


def banded_inspection(model: torch.nn.Module, image: np.ndarray, mask: np.ndarray | None) -> Iterator[InspectionProgress]:
    """The steps of :func:`inspection_steps` for checked arguments and a frozen model."""
    height, width, channels = image.shape
    device = next(model.parameters()).device
    values = torch.from_numpy(image).long()
    with torch.no_grad():
        outputs = model.head_outputs(values.permute(2, 0, 1)[None].to(device))  # (1, C * maps, H, W)
    probs = np.empty((height, width, channels, model.config.levels), np.float32)
    entropy, surprisal = np.empty((height, width, channels)), np.empty((height, width, channels))
    rows = max(1, SUB_PIXELS_PER_CHUNK // (width * channels))
    for top in range(0, height, rows):
        band = slice(top, top + rows)
        with torch.no_grad():
            logits = model.head.scores(outputs[:, :, band])[0]  # (L, C, h, W)
        probs[band], entropy[band], surprisal[band] = band_statistics(logits, values[band])
        if top + rows < height:
            yield InspectionProgress(top + rows, height)
    masked = None if mask is None or not mask.any() else float(surprisal[mask].mean())
    result = Inspection(
        probs=probs,
        entropy_bits=entropy.astype(np.float32),
        surprisal_bits=surprisal.astype(np.float32),
        bits_per_dim=float(surprisal.mean()),
        masked_bits_per_dim=masked,
    )
    yield InspectionProgress(height, height, result)


def band_statistics(logits: torch.Tensor, values: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From a band's ``logits`` (L, C, h, W) and its actual values (h, W, C): each sub-pixel's
    distribution (h, W, C, L) float32, and its entropy and the surprisal of the actual value in bits
    (h, W, C), computed in the logits' precision, at least float32 (float64 took 5 times as long:
    a fifth of the inspector's time on a photo)."""
    precision = torch.promote_types(logits.dtype, torch.float32)
    log_p = torch.log_softmax(logits.permute(2, 3, 1, 0).to(precision), dim=3).cpu()  # (h, W, C, L)
    p = log_p.exp()
    entropy = -(p * log_p).sum(dim=3) / math.log(2)
    surprisal = -log_p.gather(3, values[..., None])[..., 0] / math.log(2)
    return p.float().numpy(), entropy.numpy(), surprisal.numpy()
