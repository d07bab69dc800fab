"""Data sources: image folders and standard dataset files, as the integer levels a PixelRNN models."""
from .folder_survey import Proposal, survey_folder
from .image_files import IMAGE_EXTENSIONS, SkippedFile, skip_reasons
from .sources import ImageSet, detect_format, load_images
from .spec import DataError, DatasetSpec
from .split import TrainingData, load_evaluation_data, load_training_data, model_input, split_indices, split_sizes

__all__ = [
    "IMAGE_EXTENSIONS",
    "DataError",
    "DatasetSpec",
    "ImageSet",
    "Proposal",
    "SkippedFile",
    "TrainingData",
    "detect_format",
    "load_evaluation_data",
    "load_images",
    "load_training_data",
    "model_input",
    "skip_reasons",
    "split_indices",
    "split_sizes",
    "survey_folder",
]
