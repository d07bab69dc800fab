"""CIFAR-10 python batches (https://www.cs.toronto.edu/~kriz/cifar.html), read without running code.

The batches are pickles of ``{b"data": uint8 array (N, 3072), b"labels": [...], ...}``. A pickle can
name any Python callable to run while loading, so they are read with an unpickler that resolves only
what a numpy array needs to be rebuilt; any other name refuses the file.
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from .spec import DataError

# The only globals a pickled dict of numpy arrays refers to (numpy 1.x and 2.x names, pickle
# protocols 2 to 5, and Python 2's cPickle as the original batches were written).
ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
}
BATCH_FILE_PREFIXES = ("data_batch", "test_batch")


class ArrayOnlyUnpickler(pickle.Unpickler):
    """Builds dicts, lists, strings, bytes, numbers and numpy arrays; refuses every other global."""

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def is_pickle(head: bytes) -> bool:
    """Whether ``head`` starts like a pickle of protocol 2 or later (PROTO opcode)."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def read_cifar_batch(path: Path) -> np.ndarray:
    """One CIFAR-10 python batch file as uint8 (N, 32, 32, 3)."""
    try:
        batch = ArrayOnlyUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise DataError(f"{path}: not a CIFAR-10 python batch ({error})") from None
    data = batch.get(b"data", batch.get("data")) if isinstance(batch, dict) else None
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise DataError(f"{path}: not a CIFAR-10 python batch (no uint8 'data' array of 3072 values per image)")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()


def cifar_batch_files(folder: Path) -> list[Path]:
    """The batch files of an extracted ``cifar-10-batches-py`` folder: data_batch_* then test_batch."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.startswith(BATCH_FILE_PREFIXES))


def read_cifar_folder(folder: Path) -> np.ndarray:
    """Every batch of a CIFAR-10 folder, concatenated: uint8 (N, 32, 32, 3)."""
    return np.concatenate([read_cifar_batch(path) for path in cifar_batch_files(folder)])
