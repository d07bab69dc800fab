"""Image and mask files: PNG/JPEG/... to the uint8 level arrays completion works on, and back.

Values become levels and levels are shown as :mod:`..pixels.levels` says (Pillow reads a file as grey
with the same luma). Files are written atomically (temp file + rename).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..pixels.levels import check_levels, quantize, to_8bit
from .atomic import atomic_write
from .regular_files import NotARegularFile, open_regular_file

PIL_MODES = {1: "L", 3: "RGB"}
GREY_MODES = ("1", "L", "LA", "La", "I", "F")  # Pillow modes without colour (and "I;16...")
WHITE = (255, 255, 255)


class ImageFileError(ValueError):
    """An image or mask file that cannot be read or written; the message names the file. ``reason``
    is the message without the file's name (training lists it beside each skipped file)."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


def unreadable(path: str | os.PathLike, reason: str) -> ImageFileError:
    return ImageFileError(f"cannot read image {os.fspath(path)!r}: {reason}", reason)


@contextlib.contextmanager
def checked_picture(path: str | os.PathLike, max_pixels: int | None = None) -> Iterator[Image.Image]:
    """An image file opened, its header read and nothing decoded yet; refused with an
    :class:`ImageFileError` as :func:`load_picture` says, also for what goes wrong while the caller
    decodes it."""
    limit = Image.MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    try:
        with open_regular_file(path) as handle, warnings.catch_warnings():
            if os.fstat(handle.fileno()).st_size == 0:
                raise unreadable(path, "empty file")
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # judged below, in our words
            with Image.open(handle) as picture:
                width, height = picture.size
                if limit and width * height > limit:
                    raise unreadable(path, f"too large ({width}x{height} pixels; limit {limit}), possibly a decompression bomb")
                yield picture
    except ImageFileError:
        raise
    except Image.DecompressionBombError as error:
        raise unreadable(path, f"too large, possibly a decompression bomb ({error})") from None
    except UnidentifiedImageError:
        raise unreadable(path, "not an image Pillow can read (unknown or mislabeled format)") from None
    except NotARegularFile as error:
        raise unreadable(path, str(error).split(": ", 1)[-1]) from None
    except FileNotFoundError:
        raise unreadable(path, "no such file") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise unreadable(path, f"unreadable or truncated ({error})") from None


def load_picture(path: str | os.PathLike, max_pixels: int | None = None) -> Image.Image:
    """The first frame of an image file as the viewer shows it (EXIF orientation applied). Refused
    with an :class:`ImageFileError`: special files (FIFOs, devices; checked before reading), empty
    and unreadable files, and images of more than ``max_pixels`` pixels (default: Pillow's
    decompression-bomb limit), judged from the header before any pixel is decoded."""
    with checked_picture(path, max_pixels) as picture:
        picture.seek(0)
        picture.load()
        return ImageOps.exif_transpose(picture)


@dataclass(frozen=True)
class ImageHeader:
    """What an image file's header tells without decoding a pixel: its shorter ``side`` and whether its
    mode holds greys only (``grey_mode``: grey, 1-bit, 16-bit or float; an RGB or palette file may show
    only greys too, which its pixels alone tell)."""

    side: int
    grey_mode: bool


def image_header(path: str | os.PathLike) -> ImageHeader:
    """The :class:`ImageHeader` of an image file; refused as :func:`load_picture` refuses a file it can
    tell from the header."""
    with checked_picture(path) as picture:
        mode = picture.mode
        return ImageHeader(min(picture.size), mode in GREY_MODES or mode.startswith("I;16"))


def wide_to_8bit(picture: Image.Image) -> Image.Image:
    """Grey 16-bit or 32-bit integer/float images scaled to 8 bits (Pillow's own convert clips)."""
    values = np.asarray(picture, dtype=np.float64)
    if picture.mode == "F":
        full_scale = 1.0 if values.max(initial=0.0) <= 1.0 else 255.0
    elif picture.mode.startswith("I;16") or values.max(initial=0) > 255:
        full_scale = 65535.0
    else:
        full_scale = 255.0
    return Image.fromarray(np.clip(np.rint(values * (255.0 / full_scale)), 0, 255).astype(np.uint8))


