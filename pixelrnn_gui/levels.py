"""Between the canvas's 8-bit RGB and a model's sub-pixel levels (channels C, levels L).

The canvas always holds 8-bit RGB; a model sees C channels of L levels (paper §2: a discrete L-way
softmax per sub-pixel). An 8-bit value v becomes level floor(v * L / 256), a level l is shown as
round(l * 255 / (L - 1)), so showing a level and reading it back gives the same level."""
from __future__ import annotations

import numpy as np
import pixelrnn_core as prc


def to_levels(rgb: np.ndarray, channels: int, levels: int) -> np.ndarray:
    """8-bit RGB (H, W, 3) -> uint8 (H, W, channels) of levels in [0, levels)."""
    values = rgb.astype(np.uint32)
    if channels == 1:
        values = (values @ np.array([299, 587, 114], dtype=np.uint32) + 500) // 1000
        values = values[..., None]
    elif channels != 3:
        raise ValueError(f"the app edits RGB images; a model with {channels} channels cannot complete them")
    return (values * levels // 256).astype(np.uint8)


def to_rgb(levels_image: np.ndarray, levels: int) -> np.ndarray:
    """uint8 (..., C) levels -> 8-bit RGB (..., 3); one channel is shown as grey."""
    values = prc.to_8bit(levels_image, levels)
    if values.shape[-1] == 1:
        values = np.repeat(values, 3, axis=-1)
    return values


def level_to_byte(level: int, levels: int) -> int:
    """One level as its 8-bit display value."""
    return int(round(level * 255.0 / (levels - 1)))
