"""Turning 8-bit images into the training examples a PixelRNN reads: binarized (paper §5.1: binarized
MNIST) and augmented with the 8 symmetries of the square. Quantization to L levels and the channel
conventions are in :mod:`..pixels.levels`."""
from __future__ import annotations

import torch

from ..pixels.dihedral import FLIPS, SYMMETRIES, transform_tensor


def binarize_threshold(images: torch.Tensor, threshold: float) -> torch.Tensor:
    """1 where the intensity is at least ``threshold`` of full scale, else 0 (int64)."""
    return (images.float() >= threshold * 255.0).long()


def binarize_dynamic(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each pixel drawn as 1 with probability intensity / 255 (dynamic binarization of MNIST)."""
    probabilities = images.float() / 255.0
    return torch.bernoulli(probabilities, generator=generator).long()


def augment_dihedral(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each (C, H, W) example of ``batch`` under a random symmetry of the square (only the 4 flips
    when the images are not square), so a model can later complete in any orientation."""
    square = batch.shape[-1] == batch.shape[-2]
    choices = torch.randint(0, len(SYMMETRIES) if square else FLIPS, (batch.shape[0],), generator=generator)
    return torch.stack([transform_tensor(example, int(s)) for example, s in zip(batch, choices)])
