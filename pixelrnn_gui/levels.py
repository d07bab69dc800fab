"""Between the canvas's 8-bit RGB and a model's sub-pixel levels (channels C, levels L).

The canvas always holds 8-bit RGB; a model sees C channels of L levels (paper §2: a discrete L-way
softmax per sub-pixel). The conversions are the core's (``prc.quantize``, ``prc.to_8bit``,
``prc.to_channels``), so the app, image files and training agree."""
from __future__ import annotations

import numpy as np
import pixelrnn_core as prc


def to_levels(rgb: np.ndarray, channels: int, levels: int) -> np.ndarray:
    """8-bit RGB (H, W, 3) -> uint8 (H, W, channels) of levels in [0, levels)."""
    if channels not in (1, 3):
        raise ValueError(f"the app edits RGB images; a model with {channels} channels cannot complete them")
    return prc.quantize(prc.to_channels(rgb, channels), levels)


def to_rgb(levels_image: np.ndarray, levels: int) -> np.ndarray:
    """uint8 (..., C) levels -> 8-bit RGB (..., 3); one channel is shown as grey."""
    return prc.to_channels(prc.to_8bit(levels_image, levels), 3)


def level_to_byte(level: int, levels: int) -> int:
    """One level as its 8-bit display value."""
    return int(prc.to_8bit(np.array(level), levels))
