"""pixelrnn_core: PixelRNN models (van den Oord et al., ICML 2016), their training and completion.

The public API is what this module exports; everything else is internal.
"""
from .checkpoints import CheckpointError, checkpoint_metadata, load_checkpoint, save_checkpoint
from .config import ARCHITECTURES, ModelConfig
from .data import DataError, DatasetSpec, ImageSet, SkippedFile, TrainingData, load_images, load_training_data
from .evaluate import Evaluation, evaluate_checkpoint, evaluate_images
from .registry import PRESETS, build_model, model_from_config
from .run_folder import RunFolder
from .train_events import CheckpointSaved, Finished, Paused, Preview, TrainStep, Validation
from .train_settings import TrainSettings
from .trainer import Trainer, new_run, resume_run

__all__ = [
    "ARCHITECTURES",
    "PRESETS",
    "CheckpointError",
    "CheckpointSaved",
    "DataError",
    "DatasetSpec",
    "Evaluation",
    "Finished",
    "ImageSet",
    "ModelConfig",
    "Paused",
    "Preview",
    "RunFolder",
    "SkippedFile",
    "TrainSettings",
    "TrainStep",
    "Trainer",
    "TrainingData",
    "Validation",
    "build_model",
    "checkpoint_metadata",
    "evaluate_checkpoint",
    "evaluate_images",
    "load_checkpoint",
    "load_images",
    "load_training_data",
    "model_from_config",
    "new_run",
    "resume_run",
    "save_checkpoint",
]
