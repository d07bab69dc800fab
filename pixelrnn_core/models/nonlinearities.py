"""The blocks' nonlinearities on torch tensors and on numpy arrays.

Each block's maths is written once (:func:`.pixelcnn.pixelcnn_block`, :func:`.lstm_cell.input_gates`,
:func:`.lstm_cell.lstm_update`, :func:`.row_lstm.row_states`) and run by ``forward`` and by the cached
engine (``pixelrnn_core.completion.cached``) on row segments, both on tensors, and on one colour group of
one pixel, on numpy views of the engine's tensors on the CPU (where a numpy call costs a fraction of a
torch call) or on the tensors elsewhere. Everything else those functions do (``+``, ``*``, slicing, the
layers they are given) works on both.
"""
from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch

Array = TypeVar("Array", torch.Tensor, np.ndarray)


def relu(x: Array) -> Array:
    """``max(x, 0)``."""
    return torch.relu(x) if isinstance(x, torch.Tensor) else np.maximum(x, 0)


def sigmoid(x: Array) -> Array:
    """``1 / (1 + exp(-x))``; on numpy as ``(1 + tanh(x / 2)) / 2``, which never overflows."""
    if isinstance(x, torch.Tensor):
        return torch.sigmoid(x)
    out = np.multiply(x, 0.5)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def tanh(x: Array) -> Array:
    """``tanh(x)``."""
    return torch.tanh(x) if isinstance(x, torch.Tensor) else np.tanh(x)
