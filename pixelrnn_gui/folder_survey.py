"""What a folder of images suggests for training: a size that none of its images is too small for
(large photos are cropped to 32 px, quick to train on a CPU) and grayscale when every image is grey."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import pixelrnn_core as prc

SURVEYED_FILES = 64  # enough to see the folder's sizes and colours, quick on a slow disk
LARGEST_PROPOSED = 64
PHOTO_SIZE = 32
SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass(frozen=True)
class Proposal:
    """Training settings that suit a folder's images."""

    size: int
    channels: int


def survey(folder: str | Path) -> Proposal | None:
    """The settings the first image files of ``folder`` (searched recursively) suggest; None when
    none of them can be read (the scan then says why)."""
    files = (p for p in sorted(Path(folder).expanduser().rglob("*")) if p.suffix.lower() in SUFFIXES and p.is_file())
    sides, grey = [], True
    for path in itertools.islice(files, SURVEYED_FILES):
        try:
            image = prc.read_image(path, channels=3)
        except (prc.ImageFileError, OSError, ValueError):
            continue
        sides.append(min(image.shape[:2]))
        grey = grey and prc.is_grey(image)
    if not sides:
        return None
    side = int(np.min(sides))
    return Proposal(side if side <= LARGEST_PROPOSED else PHOTO_SIZE, 1 if grey else 3)


def planned_steps(images: int, val_fraction: float, batch_size: int, epochs: int) -> int:
    """The optimizer steps a run on ``images`` will take (the split holds out round(n * fraction),
    at least one image when it holds out any and there are two or more)."""
    held_out = int(round(images * val_fraction))
    if val_fraction > 0 and images >= 2:
        held_out = min(max(held_out, 1), images - 1)
    train = max(images - held_out, 1)
    return epochs * -(-train // batch_size)


def preview_interval(steps: int, previews: int = 4) -> int:
    """Every how many steps to preview so that a run of ``steps`` shows about ``previews`` of them."""
    return max(1, steps // previews)
