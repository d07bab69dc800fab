"""The fixed-seed train/validation split and batches of model input drawn from it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..pixels.levels import quantize_tensor
from .examples import augment_dihedral, binarize_dynamic, binarize_threshold
from .sources import ImageSet, load_images
from .spec import DatasetSpec


@dataclass
class TrainingData:
    """Train and validation images (uint8 tensors (N, C, H, W)) of one spec, and what was skipped."""

    spec: DatasetSpec
    train: torch.Tensor
    validation: torch.Tensor
    image_set: ImageSet

    @property
    def channels(self) -> int:
        return int(self.train.shape[1])

    @property
    def image_size(self) -> tuple[int, int]:
        return int(self.train.shape[2]), int(self.train.shape[3])


def split_sizes(count: int, val_fraction: float) -> tuple[int, int]:
    """How many of ``count`` images train and how many are held out for validation: ``val_fraction`` of
    them rounded, but at least one and never all when ``val_fraction > 0`` and there are two or more."""
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 0:
        raise ValueError(f"count must be a whole number of images, got {count!r}")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    held_out = round(count * val_fraction)
    if val_fraction > 0 and count >= 2:
        held_out = min(max(held_out, 1), count - 1)
    return count - held_out, held_out


def split_indices(count: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices of ``count`` images (as many as :func:`split_sizes` says): a
    permutation fixed by ``seed``."""
    order = np.random.default_rng(seed).permutation(count)
    held_out = split_sizes(count, val_fraction)[1]
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def as_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, C) as a contiguous uint8 tensor (N, C, H, W), of the same strides whatever the
    source: a copy, since numpy counts a grey image's channel axis of stride 0 (an IDX file's) or 1 (an
    image folder's) as contiguous, and the convolutions sum in another order for each."""
    return torch.from_numpy(np.array(images.transpose(0, 3, 1, 2), order="C"))


def load_training_data(spec: DatasetSpec) -> TrainingData:
    """Read ``spec``'s source and split it (the same split every time for the same spec)."""
    image_set = load_images(spec)
    train_idx, val_idx = split_indices(len(image_set.images), spec.val_fraction, spec.seed)
    return TrainingData(spec, as_tensor(image_set.images[train_idx]), as_tensor(image_set.images[val_idx]), image_set)


def load_evaluation_data(spec: DatasetSpec) -> tuple[torch.Tensor, ImageSet]:
    """Every image of ``spec``'s source (no split), as uint8 (N, C, H, W), and the read report."""
    image_set = load_images(spec)
    return as_tensor(image_set.images), image_set


def model_input(
    batch: torch.Tensor, spec: DatasetSpec, generator: torch.Generator, augment: bool = False
) -> torch.Tensor:
    """uint8 images (B, C, H, W) as the int64 levels a model reads: quantized to ``spec.levels`` or
    binarized, optionally under random symmetries. ``generator`` draws every random choice."""
    if augment:
        batch = augment_dihedral(batch, generator)
    if spec.binarize == "dynamic":
        return binarize_dynamic(batch, generator)
    if spec.binarize == "threshold":
        return binarize_threshold(batch, spec.threshold)
    return quantize_tensor(batch, spec.levels)
