"""The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), gzipped or not.

Header: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, then one
big-endian uint32 per dimension; the values follow in row-major order.

Files are read as a stream: the header says how many bytes the images take, so a file is refused
before it is read when they would not fit in memory, only the images asked for (``limit``) are
decompressed, and a gzip bomb never unpacks more than the header promises.
"""
from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..io.regular_files import open_regular_file
from ..memory import check_images_memory
from .spec import DataError

GZIP_MAGIC = b"\x1f\x8b"
UNSIGNED_BYTE = 0x08
STREAM_ERRORS = (OSError, EOFError, zlib.error)


def open_stream(path: Path) -> BinaryIO:
    """The file's decompressed bytes as a stream (gzip detected by content, not by name)."""
    handle = open_regular_file(path)
    if handle.read(2) == GZIP_MAGIC:
        handle.seek(0)
        return gzip.GzipFile(fileobj=handle)
    handle.seek(0)
    return handle


def read_head(path: Path, count: int) -> bytes:
    """The first ``count`` decompressed bytes of the file."""
    with open_stream(path) as stream:
        return read_exactly(stream, count, path)


def is_idx(head: bytes) -> bool:
    """Whether ``head`` (the first 4 bytes of decompressed data) starts an IDX file of unsigned bytes."""
    return len(head) >= 4 and head[:2] == b"\x00\x00" and head[2] == UNSIGNED_BYTE and 1 <= head[3] <= 4


def read_exactly(stream: BinaryIO, count: int, path: Path) -> bytes:
    try:
        return stream.read(count)
    except STREAM_ERRORS as error:
        raise DataError(f"{path}: broken gzip data ({error})") from None


def read_idx_images(path: Path, limit: int | None = None) -> np.ndarray:
    """An IDX image file as uint8 (N, H, W, 1), or (N, H, W, C) for a 4-dimensional file; with
    ``limit``, only the first ``limit`` images are read."""
    with open_stream(path) as stream:
        head = read_exactly(stream, 4, path)
        if not is_idx(head):
            raise DataError(f"{path}: not an IDX file of unsigned bytes")
        ndim = head[3]
        if ndim not in (3, 4):
            raise DataError(f"{path}: IDX file with {ndim} dimension(s) holds labels or vectors, not images")
        dims = read_exactly(stream, 4 * ndim, path)
        if len(dims) < 4 * ndim:
            raise DataError(f"{path}: truncated IDX header")
        shape = struct.unpack(f">{ndim}I", dims)
        count = shape[0] if limit is None else min(shape[0], limit)
        image_bytes = math.prod(shape[1:])
        check_images_memory(count, shape[1], shape[2], shape[3] if ndim == 4 else 1, str(path))
        data = read_exactly(stream, count * image_bytes, path)
        if len(data) < count * image_bytes or (limit is None and read_exactly(stream, 1, path)):
            promised = math.prod(shape)
            raise DataError(f"{path}: IDX header promises {promised} bytes of {shape} images, the file holds a different amount")
    images = np.frombuffer(data, dtype=np.uint8).reshape((count, *shape[1:])).copy()
    return images[..., None] if ndim == 3 else images
