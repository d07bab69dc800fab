"""The few array operations of the cached engine's per-pixel steps, on numpy or on torch.

One colour group of one pixel (paper §3.4) is a few dozen operations per layer on vectors of tens of
numbers; with one candidate each operation's fixed cost, not its arithmetic, sets the speed. On the CPU
a numpy call on a tensor's memory (shared, not copied: ``Tensor.numpy()``) costs a fraction of a torch
call, and numpy's matrix-vector product reads the weights faster, so there the per-pixel steps run on
numpy views of the engine's tensors (:data:`NUMPY_OPS`). Elsewhere (CUDA, or dtypes numpy lacks) they
run on the tensors themselves (:data:`TORCH_OPS`). Both compute the same formulas; everything that
works on whole rows stays in torch.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch


class ArrayOps:
    """Array functions with numpy's calling convention (``out=`` where given), on one backend."""

    def __init__(
        self,
        name: str,
        view: Callable[[torch.Tensor], Any],
        tensor: Callable[[Any], torch.Tensor],
        concatenate: Callable[[list], Any],
        sigmoid: Callable[..., Any],
        relu: Callable[..., Any],
        tanh: Callable[..., Any],
        add: Callable[..., Any],
        multiply: Callable[..., Any],
        matmul: Callable[..., Any],
    ) -> None:
        self.name = name
        self.view = view  # a tensor's memory as this backend's array (no copy)
        self.tensor = tensor  # an array of this backend as a tensor (no copy)
        self.concatenate = concatenate  # along the feature axis (1)
        self.sigmoid, self.relu, self.tanh = sigmoid, relu, tanh
        self.add, self.multiply, self.matmul = add, multiply, matmul


def numpy_sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``1 / (1 + exp(-x))`` computed as ``(1 + tanh(x / 2)) / 2``, which never overflows."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


NUMPY_OPS = ArrayOps(
    "numpy",
    view=lambda tensor: tensor.detach().numpy(),
    tensor=torch.from_numpy,
    concatenate=lambda arrays: np.concatenate(arrays, axis=1),
    sigmoid=numpy_sigmoid,
    relu=lambda x, out=None: np.maximum(x, 0, out=out),
    tanh=np.tanh,
    add=np.add,
    multiply=np.multiply,
    matmul=np.matmul,
)

TORCH_OPS = ArrayOps(
    "torch",
    view=lambda tensor: tensor,
    tensor=lambda tensor: tensor,
    concatenate=lambda tensors: torch.cat(tensors, dim=1),
    sigmoid=lambda x, out=None: torch.sigmoid(x, out=out),
    relu=lambda x, out=None: torch.clamp_min(x, 0, out=out),
    tanh=lambda x, out=None: torch.tanh(x, out=out),
    add=lambda a, b, out=None: torch.add(a, b, out=out),
    multiply=lambda a, b, out=None: torch.mul(a, b, out=out),
    matmul=lambda a, b, out=None: torch.matmul(a, b, out=out),
)


def array_ops_for(reference: torch.Tensor) -> ArrayOps:
    """numpy for CPU tensors of a dtype numpy has (float32, float64), torch otherwise."""
    if reference.device.type == "cpu" and reference.dtype in (torch.float32, torch.float64):
        return NUMPY_OPS
    return TORCH_OPS
