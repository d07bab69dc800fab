"""numpy arrays <-> QImage, always copying so no QImage points into memory numpy may free."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

MASK_COLOUR = (255, 40, 80)  # the mask's red: its tint, and its outline after a fill


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """(H, W, 3) uint8 -> QImage (RGB888)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def rgba_to_qimage(rgba: np.ndarray) -> QImage:
    """(H, W, 4) uint8 straight (non-premultiplied) alpha -> QImage (RGBA8888)."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    height, width = rgba.shape[:2]
    return QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """Any QImage -> (H, W, 3) uint8 RGB (alpha dropped)."""
    converted = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = converted.width(), converted.height(), converted.bytesPerLine()
    buffer = np.frombuffer(converted.constBits(), dtype=np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, : 3 * width].reshape(height, width, 3).copy()


def mask_overlay(mask: np.ndarray, colour: tuple[int, int, int] = MASK_COLOUR, alpha: int = 110) -> QImage:
    """A translucent QImage that tints the masked pixels."""
    rgba = np.zeros(mask.shape + (4,), dtype=np.uint8)
    rgba[mask] = (*colour, alpha)
    return rgba_to_qimage(rgba)
