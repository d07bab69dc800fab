"""Refusing requests this machine's memory cannot hold, up front and with the figure they would need,
instead of an allocator error (or a swapping machine) halfway through.

The figures are estimates of the largest buffers a request allocates: the images themselves, and the
feature maps a model keeps per pixel (each layer's 2h residual maps and 4h LSTM gates, the output
layers and the logits, or a logistic mixture's parameters and its log-probabilities). A request is
refused when its estimate exceeds the machine's physical memory.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

from .models.config import ModelConfig

FLOAT_BYTES = 4


class MemoryRequestError(ValueError):
    """A request too large for this machine's memory."""


def physical_memory() -> int:
    """Bytes of RAM in this machine (a large figure where the platform cannot tell)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 2**50


def describe_bytes(count: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{count:,.0f} bytes"


def check_memory(need: float, what: str) -> None:
    """A MemoryRequestError when ``need`` bytes exceed the machine's memory."""
    have = physical_memory()
    if need > have:
        raise MemoryRequestError(f"{what} would need about {describe_bytes(need)}, more than this machine's {describe_bytes(have)} of memory")


def floats_per_pixel(config: ModelConfig) -> int:
    """Feature values a model keeps for each pixel of each image in a forward pass (an estimate)."""
    models = 2 if config.arch == "multiscale" else 1
    outputs = config.levels if config.output == "softmax" else config.output_maps + config.levels
    return models * (config.layers * 6 * config.hidden + 2 * config.out_hidden + outputs * config.channels)


def check_completion_memory(
    config: ModelConfig, samples: int, windows: Sequence[tuple[int, int]], image: tuple[int, int] | None = None
) -> None:
    """Refuse completing (or sampling) ``samples`` candidates that would not fit in memory: the model
    runs on each of ``windows`` (height, width) of the ``image`` in turn (default: the image is the one
    window), every window keeps its candidates' values, and every candidate is returned as a whole image."""
    image = image or windows[0]
    largest, kept = max((h * w for h, w in windows), default=0), sum(h * w for h, w in windows)
    need = samples * (largest * floats_per_pixel(config) * FLOAT_BYTES + kept * config.channels * 8 + image[0] * image[1] * config.channels)
    check_memory(need, f"{samples} sample(s) of {image[0]}x{image[1]} pixels")


def inspection_bytes(config: ModelConfig, height: int, width: int) -> int:
    """The memory an inspection of ``height`` x ``width`` pixels takes (an estimate): the forward pass
    and the per-value arrays, the logits and the probabilities it returns, one per level of each sub-pixel."""
    return height * width * (floats_per_pixel(config) * FLOAT_BYTES + 2 * config.channels * config.levels * FLOAT_BYTES)


def check_inspection_memory(config: ModelConfig, height: int, width: int) -> None:
    """Refuse inspecting an image whose :func:`inspection_bytes` would not fit in memory."""
    check_memory(inspection_bytes(config, height, width), f"inspecting {width}x{height} pixels")


def check_training_memory(config: ModelConfig, batch_size: int, height: int, width: int) -> None:
    """Refuse training batches whose feature maps and their gradients would not fit in memory."""
    need = 3 * batch_size * height * width * floats_per_pixel(config) * FLOAT_BYTES
    check_memory(need, f"training batches of {batch_size} images of {height}x{width} pixels")


def check_images_memory(count: int, height: int, width: int, channels: int, source: str) -> None:
    """Refuse reading ``count`` images of this size (uint8) that would not fit in memory."""
    check_memory(count * height * width * channels, f"{source}: {count} image(s) of {height}x{width}x{channels}")
