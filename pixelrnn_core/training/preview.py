"""What a run's preview hook shows while it trains: a sample drawn from scratch and a completion of
the bottom half of one fixed validation image (paper §2: the model generates pixel by pixel in raster
order, so the top half is the context the completion sees). Given a run folder, each preview is also
written there as ``samples/step-N.png``: the image, its completion and the sample side by side."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from ..completion.job import CompletionJob
from ..data import TrainingData, model_input
from ..io.images import sample_grid, save_image

PREVIEW_SEED = 0


@dataclass(frozen=True)
class TrainingPreview:
    """Levels (H, W, C) of the fixed preview ``image``, the bottom-half ``mask`` (H, W) that the
    ``completion`` fills, and a ``sample`` drawn with nothing known; at training ``step``. ``path``:
    where it was written, if the hook has a run folder."""

    step: int
    image: np.ndarray = field(repr=False)
    mask: np.ndarray = field(repr=False)
    sample: np.ndarray = field(repr=False)
    completion: np.ndarray = field(repr=False)
    path: Path | None = None


def preview_image(data: TrainingData, size: int) -> np.ndarray:
    """The first validation image (the first training image without a validation set), its central
    ``size`` x ``size`` square, where its subject usually is, as the levels the model reads (H, W, C)."""
    images = data.validation if len(data.validation) else data.train
    top, left = max(0, (images.shape[2] - size) // 2), max(0, (images.shape[3] - size) // 2)
    centre = images[:1, :, top : top + size, left : left + size]
    generator = torch.Generator().manual_seed(PREVIEW_SEED)
    levels = model_input(centre, data.spec, generator)[0]
    return levels.permute(1, 2, 0).numpy().astype(np.uint8)


def fill(model: nn.Module, image: np.ndarray, mask: np.ndarray, seed: int, cancelled: Callable[[], bool]) -> np.ndarray | None:
    """``prc.complete`` of one candidate on the CPU, abandoned (None) as soon as ``cancelled()`` is true.
    The CPU also when the model trains on a GPU: a fill there is a few hundred tiny kernels per sub-pixel,
    launch-bound (the bottom half of a 32x32 RGB image took 6-9 s on an H200 and ~1 s on two CPU cores,
    docs/benchmarks.md "GPU"), and training waits for the preview."""
    job = CompletionJob(model, image, mask, seed=seed, device="cpu")
    for _ in job.run():
        if cancelled():
            return None
    return job.images[0]


def write_preview(run_dir: str | Path, step: int, image: np.ndarray, completion: np.ndarray, sample: np.ndarray, levels: int) -> Path:
    """``run_dir/samples/step-N.png``: image, completion and sample side by side, written atomically."""
    folder = Path(run_dir) / "samples"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"step-{step}.png"
    save_image(path, sample_grid(np.stack([image, completion, sample]), columns=3, fill=levels // 2), levels)
    return path


def preview_hook(
    data: TrainingData,
    size: int = 16,
    cancelled: Callable[[], bool] = lambda: False,
    run_dir: str | Path | None = None,
) -> Callable[[nn.Module, int], TrainingPreview | None]:
    """A preview hook for :class:`Trainer`: at each call, a sample and a completion of the fixed
    preview image (at most ``size`` pixels square, so it stays quick), both seeded by the step. When
    ``cancelled()`` becomes true (the run is being stopped) a preview in progress is abandoned and the
    hook returns None. With ``run_dir``, each preview is also saved there (see the module docstring)."""
    image = preview_image(data, size)
    mask = np.zeros(image.shape[:2], dtype=bool)
    mask[image.shape[0] // 2 :] = True
    everything = np.ones_like(mask)

    def hook(model: nn.Module, step: int) -> TrainingPreview | None:
        sample = fill(model, image, everything, step, cancelled)
        completion = fill(model, image, mask, step, cancelled) if sample is not None else None
        if completion is None:
            return None
        path = None if run_dir is None else write_preview(run_dir, step, image, completion, sample, data.spec.levels)
        return TrainingPreview(step, image, mask, sample, completion, path)

    return hook
