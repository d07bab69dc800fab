"""Negative log-likelihood in the paper's units (§5.1): bits per dimension (total discrete NLL over
H * W * C sub-pixels, divided by ln 2) and nats per image (as reported for binarized MNIST).

Multi-scale models need nothing special: their logits already give every sub-pixel exactly once.
"""
from __future__ import annotations

import contextlib
import math
import os
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from ..data import DatasetSpec, ImageSet, load_evaluation_data, model_input
from ..devices import parse_device
from ..io.checkpoint_info import CheckpointInfo, checkpoint_info
from ..io.checkpoints import load_checkpoint
from ..models.config import ModelConfig
from ..models.folded_pixelcnn import scoring_form
from .distributed import rank, sum_over_processes, world_size
from .layout import to_fast_layout
from .model_names import find_checkpoint
from .settings import autocast_dtype

# Measured (docs/benchmarks.md): on a CPU batches of 32 score the most images/s (larger ones: see
# default_eval_batch_size; smaller ones give the recurrences' steps too few rows), on a GPU large ones do.
EVAL_BATCH_SIZES = {"cpu": 32, "cuda": 256}
# Validation runs beside a training run's memory (its optimizer state, the CUDA graphs' pools): on a GPU it
# keeps the 64 it always had, since 256 there is not measured beside them.
VALIDATION_BATCH_SIZES = {"cpu": 32, "cuda": 64}


def default_eval_batch_size(device: torch.device, beside_training: bool = False) -> int:
    """Images per forward pass when scoring on ``device`` unless told (``beside_training``: a training
    run's validation). 32 on a CPU: larger batches of a PixelCNN's maps outgrow the blocks glibc keeps
    for reuse (:mod:`pixelrnn_core.allocator`), and 64 ran 1.29x slower than 32 for the bundled
    ``fashion-mnist`` (docs/benchmarks.md); 256 on a GPU, 64 beside training."""
    sizes = VALIDATION_BATCH_SIZES if beside_training else EVAL_BATCH_SIZES
    return sizes.get(device.type, sizes["cpu"])


@dataclass(frozen=True)
class Evaluation:
    """NLL averaged over ``images`` images: per sub-pixel in bits, and per image in nats."""

    bits_per_dim: float
    nats_per_image: float
    images: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_images_fit_model(config: ModelConfig, channels: int, spec: DatasetSpec) -> None:
    """Images of ``channels`` colour channels, read as ``spec`` says, must be what the model of
    ``config`` scores: its channels, and its levels (a model of 256 levels reads 16-level data as
    merely dark images, and scores them without a word)."""
    if config.channels != channels:
        raise ValueError(f"the model has {config.channels} channel(s) but the images have {channels}")
    if config.levels != spec.levels:
        raise ValueError(f"the model has {config.levels} levels but the data is quantized to {spec.levels}")


def check_eight_bit(images: torch.Tensor, spec: DatasetSpec) -> None:
    """uint8 images must hold 8-bit values, not levels already quantized to ``spec.levels`` (binarized
    0/1 images quantized to 2 levels again are all 0, and scored without a word)."""
    largest = int(images.max()) if images.numel() else 0
    if spec.levels < 256 and 0 < largest < spec.levels:
        raise ValueError(f"the images look already quantized (values 0 to {largest}); pass 8-bit images "
                         f"(0 to 255): they are quantized to {spec.levels} levels as the spec says")


def check_scored_images(config: ModelConfig, images: torch.Tensor, spec: DatasetSpec, batch_size: int) -> None:
    """What :func:`evaluate_images` takes: uint8 images (N, C, H, W) that fit the model, in batches of one or more."""
    if isinstance(images, np.ndarray):
        raise TypeError("expected the images as a uint8 torch tensor (N, C, H, W); for a numpy array of (N, H, W, C) "
                        "images pass torch.from_numpy(array).permute(0, 3, 1, 2)")
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
        raise TypeError(f"expected 8-bit images, a uint8 torch tensor (N, C, H, W); got {getattr(images, 'dtype', type(images).__name__)}")
    if images.dim() != 4:
        raise ValueError(f"expected images of shape (N, {config.channels}, H, W), got {tuple(images.shape)}")
    check_images_fit_model(config, images.shape[1], spec)
    check_eight_bit(images, spec)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")


def nll_nats(model: nn.Module, levels: torch.Tensor) -> torch.Tensor:
    """Summed NLL in nats of a batch of int64 levels (B, C, H, W) under ``model`` (its
    ``log_likelihood``: the cross-entropy of its scores)."""
    return -model.log_likelihood(levels).float().sum()


