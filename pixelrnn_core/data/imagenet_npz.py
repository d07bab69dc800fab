"""Downsampled ImageNet (Chrabaszcz et al. 2017; van den Oord et al. 2016 §5) in its ``.npz`` form.

Each file holds ``data``: uint8 (N, 3 * s * s) with the R, G and B planes of an s x s image one after
another (the CIFAR layout), plus labels. Arrays are read with ``allow_pickle=False``, so a file that
would need unpickling is refused.
"""
from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from ..memory import MemoryRequestError, check_memory
from .spec import DataError

ZIP_MAGIC = b"PK\x03\x04"


def planes_to_images(data: np.ndarray, path: Path) -> np.ndarray:
    """(N, 3*s*s) planar rows, (N, H, W, C) or (N, H, W) arrays as uint8 (N, H, W, C)."""
    if data.ndim == 2:
        side = math.isqrt(data.shape[1] // 3)
        if 3 * side * side != data.shape[1]:
            raise DataError(f"{path}: rows of {data.shape[1]} values are not 3 planes of a square image")
        return data.reshape(-1, 3, side, side).transpose(0, 2, 3, 1).copy()
    if data.ndim == 3:
        return data[..., None]
    if data.ndim == 4 and data.shape[-1] in (1, 3):
        return data
    raise DataError(f"{path}: 'data' array of shape {data.shape} is not a set of images")


HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def check_declared_size(path: Path, archive: np.lib.npyio.NpzFile) -> None:
    """Refuse a ``data`` array whose header declares more than memory holds, before it is unpacked."""
    with archive.zip.open("data.npy") as member:
        read_header = HEADER_READERS.get(np.lib.format.read_magic(member))
        if read_header is None:
            return
        shape, _, dtype = read_header(member)
    check_memory(math.prod(shape) * dtype.itemsize, f"{path}: its 'data' array of shape {shape}")


def read_npz_images(path: Path) -> np.ndarray:
    """The ``data`` array of a downsampled-ImageNet ``.npz`` file as uint8 (N, H, W, C)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "data" not in archive.files:
                raise DataError(f"{path}: .npz file has no 'data' array (has {', '.join(archive.files) or 'none'})")
            check_declared_size(path, archive)
            data = archive["data"]
    except MemoryRequestError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: unreadable .npz file ({error})") from None
    if data.dtype != np.uint8:
        raise DataError(f"{path}: 'data' holds {data.dtype} values, expected uint8")
    return planes_to_images(data, path)
