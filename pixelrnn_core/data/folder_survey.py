"""What a folder of images suggests for training: a size that all but the smallest tenth of its images
reach (large photos are cropped to 32 px, quick to train on a CPU) and grayscale when every image is grey.
`pixelrnn train FOLDER` without --size and the app's Train panel both start from it."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from ..io.images import ImageFileError, read_image
from ..pixels.levels import is_grey
from .image_files import image_paths

SURVEYED_FILES = 64  # enough to see the folder's sizes and colours, quick on a slow disk
LARGEST_PROPOSED = 64
PHOTO_SIZE = 32
# The smallest tenth of the images may be too small for the proposed size (they are skipped and listed):
# one icon among a folder of photos does not make the whole folder train at its size.
OUTLIERS_SKIPPED = 0.1


@dataclass(frozen=True)
class Proposal:
    """Training settings that suit a folder's images."""

    size: int
    channels: int


def survey_folder(folder: str | Path) -> Proposal | None:
    """The settings the first image files of ``folder`` (searched recursively) suggest; None when
    none of them can be read (reading the folder for training then says why)."""
    root = Path(folder).expanduser()
    if not root.exists():
        raise FileNotFoundError(f"{folder}: no such folder")
    sides, grey = [], True
    for path in itertools.islice(image_paths(root), SURVEYED_FILES):
        try:
            image = read_image(path, channels=3)
        except (ImageFileError, OSError, ValueError):
            continue
        sides.append(min(image.shape[:2]))
        grey = grey and is_grey(image)
    if not sides:
        return None
    side = sorted(sides)[int(len(sides) * OUTLIERS_SKIPPED)]
    return Proposal(side if side <= LARGEST_PROPOSED else PHOTO_SIZE, 1 if grey else 3)
