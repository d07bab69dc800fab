"""pixelrnn_core: PixelRNN models (van den Oord et al., ICML 2016), their training and completion.

The public API is what this module exports; everything else is internal.
"""
from .config import ARCHITECTURES, ModelConfig
from .registry import PRESETS, build_model, model_from_config

__all__ = ["ARCHITECTURES", "PRESETS", "ModelConfig", "build_model", "model_from_config"]
