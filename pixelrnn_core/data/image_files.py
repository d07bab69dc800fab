"""A folder of image files, searched recursively, as equal-size uint8 arrays.

Every file is opened with Pillow, which reads its header first: files that are empty, not images,
truncated, or larger than the decompression-bomb limit are skipped with a reason, never fatal.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .spec import DatasetSpec

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not used, and why."""

    path: str
    reason: str


class SkipImage(Exception):
    """Raised while reading one file: the file is skipped with this message as its reason."""


def image_paths(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursively, hidden entries excluded), in a stable sorted order."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(root) / name
            for name in files
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)
        )
    return sorted(found)


def sixteen_bit_to_8(image: Image.Image) -> Image.Image:
    """Gray 16-bit or 32-bit integer/float images scaled to 8 bits (Pillow's own convert clips)."""
    values = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        full_scale = 1.0 if values.max(initial=0.0) <= 1.0 else 255.0
    elif image.mode.startswith("I;16") or values.max(initial=0) > 255:
        full_scale = 65535.0
    else:
        full_scale = 255.0
    return Image.fromarray(np.clip(np.rint(values * (255.0 / full_scale)), 0, 255).astype(np.uint8))


def to_mode(image: Image.Image, channels: int, background: tuple[int, int, int]) -> Image.Image:
    """``image`` as "RGB" (channels 3) or "L" (channels 1): transparency composited on
    ``background``; palette, 1-bit, 16-bit, CMYK and other modes converted."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        image = sixteen_bit_to_8(image)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, tuple(background) + (255,))
        image = Image.alpha_composite(flat, rgba)
    return image.convert("RGB" if channels == 3 else "L")


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


def read_image(path: Path, size: int, channels: int, spec: DatasetSpec, rng: np.random.Generator) -> np.ndarray:
    """One file as uint8 (size, size, channels); raises :class:`SkipImage` with the reason to skip it."""
    if path.stat().st_size == 0:
        raise SkipImage("empty file")
    max_pixels = spec.max_pixels if spec.max_pixels is not None else Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if max_pixels and width * height > max_pixels:
                    raise SkipImage(f"too large ({width}x{height} pixels; limit {max_pixels}), possible decompression bomb")
                image.seek(0)
                image.load()
                # Photos store their orientation in EXIF; apply it so they are not trained sideways.
                converted = to_mode(ImageOps.exif_transpose(image), channels, spec.background)
    except SkipImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise SkipImage(f"too large, possible decompression bomb ({error})") from None
    except Image.UnidentifiedImageError:
        raise SkipImage("not an image Pillow can read (unknown or mislabeled format)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise SkipImage(f"unreadable or truncated ({error})") from None
    fitted = fit_size(converted, size, spec.fit, spec.small, rng)
    return np.asarray(fitted, dtype=np.uint8).reshape(size, size, channels)


def read_image_folder(folder: Path, spec: DatasetSpec) -> tuple[np.ndarray, list[SkippedFile]]:
    """All usable images under ``folder`` as uint8 (N, size, size, C), and the files skipped."""
    size = spec.size or 32
    channels = spec.channels or 3
    images, skipped = [], []
    for index, path in enumerate(image_paths(folder)):
        if spec.limit is not None and len(images) >= spec.limit:
            break
        # One generator per file, seeded by its position: the same crop on every rebuild of the run.
        rng = np.random.default_rng([spec.seed, index])
        try:
            images.append(read_image(path, size, channels, spec, rng))
        except SkipImage as reason:
            skipped.append(SkippedFile(str(path), str(reason)))
        except OSError as error:
            skipped.append(SkippedFile(str(path), f"cannot open ({error.strerror or error})"))
    if not images:
        return np.zeros((0, size, size, channels), np.uint8), skipped
    return np.stack(images), skipped
