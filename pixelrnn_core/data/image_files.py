"""A folder of image files, searched recursively, as equal-size uint8 arrays.

Every file is read by the one image reader of :mod:`pixelrnn_core.io.images`: files that are empty,
special (FIFOs, devices), not images, truncated, or larger than the decompression-bomb limit are
skipped with a reason, never fatal.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..io.images import ImageFileError, load_picture, to_mode
from ..memory import check_images_memory
from ..pixels.levels import is_grey
from .spec import DatasetSpec

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not used, and why."""

    path: str
    reason: str


def skip_reasons(skipped: list[SkippedFile]) -> str:
    """"8 smaller than 32x32, 1 unreadable or truncated": how many files were skipped for each reason
    (reasons without their details), most first."""
    counts = Counter(item.reason.split(" (")[0] for item in skipped)
    return ", ".join(f"{count} {reason}" for reason, count in counts.most_common())


class SkipImage(Exception):
    """Raised while reading one file: the file is skipped with this message as its reason."""


def image_paths(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursively, hidden entries excluded), in a stable sorted order;
    ``folder`` itself if it is one image file."""
    if folder.is_file():
        return [folder]
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(root) / name
            for name in files
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)
        )
    return sorted(found)


def fit_size(image: Image.Image, size: int, fit: str, small: str, rng: np.random.Generator) -> Image.Image:
    """A ``size`` x ``size`` image: larger images randomly cropped (``fit="crop"``) or scaled so the
    short side is ``size`` and centre-cropped (``fit="resize"``); smaller ones upscaled the same way or
    skipped (``small``)."""
    width, height = image.size
    if min(width, height) < size and small == "skip":
        raise SkipImage(f"smaller than {size}x{size} ({width}x{height})")
    if fit == "resize" or min(width, height) < size:
        scale = size / min(width, height)
        width, height = max(size, round(width * scale)), max(size, round(height * scale))
        image = image.resize((width, height), Image.Resampling.LANCZOS)
        left, top = (width - size) // 2, (height - size) // 2
    else:
        left = int(rng.integers(0, width - size + 1))
        top = int(rng.integers(0, height - size + 1))
    return image.crop((left, top, left + size, top + size))


def is_tiled(height: int, width: int, size: int, fit: str) -> bool:
    """Whether an image is cut into tiles: ``fit="tiles"`` and no side under ``size`` (a smaller image
    is skipped or upscaled to one example)."""
    return fit == "tiles" and min(height, width) >= size


def examples_per_image(height: int, width: int, size: int, fit: str) -> int:
    """How many ``size`` x ``size`` examples an image gives: the tiles of its grid, else one."""
    return (height // size) * (width // size) if is_tiled(height, width, size, fit) else 1


def tile_grid(image: np.ndarray, size: int) -> np.ndarray:
    """Every ``size`` x ``size`` tile of a grid over ``image`` (H, W, C), row by row, as (n, size, size,
    C); the grid is centred, so the rows and columns left over are shared by opposite edges."""
    height, width, channels = image.shape
    rows, cols = height // size, width // size
    top, left = (height % size) // 2, (width % size) // 2
    grid = image[top : top + rows * size, left : left + cols * size]
    return grid.reshape(rows, size, cols, size, channels).swapaxes(1, 2).reshape(rows * cols, size, size, channels)


def fit_examples(image: Image.Image, size: int, fit: str, small: str, rng: np.random.Generator) -> np.ndarray:
    """The ``size`` x ``size`` training examples of one "L" or "RGB" image as uint8 (n, size, size, C):
    every tile of a grid over it (``fit="tiles"``; one array, not an image per tile), else the one
    image :func:`fit_size` makes."""
    channels = len(image.getbands())
    if is_tiled(image.height, image.width, size, fit):
        return tile_grid(np.asarray(image, dtype=np.uint8).reshape(image.height, image.width, channels), size)
    return np.asarray(fit_size(image, size, fit, small, rng), dtype=np.uint8).reshape(1, size, size, channels)


def read_examples(path: Path, size: int, channels: int, spec: DatasetSpec, rng: np.random.Generator) -> np.ndarray:
    """One file's examples as uint8 (n, size, size, channels), read as completion reads images (one
    reader, see :func:`pixelrnn_core.io.images.load_picture`); raises :class:`SkipImage` with the reason
    to skip it."""
    try:
        converted = to_mode(load_picture(path, spec.max_pixels), channels, spec.background)
    except ImageFileError as error:
        raise SkipImage(error.reason) from None
    return fit_examples(converted, size, spec.fit, spec.small, rng)


def read_image_folder(folder: Path, spec: DatasetSpec) -> tuple[np.ndarray, list[SkippedFile], int]:
    """The examples of all usable images under ``folder`` (the first ``spec.limit`` images) as uint8
    (N, size, size, C), the files skipped, and how many files gave the examples. Without
    ``spec.channels`` the images are grey (C = 1) when every one of them is, RGB otherwise."""
    size = spec.size or 32
    channels = spec.channels or 3
    paths = image_paths(folder)
    check_images_memory(min(len(paths), spec.limit or len(paths)), size, size, channels, str(folder))
    images, skipped, count = [], [], 0
    for index, path in enumerate(paths):
        if spec.limit is not None and len(images) >= spec.limit:
            break
        # One generator per file, seeded by its position: the same crop on every rebuild of the run.
        rng = np.random.default_rng([spec.seed, index])
        try:
            examples = read_examples(path, size, channels, spec, rng)
        except SkipImage as reason:
            skipped.append(SkippedFile(str(path), str(reason)))
            continue
        count += len(examples)
        check_images_memory(count, size, size, channels, str(folder))
        images.append(examples)
    if not images:
        return np.zeros((0, size, size, channels), np.uint8), skipped, 0
    stacked = np.concatenate(images)
    if spec.channels is None and is_grey(stacked):
        return np.ascontiguousarray(stacked[..., :1]), skipped, len(images)
    return stacked, skipped, len(images)
