"""What data a run trains on, as plain JSON-able data, so that a resumed run rebuilds the same set."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..pixels.levels import check_levels
from ..plain_data import PlainData

BINARIZATIONS = ("none", "threshold", "dynamic")
FITS = ("crop", "resize", "tiles")
SMALL_IMAGE_POLICIES = ("skip", "upscale")


class DataError(ValueError):
    """A data source that cannot be used at all (empty folder, unknown or broken dataset file).
    ``skipped``: the files of a folder that were skipped, each with its reason."""

    def __init__(self, message: str, skipped: list | None = None) -> None:
        super().__init__(message)
        self.skipped = list(skipped or [])


@dataclass(frozen=True)
class DatasetSpec(PlainData):
    """A data source and how its images become training examples.

    ``path``: a folder of images (searched recursively) or a dataset file (IDX, CIFAR-10 python batch or
    a folder of them, downsampled-ImageNet ``.npz``). ``size``: side of the square training images
    (``None`` keeps a dataset file's own size; a folder then uses 32). Larger images are randomly
    cropped (``fit="crop"``: one example per image, the same crop for the whole run), scaled and
    centre-cropped (``fit="resize"``), or cut into every tile of a centred grid (``fit="tiles"``: a
    100 x 70 image at size 32 gives 3 x 2 examples, and validation tiles come from the same images as
    training ones); smaller ones are skipped or upscaled (``small``). ``channels``: 1 (grayscale) or 3
    (RGB), ``None`` for the source's own. ``levels``: values per sub-pixel after quantization.
    ``binarize``: "threshold" (fixed, at ``threshold`` of full scale) or "dynamic" (each pixel drawn as
    1 with probability equal to its intensity each time it is used, the binarized-MNIST protocol of
    Salakhutdinov & Murray 2008); both need ``levels=2``. ``val_fraction`` of the examples, chosen with
    ``seed``, is held out for validation. ``augment`` applies a random flip/transpose (one of the 8
    symmetries of the square) to every training example. ``limit`` keeps only the first images of the
    source (with tiles, the tiles of the first images). ``max_pixels`` is the largest image (width x
    height) a folder may contain; larger files are skipped as possible decompression bombs (Pillow's
    own limit by default).
    """

    KIND = "dataset settings"
    ERROR = DataError

    path: str
    size: int | None = None
    channels: int | None = None
    levels: int = 256
    binarize: str = "none"
    threshold: float = 0.5
    fit: str = "crop"
    small: str = "skip"
    background: tuple[int, int, int] = (255, 255, 255)
    val_fraction: float = 0.1
    seed: int = 0
    augment: bool = False
    limit: int | None = None
    max_pixels: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.binarize not in BINARIZATIONS:
            raise DataError(f"binarize must be one of {', '.join(BINARIZATIONS)}, got {self.binarize!r}")
        if self.binarize != "none" and self.levels != 2:
            raise DataError(f"binarize={self.binarize!r} needs levels=2, got levels={self.levels}")
        check_levels(self.levels, DataError)
        if self.fit not in FITS:
            raise DataError(f"fit must be one of {', '.join(FITS)}, got {self.fit!r}")
        if self.small not in SMALL_IMAGE_POLICIES:
            raise DataError(f"small must be one of {', '.join(SMALL_IMAGE_POLICIES)}, got {self.small!r}")
        if self.channels not in (None, 1, 3):
            raise DataError(f"channels must be 1 or 3, got {self.channels}")
        if self.size is not None and self.size < 1:
            raise DataError(f"size must be a positive number of pixels, got {self.size}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise DataError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if not 0.0 < self.threshold < 1.0:
            raise DataError(f"threshold must be in (0, 1), got {self.threshold}")
        if self.limit is not None and self.limit < 1:
            raise DataError(f"limit must be at least 1, got {self.limit}")
        if self.max_pixels is not None and self.max_pixels < 1:
            raise DataError(f"max_pixels must be at least 1, got {self.max_pixels}")
        if not all(0 <= value <= 255 for value in self.background):
            raise DataError(f"background must be an RGB colour of values 0 to 255, got {self.background}")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["background"] = list(self.background)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DatasetSpec":
        values = dict(data)
        if "background" in values:
            values["background"] = tuple(values["background"])
        return super().from_dict(values)
