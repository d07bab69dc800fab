"""8-bit values and a model's levels: the one place that says how they map to each other.

A PixelRNN models each sub-pixel as one of L discrete values with an L-way softmax (paper §2; L = 256
for 8-bit images, L = 2 for binarized MNIST, §5.1). The project's conventions:

- L lies in [MIN_LEVELS, MAX_LEVELS] = [2, 256].
- An 8-bit value v is level ``v * L // 256`` (L bins of equal width).
- A level l is shown as ``round(l * 255 / (L - 1))`` moved, where that rounding leaves it, to the
  nearest 8-bit value of l's bin: level 0 is black, L - 1 white, and a shown level reads back as itself
  (plain rounding does not for most L above 27, e.g. L = 100 would show level 2 as 5, which reads as 1).
- RGB becomes grey by the ITU-R 601-2 luma in Pillow's own fixed-point arithmetic (what
  ``Image.convert("L")`` computes), so an RGB array made grey here equals the same file read as grey;
  grey becomes RGB by repeating it.
"""
from __future__ import annotations

import numpy as np
import torch

MIN_LEVELS = 2
MAX_LEVELS = 256
# 0.299, 0.587 and 0.114 in units of 1/65536, rounded as Pillow's Convert.c does.
GREY_WEIGHTS = np.array([19595, 38470, 7471], dtype=np.uint32)


def check_levels(levels: int, error: type[Exception] = ValueError) -> int:
    """``levels`` if it lies in [2, 256]; else ``error`` with a message that says the range."""
    if not MIN_LEVELS <= levels <= MAX_LEVELS:
        raise error(f"levels must be between {MIN_LEVELS} and {MAX_LEVELS}, got {levels}")
    return levels


def scale_levels(x: torch.Tensor, levels: int, dtype: torch.dtype) -> torch.Tensor:
    """Integer levels ``0 .. levels-1`` as floats in [-1, 1], the paper's "scaling and centring"."""
    return x.to(dtype) * (2.0 / (levels - 1)) - 1.0


def quantize(values: np.ndarray, levels: int) -> np.ndarray:
    """8-bit values (any shape) as uint8 levels ``0 .. levels-1``."""
    check_levels(levels)
    if values.dtype != np.uint8 and not (values.dtype.kind in "iu" and (values.size == 0 or 0 <= values.min() <= values.max() <= 255)):
        raise ValueError(f"expected 8-bit values (uint8, or integers 0 to 255), got {values.dtype} values")
    return (values.astype(np.uint16) * levels // 256).astype(np.uint8)


def quantize_tensor(values: torch.Tensor, levels: int) -> torch.Tensor:
    """8-bit values (any shape) as int64 levels ``0 .. levels-1``, the model's input."""
    return (values.long() * levels) // 256


def to_8bit(image: np.ndarray, levels: int) -> np.ndarray:
    """Levels [0, levels) -> 0..255 for display or saving; :func:`quantize` reads them back."""
    check_levels(levels)
    if image.size and (image.min() < 0 or image.max() >= levels):
        raise ValueError(f"expected levels 0 to {levels - 1}, got values up to {image.max()} (and down to {image.min()})")
    if levels == 256:
        return image.astype(np.uint8)
    level = image.astype(np.int64)
    nearest = np.rint(level * 255.0 / (levels - 1))
    first, after = -(-level * 256 // levels), -(-(level + 1) * 256 // levels)  # the bin, by ceiling division
    return np.clip(nearest, first, after - 1).astype(np.uint8)


def shows_only_levels(image: np.ndarray, levels: int) -> bool:
    """Whether every 8-bit value of ``image`` is one that ``levels`` levels show (:func:`to_8bit`), so
    that a model of that many levels reads the image unchanged."""
    return levels == MAX_LEVELS or bool((to_8bit(quantize(image, levels), levels) == image).all())


def grey(rgb: np.ndarray) -> np.ndarray:
    """uint8 (..., 3) RGB -> uint8 (..., 1) luma, exactly as Pillow's "RGB" -> "L"."""
    luma = (rgb.astype(np.uint32) @ GREY_WEIGHTS + 0x8000) >> 16
    return luma.astype(np.uint8)[..., None]


def is_grey(images: np.ndarray) -> bool:
    """Whether RGB images (..., 3) hold only greys (R = G = B everywhere); one channel always does."""
    if images.shape[-1] == 1:
        return True
    return bool((images[..., 0] == images[..., 1]).all() and (images[..., 1] == images[..., 2]).all())


def to_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """uint8 (..., C) images with ``channels`` (1 or 3) channels: grey is repeated into RGB, RGB
    becomes grey by the ITU-R 601-2 luma, as Pillow's ``convert("L")`` computes it (:func:`grey`)."""
    if images.ndim < 3:
        raise ValueError(f"expected (..., C) images with their channels last, got shape {images.shape}")
    have = images.shape[-1]
    if have == channels:
        return images
    if have == 1 and channels == 3:
        return np.repeat(images, 3, axis=-1)
    if have == 3 and channels == 1:
        return grey(images)
    raise ValueError(f"cannot convert {have}-channel images to {channels} channels")
