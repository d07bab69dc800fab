"""Any supported data source, recognised by its content, as one uint8 (N, H, W, C) array."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..memory import check_images_memory
from ..pixels.levels import to_channels
from .cifar import cifar_batch_files, is_pickle, read_cifar_batch, read_cifar_folder
from .idx import is_idx, read_head, read_idx_images
from .image_files import IMAGE_EXTENSIONS, SkippedFile, examples_per_image, fit_examples, read_image_folder, skip_reasons
from .imagenet_npz import ZIP_MAGIC, read_npz_images
from .spec import DataError, DatasetSpec


@dataclass
class ImageSet:
    """The usable images of a source (uint8, (N, H, W, C), 0..255) and the files that were skipped;
    ``source_images`` of the source gave them (fewer than N when cut into tiles; None: one each)."""

    images: np.ndarray
    skipped: list[SkippedFile] = field(default_factory=list)
    source_format: str = "images"
    source_images: int | None = None

    def tiles_line(self) -> str:
        """", tiles of 4 images" when the images are tiles of fewer source images, else ""."""
        if self.source_images is None or self.source_images == len(self.images):
            return ""
        return f", tiles of {self.source_images} image(s)"

    def skip_line(self) -> str:
        """"N file(s): n1 reason1, n2 reason2, ..." of the files skipped (see :func:`skip_reasons`)."""
        return f"{len(self.skipped)} file(s): {skip_reasons(self.skipped)}"


def detect_format(path: Path) -> str:
    """"images" (a folder, or one image file), "cifar10", "idx" or "npz" for ``path``, from its content
    (an image file by its suffix); DataError otherwise."""
    if path.is_dir():
        return "cifar10" if cifar_batch_files(path) else "images"
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    head = read_head(path, 4)
    if not head:
        raise DataError(f"{path}: empty file")
    if is_idx(head):
        return "idx"
    if head.startswith(ZIP_MAGIC):
        return "npz"
    if is_pickle(head):
        return "cifar10"
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return "images"
    raise DataError(f"{path}: not a folder of images or a dataset file (IDX, CIFAR-10 batch, .npz)")


def read_array_source(path: Path, source_format: str, limit: int | None) -> np.ndarray:
    if source_format == "idx":
        return read_idx_images(path, limit)
    if source_format == "npz":
        return read_npz_images(path)
    return read_cifar_folder(path) if path.is_dir() else read_cifar_batch(path)


def resize_array(images: np.ndarray, spec: DatasetSpec) -> np.ndarray:
    """Dataset-file images brought to ``spec.size`` the same way folder images are (one example each,
    or every tile of each with ``fit="tiles"``)."""
    size = spec.size
    if size is None or images.shape[1:3] == (size, size):
        return images
    height, width = images.shape[1:3]
    if min(height, width) < size and spec.small == "skip":
        raise DataError(f"{spec.path}: images are {width}x{height}, smaller than the size {size}x{size} they are read at")
    per_image = examples_per_image(height, width, size, spec.fit)
    check_images_memory(len(images) * per_image, size, size, images.shape[-1], str(spec.path))
    out = np.empty((len(images) * per_image, size, size, images.shape[-1]), np.uint8)
    for index, image in enumerate(images):
        rng = np.random.default_rng([spec.seed, index])
        picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)  # "L" or "RGB"
        out[index * per_image:(index + 1) * per_image] = fit_examples(picture, size, spec.fit, spec.small, rng)
    return out


def skip_detail(image_set: ImageSet) -> str:
    """Why a source gave no usable image: the files skipped, counted by reason, and what would use the
    ones that were only too small."""
    if not image_set.skipped:
        return ""
    first = image_set.skipped[0]
    detail = f"; skipped {image_set.skip_line()} (e.g. {first.path}: {first.reason})"
    if any(item.reason.startswith("smaller than") for item in image_set.skipped):
        detail += "; a smaller image size would use them (in training, so would upscaling small images: --small upscale)"
    return detail


def load_images(spec: DatasetSpec) -> ImageSet:
    """Read the source ``spec.path`` names: a DataError if nothing usable is found."""
    path = Path(spec.path).expanduser()
    source_format = detect_format(path)
    if source_format == "images":
        images, skipped, files_used = read_image_folder(path, spec)
        if not len(images):
            raise DataError(f"{path}: no usable image found{skip_detail(ImageSet(images, skipped))}", skipped)
        return ImageSet(images, skipped, source_format, files_used)
    images = read_array_source(path, source_format, spec.limit)
    if not len(images):
        raise DataError(f"{path}: the dataset file holds no images")
    if spec.limit is not None:
        images = images[: spec.limit]
    images = to_channels(images, spec.channels or images.shape[-1])
    return ImageSet(resize_array(images, spec), [], source_format, len(images))
