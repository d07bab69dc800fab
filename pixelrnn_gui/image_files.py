"""Reading and writing the user's images and masks. Everything written goes through a temp file and
``os.replace`` so a crash never leaves a half-written file behind."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError


class ImageFileError(OSError):
    """A file could not be read or written as an image; the message is one line naming the file."""


def load_image(path: str | os.PathLike) -> np.ndarray:
    """The image at ``path`` as 8-bit RGB, shape (H, W, 3)."""
    try:
        with Image.open(path) as picture:
            return np.asarray(picture.convert("RGB"), dtype=np.uint8).copy()
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ImageFileError(f"cannot read {Path(path).name} as an image: {error}") from None


def load_mask(path: str | os.PathLike, shape: tuple[int, int]) -> np.ndarray:
    """A mask file as bool (H, W): bright pixels (luminance >= 128) are to be filled. If the file has
    an alpha channel, opaque pixels are the mask instead."""
    try:
        with Image.open(path) as picture:
            if "A" in picture.getbands():
                values = np.asarray(picture.getchannel("A"))
            else:
                values = np.asarray(picture.convert("L"))
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ImageFileError(f"cannot read {Path(path).name} as a mask: {error}") from None
    if values.shape != tuple(shape):
        raise ImageFileError(
            f"mask {Path(path).name} is {values.shape[1]}x{values.shape[0]} but the image is {shape[1]}x{shape[0]}"
        )
    return values >= 128


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(stream)`` on a temp file beside ``path``, then rename it over ``path``."""
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise ImageFileError(f"cannot write {path.name}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temp_name, path)
    except OSError as error:
        Path(temp_name).unlink(missing_ok=True)
        raise ImageFileError(f"cannot write {path.name}: {error.strerror or error}") from None


def save_png(path: str | os.PathLike, pixels: np.ndarray) -> None:
    """Write ``pixels`` (H, W, 3 uint8, or H, W bool for a mask) losslessly as PNG, atomically."""
    array = pixels.astype(np.uint8) * 255 if pixels.dtype == bool else pixels
    write_atomically(Path(path), lambda stream: Image.fromarray(array).save(stream, format="PNG"))
