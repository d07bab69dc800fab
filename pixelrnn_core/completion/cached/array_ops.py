"""The arrays the cached engine's per-pixel steps run on: numpy views of its tensors, or the tensors.

One colour group of one pixel (paper §3.4) is a few dozen operations per layer on vectors of tens of
numbers; with one candidate each operation's fixed cost, not its arithmetic, sets the speed. On the CPU
a numpy call on a tensor's memory (shared, not copied: ``Tensor.numpy()``) costs a fraction of a torch
call, and numpy's matrix-vector product reads the weights faster, so there the per-pixel steps run on
numpy views of the engine's tensors (:data:`NUMPY_OPS`; the compiled steps take them too). Elsewhere
(CUDA, or dtypes numpy lacks) they run on the tensors themselves (:data:`TORCH_OPS`). The maths is the
same code on both (``@``, ``+``, slicing and :mod:`pixelrnn_core.models.nonlinearities`); everything
that works on whole row segments stays in torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch


@dataclass(frozen=True)
class ArrayOps:
    """One backend of the per-pixel steps: how a tensor's memory is seen as its array and back."""

    name: str
    view: Callable[[torch.Tensor], Any]  # a tensor's memory as this backend's array (no copy)
    tensor: Callable[[Any], torch.Tensor]  # an array of this backend as a tensor (no copy)


NUMPY_OPS = ArrayOps("numpy", view=lambda tensor: tensor.detach().numpy(), tensor=torch.from_numpy)
TORCH_OPS = ArrayOps("torch", view=lambda tensor: tensor, tensor=lambda tensor: tensor)


def array_ops_for(reference: torch.Tensor) -> ArrayOps:
    """numpy for CPU tensors of a dtype numpy has (float32, float64), torch otherwise."""
    if reference.device.type == "cpu" and reference.dtype in (torch.float32, torch.float64):
        return NUMPY_OPS
    return TORCH_OPS
