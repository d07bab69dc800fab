"""The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), gzipped or not.

Header: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, then one
big-endian uint32 per dimension; the values follow in row-major order.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from .spec import DataError

GZIP_MAGIC = b"\x1f\x8b"
UNSIGNED_BYTE = 0x08


def read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzipped (detected by content, not by name)."""
    raw = path.read_bytes()
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: broken gzip data ({error})") from None


def is_idx(head: bytes) -> bool:
    """Whether ``head`` (the first 4 bytes of decompressed data) starts an IDX file of unsigned bytes."""
    return len(head) >= 4 and head[:2] == b"\x00\x00" and head[2] == UNSIGNED_BYTE and 1 <= head[3] <= 4


def read_idx_images(path: Path) -> np.ndarray:
    """An IDX image file as uint8 (N, H, W, 1), or (N, H, W, C) for a 4-dimensional file."""
    data = read_bytes(path)
    if not is_idx(data[:4]):
        raise DataError(f"{path}: not an IDX file of unsigned bytes")
    ndim = data[3]
    if ndim not in (3, 4):
        raise DataError(f"{path}: IDX file with {ndim} dimension(s) holds labels or vectors, not images")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape))
    if len(data) - header != expected:
        raise DataError(f"{path}: IDX header promises {expected} bytes of {shape} images, file holds {len(data) - header}")
    images = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()
    return images[..., None] if ndim == 3 else images
