"""What a folder of images suggests for training: the smallest side of its images, not counting a few far
smaller ones (large photos are cropped to 32 px, quick to train on a CPU), and grayscale when every
image is grey.
`pixelrnn train FOLDER` without --size and the app's Train panel both start from it."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from ..io.images import ImageFileError, image_header, read_image
from ..pixels.levels import is_grey
from .image_files import image_paths

SURVEYED_FILES = 64  # enough to see the folder's sizes and colours, quick on a slow disk
LARGEST_PROPOSED = 64
PHOTO_SIZE = 32
# Images under half the side that nine in ten of the images reach are left out of the proposal (and
# skipped and listed when the folder is read): one icon among a folder of photos does not make the whole
# folder train at its size, while a folder of mixed sizes keeps all of its images.
TYPICAL_SHARE = 0.9


@dataclass(frozen=True)
class Proposal:
    """Training settings that suit a folder's images."""

    size: int
    channels: int


def survey_folder(folder: str | Path) -> Proposal | None:
    """The settings the first image files of ``folder`` (searched recursively) suggest; None when
    none of them can be read (reading the folder for training then says why). Headers give the sizes;
    pixels are decoded only from files whose mode could show colour, until one does (64 photos of
    4000x3000 pixels took 11 s when every one was decoded)."""
    root = Path(folder).expanduser()
    if not root.exists():
        raise FileNotFoundError(f"{folder}: no such folder")
    sides, grey = [], True
    for path in itertools.islice(image_paths(root), SURVEYED_FILES):
        try:
            header = image_header(path)
            if grey and not header.grey_mode:  # whether an RGB or palette file shows colour, only its pixels tell
                grey = is_grey(read_image(path, channels=3))
        except (ImageFileError, OSError, ValueError):
            continue
        sides.append(header.side)
    if not sides:
        return None
    typical = sorted(sides)[int(len(sides) * (1 - TYPICAL_SHARE))]
    side = min(side for side in sides if 2 * side >= typical)
    return Proposal(side if side <= LARGEST_PROPOSED else PHOTO_SIZE, 1 if grey else 3)
