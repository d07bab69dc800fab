"""Small data files in every supported format, written by the tests themselves."""
from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
from PIL import Image


def gradient_images(count: int, size: int, channels: int, seed: int = 0) -> np.ndarray:
    """uint8 (N, size, size, C) images with varied, known content."""
    return np.random.default_rng(seed).integers(0, 256, (count, size, size, channels), dtype=np.uint8)


def write_idx(path: Path, images: np.ndarray, gzipped: bool = False) -> Path:
    """``images`` (N, H, W) as an IDX ubyte file (the MNIST layout)."""
    header = bytes([0, 0, 0x08, images.ndim]) + struct.pack(f">{images.ndim}I", *images.shape)
    data = header + images.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def write_cifar_batch(path: Path, images: np.ndarray) -> Path:
    """``images`` (N, 32, 32, 3) as a CIFAR-10 python batch (a pickled dict with planar rows)."""
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    batch = {b"batch_label": b"test", b"labels": list(range(len(images))), b"data": rows, b"filenames": [b"a"] * len(images)}
    path.write_bytes(pickle.dumps(batch, protocol=2))
    return path


def write_npz(path: Path, images: np.ndarray) -> Path:
    """``images`` (N, s, s, 3) in the downsampled-ImageNet layout: planar rows under "data"."""
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    np.savez(path, data=rows, labels=np.arange(len(images)))
    return path


def write_image_folder(folder: Path, count: int, size: int, seed: int = 0) -> np.ndarray:
    """``count`` RGB PNGs under ``folder`` (half of them in a subfolder); returns them in sorted-path order."""
    images = gradient_images(count, size, 3, seed)
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(images):
        where = folder / "sub" if index % 2 else folder
        Image.fromarray(image).save(where / f"img{index:03d}.png")
    order = sorted(range(count), key=lambda i: str((folder / "sub" if i % 2 else folder) / f"img{i:03d}.png"))
    return images[order]


def write_broken_files(folder: Path, size: int) -> dict[str, str]:
    """An empty file, a text file posing as an image, a truncated PNG and an oversized image;
    returns file name -> the start of the reason it must be skipped for."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("this is not an image")
    full = folder / "whole.png"
    Image.fromarray(gradient_images(1, 64, 3, seed=9)[0]).save(full)
    (folder / "truncated.png").write_bytes(full.read_bytes()[:200])
    full.unlink()
    Image.new("L", (size * 40, size * 40), 128).save(folder / "huge.png")
    return {"empty.png": "empty file", "notes.jpg": "not an image", "truncated.png": "unreadable or truncated", "huge.png": "too large"}


class TouchPayload:
    """An object whose unpickling runs a shell command that creates ``path``: a malicious pickle."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.path}",))
