"""Growing and shrinking a mask by one pixel (8-neighbourhood), as image editors do."""
from __future__ import annotations

import numpy as np


def grown(mask: np.ndarray) -> np.ndarray:
    """``mask`` (H, W) with every pixel next to it (also diagonally) added."""
    height, width = mask.shape
    padded = np.pad(mask, 1)
    out = np.zeros_like(mask)
    for dr in (0, 1, 2):
        for dc in (0, 1, 2):
            out |= padded[dr : dr + height, dc : dc + width]
    return out


def shrunk(mask: np.ndarray) -> np.ndarray:
    """``mask`` without its edge pixels (those next to an unmasked pixel; the image border is no edge)."""
    height, width = mask.shape
    padded = np.pad(~mask, 1)
    return ~grown(padded)[1 : height + 1, 1 : width + 1]
