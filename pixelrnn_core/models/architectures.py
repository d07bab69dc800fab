"""The single-scale architectures by name."""
from __future__ import annotations

from .config import ModelConfig
from .diagonal_bilstm import DiagonalBiLSTM
from .pixel_model import PixelModel
from .pixelcnn import PixelCNN
from .row_lstm import RowLSTM

SINGLE_SCALE_MODELS: dict[str, type[PixelModel]] = {
    "pixelcnn": PixelCNN,
    "row_lstm": RowLSTM,
    "diagonal_bilstm": DiagonalBiLSTM,
}


def single_scale_model(config: ModelConfig) -> PixelModel:
    """A PixelCNN, Row LSTM or Diagonal BiLSTM built from ``config``."""
    return SINGLE_SCALE_MODELS[config.arch](config)
