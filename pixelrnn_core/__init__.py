"""pixelrnn_core: PixelRNN models (van den Oord et al., ICML 2016), their training and completion.

The public API is what this module exports; everything else is internal.
"""
from .completion import CompletionJob, CompletionStep, complete
from .config import ARCHITECTURES, ModelConfig
from .images import ImageFileError, read_image, read_mask, sample_grid, save_image, to_8bit
from .inspection import Inspection, inspect
from .orientation import ORIENTATIONS
from .registry import PRESETS, build_model, model_from_config

__all__ = [
    "ARCHITECTURES",
    "ORIENTATIONS",
    "PRESETS",
    "CompletionJob",
    "CompletionStep",
    "ImageFileError",
    "Inspection",
    "ModelConfig",
    "build_model",
    "complete",
    "inspect",
    "model_from_config",
    "read_image",
    "read_mask",
    "sample_grid",
    "save_image",
    "to_8bit",
]
