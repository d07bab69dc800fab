"""pixelrnn_core: PixelRNN models (van den Oord et al., ICML 2016), their training and completion.

The public API is what this module exports; everything else is internal.
"""
from .bundled import bundled_models, find_checkpoint, model_card, sample_images
from .checkpoints import CheckpointError, checkpoint_metadata, load_checkpoint, save_checkpoint
from .completion import CompletionJob, CompletionStep, complete, prepare_completion
from .config import ARCHITECTURES, ModelConfig
from .data import DataError, DatasetSpec, ImageSet, SkippedFile, TrainingData, load_images, load_training_data
from .evaluate import Evaluation, evaluate_checkpoint, evaluate_images
from .files import atomic_write
from .images import ImageFileError, read_image, read_mask, sample_grid, save_image, to_8bit
from .inspection import Inspection, inspect
from .orientation import ORIENTATIONS
from .registry import PRESETS, build_model, model_from_config
from .run_folder import RunFolder
from .train_preview import TrainingPreview, preview_hook
from .train_events import CheckpointSaved, Finished, Paused, Preview, TrainStep, Validation
from .train_settings import TrainSettings
from .trainer import Trainer, new_run, resume_run

__all__ = [
    "ARCHITECTURES",
    "ORIENTATIONS",
    "PRESETS",
    "CheckpointError",
    "CheckpointSaved",
    "CompletionJob",
    "CompletionStep",
    "DataError",
    "DatasetSpec",
    "Evaluation",
    "Finished",
    "ImageFileError",
    "ImageSet",
    "Inspection",
    "ModelConfig",
    "Paused",
    "Preview",
    "RunFolder",
    "SkippedFile",
    "TrainSettings",
    "TrainingPreview",
    "TrainStep",
    "Trainer",
    "TrainingData",
    "Validation",
    "atomic_write",
    "build_model",
    "bundled_models",
    "checkpoint_metadata",
    "complete",
    "prepare_completion",
    "evaluate_checkpoint",
    "evaluate_images",
    "find_checkpoint",
    "inspect",
    "load_checkpoint",
    "load_images",
    "load_training_data",
    "model_card",
    "model_from_config",
    "new_run",
    "preview_hook",
    "read_image",
    "read_mask",
    "resume_run",
    "sample_grid",
    "sample_images",
    "save_checkpoint",
    "to_8bit",
]
