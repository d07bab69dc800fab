"""Image and mask files: PNG/JPEG/... to the uint8 level arrays completion works on, and back.

Values become levels and levels are shown as :mod:`..pixels.levels` says (Pillow reads a file as grey
with the same luma). Files are written atomically (temp file + rename).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..pixels.levels import check_levels, quantize, to_8bit
from .atomic import atomic_write

PIL_MODES = {1: "L", 3: "RGB"}


class ImageFileError(ValueError):
    """An image or mask file that cannot be read or written; the message names the file."""


def open_image(path: str | os.PathLike) -> Image.Image:
    try:
        with Image.open(path) as opened:
            opened.load()
            return opened.copy()
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ImageFileError(f"cannot read image {os.fspath(path)!r}: {error}") from None


def read_image(path: str | os.PathLike, channels: int = 3, levels: int = 256) -> np.ndarray:
    """uint8 (H, W, channels) of values in [0, levels) from an image file (grey for 1 channel, RGB for 3)."""
    if channels not in PIL_MODES:
        raise ValueError(f"image files have 1 (grey) or 3 (RGB) channels, not {channels}")
    check_levels(levels)
    picture = open_image(path)
    if picture.mode in ("RGBA", "LA", "P") and channels == 3:
        picture = picture.convert("RGBA")
    values = np.asarray(picture.convert(PIL_MODES[channels]))
    return quantize(values.reshape(values.shape[0], values.shape[1], channels), levels)


def read_mask(path: str | os.PathLike, shape: tuple[int, int] | None = None) -> np.ndarray:
    """bool (H, W) from a mask image: True (fill) where its brightness is at least half, or, for a file
    with an alpha channel, where it is at least half opaque. With ``shape``, a mask of another size is
    refused."""
    picture = open_image(path)
    values = picture.getchannel("A") if "A" in picture.getbands() else picture.convert("L")
    mask = np.asarray(values) >= 128
    if shape is not None and mask.shape != tuple(shape):
        raise ImageFileError(
            f"mask {os.fspath(path)!r} is {mask.shape[1]}x{mask.shape[0]} pixels but the image is {shape[1]}x{shape[0]}"
        )
    return mask


def sample_grid(images: np.ndarray, columns: int | None = None, gap: int = 1) -> np.ndarray:
    """One (H', W', C) image of K images (K, H, W, C) in a grid, ``gap`` pixels of 0 between them.
    ``columns`` defaults to ceil(sqrt(K))."""
    count, height, width, channels = images.shape
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = -(-count // columns)
    grid = np.zeros(
        (rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap, channels), dtype=images.dtype
    )
    for index, image in enumerate(images):
        top, left = (index // columns) * (height + gap), (index % columns) * (width + gap)
        grid[top : top + height, left : left + width] = image
    return grid


def save_image(path: str | os.PathLike, image: np.ndarray, levels: int = 256) -> None:
    """Write uint8 (H, W, C) levels (C = 1 or 3) to ``path`` atomically; the format follows its suffix."""
    path = Path(path)
    if image.ndim != 3 or image.shape[2] not in PIL_MODES:
        raise ValueError(f"can save (height, width, 1 or 3) images, got shape {image.shape}")
    picture = Image.fromarray(to_8bit(image, levels)[:, :, 0] if image.shape[2] == 1 else to_8bit(image, levels))
    image_format = Image.registered_extensions().get(path.suffix.lower())
    if image_format is None:
        raise ImageFileError(f"cannot save {os.fspath(path)!r}: unknown image format {path.suffix!r}")
    try:
        atomic_write(path, lambda file: picture.save(file, format=image_format))
    except OSError as error:
        raise ImageFileError(f"cannot save {os.fspath(path)!r}: {error}") from None
