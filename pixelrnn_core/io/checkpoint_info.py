"""What a checkpoint says about its model, typed: read from the safetensors header without the weights.

The trainer writes the model config, the data spec, the image size, the training settings, the step,
the epoch and the validation bits/dim; bundled models add a title and their test figures. Anything
else a caller saved stays in ``metadata``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.spec import DatasetSpec
from ..models.config import ModelConfig
from .checkpoints import CheckpointError, checkpoint_metadata

DEFAULT_IMAGE_SIZE = (32, 32)  # for checkpoints that do not say what size they were trained on


@dataclass(frozen=True)
class CheckpointInfo:
    """One checkpoint's description. ``data`` is None when the checkpoint holds no data spec (e.g. a
    model saved by hand); ``image_size`` (height, width) is the training size if it says."""

    path: Path
    config: ModelConfig
    data: DatasetSpec | None = None
    image_size: tuple[int, int] | None = None
    step: int | None = None
    epoch: int | None = None
    bits_per_dim: float | None = None
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def training_size(self) -> tuple[int, int]:
        """(height, width) to sample at by default: the training size, else :data:`DEFAULT_IMAGE_SIZE`."""
        return self.image_size or DEFAULT_IMAGE_SIZE

    @property
    def square_side(self) -> int | None:
        """The side of the square images it was trained on: its data spec's size, else that of its images
        (a dataset file keeps its own size) if they were square; None if it does not say."""
        if self.data is not None and self.data.size is not None:
            return self.data.size
        height, width = self.image_size or (None, None)
        return height if height == width else None

    @property
    def completion_orientation(self) -> str:
        """The orientation to complete in by default: "auto" for a model trained under the 8 symmetries
        (``--augment``), which predicts a hole better from the side with the most known pixels
        (docs/benchmarks.md, "Completion quality"); "identity" (the raster order) for a model trained
        only upright, which does worse on flipped images."""
        return "auto" if self.data is not None and self.data.augment else "identity"

    def summary(self) -> list[str]:
        """Plain-text lines of a model card: title, architecture and sizes, data, bits/dim, steps."""
        cfg = self.config
        lines = [self.title] if self.title else []
        output = "" if cfg.output == "softmax" else f", a mixture of {cfg.mixtures} logistics per sub-pixel"
        lines.append(f"{cfg.arch}: {cfg.layers} layers, h={cfg.hidden}, {cfg.channels} channel(s) × {cfg.levels} levels{output}")
        if self.data is not None:
            size = f" at {self.image_size[0]}×{self.image_size[1]}" if self.image_size else ""
            lines.append(f"data: {Path(self.data.path).name or self.data.path}{size}")
        elif self.metadata.get("data") is not None:
            lines.append(f"data: {self.metadata['data']}")
        if self.bits_per_dim is not None:
            lines.append(f"bits/dim: {self.bits_per_dim:.3f}")
        if self.step is not None:
            lines.append(f"steps: {self.step}")
        return lines


def data_spec(path: Path, data: Any) -> DatasetSpec | None:
    """The data spec a checkpoint records, None if it records something else or nothing."""
    if not isinstance(data, dict):
        return None
    try:
        return DatasetSpec.from_dict(data)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: damaged pixelrnn checkpoint (bad data spec: {error})") from None


def image_size(path: Path, metadata: dict[str, Any], data: DatasetSpec | None) -> tuple[int, int] | None:
    """The training size a checkpoint records, else its data spec's square size, else None."""
    size = metadata.get("image_size")
    if size:
        if not (isinstance(size, list) and len(size) == 2 and all(type(v) is int and v >= 1 for v in size)):
            raise CheckpointError(f"{path}: damaged pixelrnn checkpoint (image_size {size!r} is not [height, width])")
        return size[0], size[1]
    if data is not None and data.size:
        return data.size, data.size
    return None


def checkpoint_info(path: str | os.PathLike) -> CheckpointInfo:
    """The :class:`CheckpointInfo` of the checkpoint at ``path``; a :class:`CheckpointError` if it is
    not a pixelrnn model checkpoint."""
    path = Path(path)
    metadata = checkpoint_metadata(path)
    try:
        config = ModelConfig.from_dict(metadata.pop("config"))
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: damaged pixelrnn checkpoint (bad model config: {error})") from None
    data = data_spec(path, metadata.get("data"))
    title = metadata.get("title")
    return CheckpointInfo(
        path=path,
        config=config,
        data=data,
        image_size=image_size(path, metadata, data),
        step=metadata.get("step"),
        epoch=metadata.get("epoch"),
        bits_per_dim=metadata.get("bits_per_dim"),
        title=None if title is None else str(title),
        metadata=metadata,
    )
