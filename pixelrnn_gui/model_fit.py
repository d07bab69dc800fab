"""Which model fits which picture: a grayscale model (1 channel) reads a colour image as grey and fills
it with grey; a colour model (3 channels) fills a grayscale image with colours. Opening an image picks
a model of its kind: the one of that kind used last, else the bundled one."""
from __future__ import annotations

from pathlib import Path

import numpy as np

import pixelrnn_core as prc

BUNDLED_MODEL = {"colour": "photo-patches", "grey": "fashion-mnist"}
KIND_OF_CHANNELS = {1: "grey", 3: "colour"}
KIND_WORDS = {"colour": "colour", "grey": "grayscale"}


def checkpoint_kind(path: str | Path) -> str | None:
    """"grey" or "colour" for the images a checkpoint fills; None if it cannot be read."""
    try:
        channels = prc.checkpoint_info(path).config.channels
    except (prc.CheckpointError, OSError, ValueError):
        return None
    return KIND_OF_CHANNELS.get(channels)


def fits(model_kind: str | None, image_kind: str | None) -> bool:
    """Whether a model of ``model_kind`` suits an image of ``image_kind`` (None: a single-colour image
    such as a blank canvas, which any model suits)."""
    return image_kind is None or model_kind == image_kind


def fitting_model(image_kind: str, last_used: str | None) -> Path | None:
    """The model to use for an image of ``image_kind``: ``last_used`` (the last model of that kind the
    user chose) if it is still there, else the bundled model of that kind."""
    if last_used and Path(last_used).is_file() and checkpoint_kind(last_used) == image_kind:
        return Path(last_used)
    return prc.bundled_models().get(BUNDLED_MODEL[image_kind])


def mismatch_text(model_kind: str | None, image_kind: str | None) -> str | None:
    """What to tell the user before Complete when the model does not suit the image (None if it does)."""
    if model_kind is None or fits(model_kind, image_kind):
        return None
    if model_kind == "grey":
        return "This model is grayscale and the image is in colour: the fill will be grey."
    return "This model fills in colour and the image is grayscale: the fill may add colours."


def levels_text(levels: int | None, image: np.ndarray) -> str | None:
    """What to tell the user before Complete when a model of fewer than 256 levels reads the 8-bit
    ``image`` quantized (None when it has 256 levels, or the image holds only values it can show)."""
    if levels is None or prc.shows_only_levels(image, levels):
        return None
    return f"This model has {levels} levels per sub-pixel: it reads the image quantized to them and fills the hole with them."