def has_transparency(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in picture.info


def is_translucent(picture: Image.Image) -> bool:
    """Whether some pixel of ``picture`` is less than fully opaque (read on white, it changes)."""
    return has_transparency(picture) and int(np.asarray(picture.convert("RGBA").getchannel("A")).min()) < 255


def to_mode(picture: Image.Image, channels: int, background: tuple[int, int, int] = WHITE) -> Image.Image:
    """``picture`` as "RGB" (channels 3) or "L" (channels 1): transparency (an alpha channel or a
    palette's transparent colour) composited on ``background``; 16-bit and 32-bit grey scaled,
    palette, 1-bit, CMYK and other modes converted."""
    if picture.mode in ("I", "F") or picture.mode.startswith("I;16"):
        picture = wide_to_8bit(picture)
    if has_transparency(picture):
        flat = Image.new("RGBA", picture.size, tuple(background) + (255,))
        picture = Image.alpha_composite(flat, picture.convert("RGBA"))
    return picture.convert("RGB" if channels == 3 else "L")


@dataclass(frozen=True)
class ImageFile:
    """An image file as read: its ``pixels`` (see :func:`read_image`), whether some of its pixels were
    ``translucent`` (shown on white; writing the pixels back loses the transparency), and its ``exif``
    (a camera's date, make, place...; without the orientation tag, as the pixels are upright; empty
    when it had none), which :func:`save_image` can write back."""

    pixels: np.ndarray
    translucent: bool
    exif: bytes = b""


def read_image_file(path: str | os.PathLike, channels: int = 3, levels: int = 256) -> ImageFile:
    """:func:`read_image`, also saying whether the file had see-through pixels (read once)."""
    if channels not in PIL_MODES:
        raise ValueError(f"image files have 1 (grey) or 3 (RGB) channels, not {channels}")
    check_levels(levels)
    picture = load_picture(path)
    values = np.asarray(to_mode(picture, channels))
    pixels = quantize(values.reshape(values.shape[0], values.shape[1], channels), levels)
    return ImageFile(pixels, is_translucent(picture), upright_exif(picture))


def upright_exif(picture: Image.Image) -> bytes:
    """The EXIF of a picture :func:`load_picture` turned upright, without its orientation tag."""
    exif = picture.getexif()
    exif.pop(ORIENTATION_TAG, None)
    return exif.tobytes() if len(exif) else b""


def read_image(path: str | os.PathLike, channels: int = 3, levels: int = 256) -> np.ndarray:
    """uint8 (H, W, channels) of values in [0, levels) from an image file (grey for 1 channel, RGB for
    3): any format Pillow reads, upright as its EXIF orientation says, 16-bit and float images scaled
    to 8 bits, transparency shown on white (:func:`load_picture` and :func:`to_mode` say how)."""
    return read_image_file(path, channels, levels).pixels


def read_mask(path: str | os.PathLike, shape: tuple[int, int] | None = None) -> np.ndarray:
    """bool (H, W) from a mask image: True (fill) where its brightness is at least half, or, for a file
    with see-through pixels (an alpha channel or a palette's transparent colour, not opaque all over),
    where it is at least half opaque. With ``shape`` (an image's (H, W) or (H, W, C)), a mask of another
    size is refused."""
    try:
        picture = load_picture(path)
    except ImageFileError as error:
        raise ImageFileError(f"cannot read mask {os.fspath(path)!r}: {error.reason}", error.reason) from None
    if is_translucent(picture):  # an opaque RGBA export of a black-and-white mask is read by its brightness
        values = picture.convert("RGBA").getchannel("A")
    else:
        values = to_mode(picture, 1)
    mask = np.asarray(values) >= 128
    if shape is not None and mask.shape != tuple(shape)[:2]:
        raise ImageFileError(
            f"mask {os.fspath(path)!r} is {mask.shape[1]}x{mask.shape[0]} pixels but the image is {shape[1]}x{shape[0]}"
        )
    return mask


def sample_grid(images: np.ndarray, columns: int | None = None, gap: int = 1, fill: int = 0) -> np.ndarray:
    """One (H', W', C) image of K images (K, H, W, C) in a grid, ``gap`` pixels of value ``fill``
    between them and in the empty cells. ``columns`` defaults to ceil(sqrt(K))."""
    images = np.asarray(images)
    if images.ndim != 4 or not images.shape[0]:
        raise ValueError(f"sample_grid needs a non-empty (K, H, W, C) array of images, got shape {images.shape}")
    count, height, width, channels = images.shape
    largest = np.iinfo(images.dtype).max if images.dtype.kind in "iu" else np.inf
    if columns is not None and columns < 1 or gap < 0 or not 0 <= fill <= largest:
        raise ValueError(f"sample_grid needs at least one column, a gap of 0 or more and a fill value its images can hold; "
                         f"got columns={columns}, gap={gap}, fill={fill}")
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = -(-count // columns)
    grid = np.full(
        (rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap, channels), fill, dtype=images.dtype
    )
    for index, image in enumerate(images):
        top, left = (index // columns) * (height + gap), (index % columns) * (width + gap)
        grid[top : top + height, left : left + width] = image
    return grid


def check_levels_image(image: np.ndarray, levels: int) -> None:
    """A ValueError unless ``image`` is an integer (H, W, 1 or 3) array of values in [0, levels)."""
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] not in PIL_MODES or not image.size:
        raise ValueError(f"can save non-empty (height, width, 1 or 3) arrays, got {getattr(image, 'shape', type(image).__name__)}")
    check_levels(levels)
    if not np.issubdtype(image.dtype, np.integer):
        raise ValueError(f"can save integer levels in [0, {levels}) (uint8), got {image.dtype} values; scale and round them first")
    low, high = int(image.min()), int(image.max())
    if low < 0 or high >= levels:
        raise ValueError(f"image values must lie in [0, {levels}), got {low}..{high}")


# the suffixes written, each in a format that keeps every pixel and the size (JPEG, the one lossy one,
# near them); Pillow writes others that would not (GIF's 256 colours, AVIF's losses, ICO's and ICNS's
# sizes, PDF) and reads some it cannot write (PSD, XPM, QOI)
WRITTEN_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pnm", ".tga", ".jpg", ".jpeg")
WRITTEN_NAMES = ".png, .bmp, .tif, .webp, .ppm/.pgm, .tga, or .jpg (lossy)"


def image_destination_format(path: str | os.PathLike, channels: int | None = None) -> str:
    """Pillow's format for saving to ``path``, refused with the reason if ``save_image`` could not write
    there: a folder, a folder that does not exist or takes no new file, an unknown suffix, a .pgm for an
    image of 3 ``channels`` (checked before any long work)."""
    path = Path(path)
    if path.is_dir():
        raise ImageFileError(f"cannot save {os.fspath(path)!r}: it is a folder")
    if not path.parent.is_dir():
        raise ImageFileError(f"cannot save {os.fspath(path)!r}: the folder {os.fspath(path.parent)!r} does not exist")
    suffix = path.suffix.lower()
    image_format = Image.registered_extensions().get(suffix)
    if suffix not in WRITTEN_SUFFIXES:
        what = "unknown image format" if image_format is None else "a format that would not keep the image as it is:"
        raise ImageFileError(f"cannot save {os.fspath(path)!r}: {what} {path.suffix!r}; write {WRITTEN_NAMES}")
    if suffix == ".pgm" and channels == 3:
        raise ImageFileError(f"cannot save {os.fspath(path)!r}: a .pgm file holds grey pixels only; write a colour image as .ppm or .png")
    try:
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise ImageFileError(f"cannot save {os.fspath(path)!r}: cannot write in {os.fspath(path.parent)!r} ({error.strerror})") from None
    return image_format


# WebP can keep every pixel exactly but does not by default; JPEG, the one lossy format, is written at
# a quality that changes the pixels little (Pillow's default, 75 with halved colour, moved a photo's
# pixels by 4.2 on average; this by 1.8)
SAVE_OPTIONS = {"WEBP": {"lossless": True}, "JPEG": {"quality": 95, "subsampling": 0}}
EXIF_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF")
ORIENTATION_TAG = 0x0112


def save_image(path: str | os.PathLike, image: np.ndarray, levels: int = 256, exif: bytes = b"") -> None:
    """Write uint8 (H, W, C) levels (C = 1 or 3) to ``path`` atomically; the format follows its suffix
    (WebP written lossless; JPEG, the one lossy format, at quality 95 without colour subsampling).
    ``exif`` (an :class:`ImageFile`'s) is written with the pixels where the format keeps it (JPEG,
    PNG, WebP, TIFF)."""
    check_levels_image(image, levels)
    image_format = image_destination_format(path, image.shape[2])
    if Path(path).suffix.lower() == ".ppm":  # a colour format: a grey image is written as colour
        image = np.repeat(image, 3 // image.shape[2], axis=2)
    picture = Image.fromarray(to_8bit(image, levels)[:, :, 0] if image.shape[2] == 1 else to_8bit(image, levels))
    options = {**SAVE_OPTIONS.get(image_format, {}), **({"exif": exif} if exif and image_format in EXIF_FORMATS else {})}
    try:
        atomic_write(path, lambda file: picture.save(file, format=image_format, **options))
    except OSError as error:
        raise ImageFileError(f"cannot save {os.fspath(path)!r}: {error.strerror or error}") from None
