"""Turning 8-bit images into the integer levels a PixelRNN models (paper §2: a K-way softmax per
sub-pixel; §5.1: binarized MNIST), and the 8 symmetries of the square used for augmentation."""
from __future__ import annotations

import numpy as np
import torch


def to_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """uint8 (N, H, W, C) images with ``channels`` channels: gray is repeated into RGB, RGB becomes
    luma with the ITU-R 601 weights Pillow uses for "RGB" -> "L"."""
    have = images.shape[-1]
    if have == channels:
        return images
    if have == 1 and channels == 3:
        return np.repeat(images, 3, axis=-1)
    if have == 3 and channels == 1:
        luma = images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        return np.clip(np.rint(luma), 0, 255).astype(np.uint8)[..., None]
    raise ValueError(f"cannot convert {have}-channel images to {channels} channels")


def quantize(images: torch.Tensor, levels: int) -> torch.Tensor:
    """8-bit values (0..255) as ``levels`` equal-width levels ``0 .. levels-1`` (int64)."""
    return (images.long() * levels) // 256


def binarize_threshold(images: torch.Tensor, threshold: float) -> torch.Tensor:
    """1 where the intensity is at least ``threshold`` of full scale, else 0 (int64)."""
    return (images.float() >= threshold * 255.0).long()


def binarize_dynamic(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each pixel drawn as 1 with probability intensity / 255 (dynamic binarization of MNIST)."""
    probabilities = images.float() / 255.0
    return torch.bernoulli(probabilities, generator=generator).long()


def dihedral(images: torch.Tensor, symmetry: int) -> torch.Tensor:
    """One of the 8 symmetries of the square applied to (..., H, W): bit 0 flips left-right, bit 1
    flips top-bottom, bit 2 transposes. 0 is the identity."""
    out = images
    if symmetry & 4:
        out = out.transpose(-1, -2)
    if symmetry & 2:
        out = out.flip(-2)
    if symmetry & 1:
        out = out.flip(-1)
    return out


def augment_dihedral(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each (C, H, W) example of ``batch`` under a random symmetry of the square (only the 4 flips
    when the images are not square), so a model can later complete in any orientation."""
    square = batch.shape[-1] == batch.shape[-2]
    choices = torch.randint(0, 8 if square else 4, (batch.shape[0],), generator=generator)
    return torch.stack([dihedral(example, int(s)) for example, s in zip(batch, choices)])