def evaluate_images(
    model: nn.Module,
    images: torch.Tensor,
    spec: DatasetSpec,
    batch_size: int | None = None,
    autocast: torch.dtype | None = None,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """NLL of uint8 images (N, C, H, W) under ``model``, preprocessed as ``spec`` says, ``batch_size``
    images at a time (None: :func:`default_eval_batch_size` of the model's device). Dynamic
    binarization draws one fixed sample (``seed``) so figures are comparable. Under torchrun each
    process scores its share and the totals are summed. A PixelCNN in float32 on a CPU is scored through
    its folded form (:mod:`pixelrnn_core.models.folded_pixelcnn`: the same figure, fewer passes over
    memory). ``progress`` is called with 0 when the scoring starts (so a progress bar times the first
    batch too), then with the number of images of each batch once it is scored."""
    if batch_size is None:
        batch_size = default_eval_batch_size(next(model.parameters()).device)
    check_scored_images(model.config, images, spec, batch_size)
    return scored_images(model, images, spec, batch_size, autocast, seed, progress)


def scored_images(
    model: nn.Module,
    images: torch.Tensor,
    spec: DatasetSpec,
    batch_size: int,
    autocast: torch.dtype | None,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """:func:`evaluate_images` of images already checked (the trainer checks its data once, at the start)."""
    device = next(model.parameters()).device
    shard = images[rank() :: world_size()]
    generator = torch.Generator().manual_seed(seed)
    total = torch.zeros(2, dtype=torch.float64, device=device)
    was_training = model.training
    model.eval()
    scorer = scoring_form(model, autocast)
    amp = torch.autocast(device.type, dtype=autocast) if autocast else contextlib.nullcontext()
    if progress is not None:
        progress(0)
    with torch.inference_mode(), amp:
        for start in range(0, len(shard), batch_size):
            levels = model_input(shard[start : start + batch_size], spec, generator).to(device)
            total[0] += nll_nats(scorer, levels).double()
            total[1] += len(levels)
            if progress is not None:
                progress(len(levels))
    model.train(was_training)
    nats, count = sum_over_processes(total).tolist()
    dims = math.prod(images.shape[1:])
    count = int(count)
    if count == 0:
        raise ValueError("no images to evaluate")
    return Evaluation(nats / (count * dims * math.log(2)), nats / count, count)


def evaluation_spec(info: CheckpointInfo, data_path: str) -> DatasetSpec:
    """The preprocessing a checkpoint was trained with, applied to every image of ``data_path`` (at the
    model's channels: a grayscale model can be evaluated on colour images and vice versa).
    A model trained on a dataset file (which keeps its images' own size) reads image files at its
    training size. A checkpoint saved without a data spec is read at its model's channels and levels
    (levels=2: fixed threshold at half intensity)."""
    config = info.config
    if info.data is not None:
        return info.data.replace(
            path=str(data_path), size=info.square_side, channels=config.channels, augment=False, val_fraction=0.0, limit=None
        )
    binarize = "threshold" if config.levels == 2 else "none"
    return DatasetSpec(str(data_path), channels=config.channels, levels=config.levels, binarize=binarize)


def evaluate_checkpoint(
    checkpoint: str | os.PathLike,
    data_path: str | os.PathLike,
    batch_size: int | None = None,
    device: str | torch.device = "cpu",
    size: int | None = None,
    limit: int | None = None,
    precision: str = "auto",
    progress: Callable[[int, int], None] | None = None,
    fit: str | None = None,
) -> tuple[Evaluation, ImageSet]:
    """Evaluate a saved model (a checkpoint file or a bundled model's name) on the images of ``data_path``
    (the first ``limit``; at ``size`` instead of the training size, and cut to it by ``fit`` instead of
    the training's "crop", "resize" or "tiles", if given) at ``precision`` (as
    :class:`~.settings.TrainSettings` says for evaluation), ``batch_size`` images at a time (None: the
    device's default); also returns the read report. ``progress(done, total)`` is called after every batch."""
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    checkpoint = find_checkpoint(checkpoint)
    spec = evaluation_spec(checkpoint_info(checkpoint), str(data_path)).replace(limit=limit)
    if size is not None:
        spec = spec.replace(size=size)
    if fit is not None:
        spec = spec.replace(fit=fit)
    device = parse_device(device)
    model = to_fast_layout(load_checkpoint(checkpoint, device=device))
    images, image_set = load_evaluation_data(spec)  # in the model's channels, as the spec says
    autocast = autocast_dtype(precision, device)
    done = 0

    def count(images_scored: int) -> None:
        nonlocal done
        done += images_scored
        if progress is not None:
            progress(done, len(images))

    return evaluate_images(model, images, spec, batch_size, autocast, progress=count), image_set
