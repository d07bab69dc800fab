"""pixelrnn_core: PixelRNN models (van den Oord et al., ICML 2016), their training and completion.

The public API is what this module exports; everything else is internal.
"""
__version__ = "0.1.0"  # the package's one version: pyproject.toml reads it from here

from .allocator import keep_freed_memory
from .completion.compiled_steps import completion_steps_cached, prepare_completion, ready_completion_steps
from .completion.inspection import Inspection, InspectionProgress, inspect, inspection_steps
from .completion.job import FILL_TEMPERATURE, CompletionJob, CompletionStep, JobSnapshot, complete
from .completion.orientation import ORIENTATIONS
from .completion.windowing import COMPLETION_CONTEXT, Window, completion_windows, hole_groups
from .data import (
    DataError,
    DatasetSpec,
    ImageSet,
    Proposal,
    SkippedFile,
    TrainingData,
    load_images,
    load_training_data,
    skip_reasons,
    split_sizes,
    survey_folder,
)
from .io.atomic import atomic_write
from .io.bundled import bundled_models, model_card, sample_images
from .io.checkpoint_info import CheckpointInfo, checkpoint_info
from .io.checkpoints import CheckpointError, checkpoint_metadata, load_checkpoint, save_checkpoint
from .io.images import ImageFile, ImageFileError, read_image, read_image_file, read_mask, sample_grid, save_image
from .io.model_limits import ModelLimits
from .memory import MemoryRequestError, check_memory, inspection_bytes
from .models.config import ARCHITECTURES, ModelConfig
from .models.registry import PRESETS, build_model, model_config, model_from_config
from .pixels.levels import MAX_LEVELS, MIN_LEVELS, is_grey, quantize, shows_only_levels, to_8bit, to_channels
from .training.evaluation import Evaluation, evaluate_checkpoint, evaluate_images
from .training.events import CheckpointSaved, Finished, Paused, Preview, StepDone, TrainStep, Validation
from .training.model_names import find_checkpoint
from .training.preview import TrainingPreview, preview_hook
from .training.run_config import RunConfig, run_config
from .training.run_folder import RunFolder, RunFolderError
from .training.run_lock import RunFolderBusy
from .training.settings import FINE_TUNING, TrainSettings
from .training.trainer import Trainer, new_run, resume_run

__all__ = [
    "FINE_TUNING",
    "FILL_TEMPERATURE",
    "ARCHITECTURES",
    "COMPLETION_CONTEXT",
    "MAX_LEVELS",
    "MIN_LEVELS",
    "ORIENTATIONS",
    "PRESETS",
    "CheckpointError",
    "CheckpointInfo",
    "CheckpointSaved",
    "CompletionJob",
    "CompletionStep",
    "DataError",
    "DatasetSpec",
    "Evaluation",
    "Finished",
    "ImageFile",
    "ImageFileError",
    "ImageSet",
    "Inspection",
    "InspectionProgress",
    "JobSnapshot",
    "ModelConfig",
    "MemoryRequestError",
    "ModelLimits",
    "Paused",
    "Preview",
    "Proposal",
    "RunConfig",
    "RunFolder",
    "RunFolderBusy",
    "RunFolderError",
    "SkippedFile",
    "TrainSettings",
    "TrainingPreview",
    "StepDone",
    "TrainStep",
    "Trainer",
    "TrainingData",
    "Validation",
    "Window",
    "atomic_write",
    "build_model",
    "bundled_models",
    "check_memory",
    "checkpoint_info",
    "checkpoint_metadata",
    "complete",
    "completion_steps_cached",
    "completion_windows",
    "prepare_completion",
    "is_grey",
    "quantize",
    "evaluate_checkpoint",
    "evaluate_images",
    "find_checkpoint",
    "hole_groups",
    "inspect",
    "inspection_bytes",
    "inspection_steps",
    "keep_freed_memory",
    "load_checkpoint",
    "load_images",
    "load_training_data",
    "model_card",
    "model_config",
    "model_from_config",
    "new_run",
    "preview_hook",
    "read_image",
    "read_image_file",
    "read_mask",
    "ready_completion_steps",
    "resume_run",
    "run_config",
    "sample_grid",
    "sample_images",
    "save_checkpoint",
    "save_image",
    "shows_only_levels",
    "skip_reasons",
    "split_sizes",
    "survey_folder",
    "to_8bit",
    "to_channels",
]
