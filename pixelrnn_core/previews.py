"""Training previews: completions of fixed validation images, saved in the run folder.

The bottom half of each image is filled from the model given the top half (the paper's Figure 1
layout), so a run's `samples/` folder shows how the model's completions improve step by step.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from .completion import complete
from .data import TrainingData
from .data.split import model_input
from .images import sample_grid, save_image


def bottom_half_mask(height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), dtype=bool)
    mask[height // 2 :] = True
    return mask


def preview_images(data: TrainingData, count: int) -> np.ndarray:
    """The first ``count`` validation images (training images if none are held out) as model levels,
    uint8 (N, H, W, C); fixed, so that every preview shows the same images."""
    pool = data.validation if len(data.validation) else data.train
    levels = model_input(pool[:count], data.spec, torch.Generator().manual_seed(0))
    return levels.permute(0, 2, 3, 1).numpy().astype(np.uint8)


def completion_preview(data: TrainingData, run_dir: str | Path, count: int = 4):
    """A trainer preview hook: completes the bottom halves of ``count`` fixed images and writes
    ``samples/step-N.png`` (originals above, completions below); returns the file's path."""
    originals = preview_images(data, count)
    mask = bottom_half_mask(*originals.shape[1:3])
    folder = Path(run_dir) / "samples"

    def write_preview(model: nn.Module, step: int) -> Path:
        completions = [complete(model, image, mask, samples=1, seed=step)[0] for image in originals]
        grid = sample_grid(np.concatenate([originals, np.stack(completions)]), columns=len(originals))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"step-{step}.png"
        save_image(path, grid, data.spec.levels)
        return path

    return write_preview
