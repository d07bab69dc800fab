"""The training objective's forward and backward passes replayed as CUDA graphs.

On a GPU a training step of these models is thousands of small kernels -- a few per row of a Row LSTM
scan (§3.1) or per diagonal and direction of a Diagonal BiLSTM (§3.2), forward and backward -- each a
few microseconds of work, so launching them, not running them, sets the pace. ``torch.cuda.
make_graphed_callables`` records the objective's forward kernels and its backward kernels once per batch
shape and then replays each set as one launch: the same kernels on the same memory, so the same
numbers (a CUDA test compares the weights after a few steps with and without). The optimizer step,
gradient clipping and the weight average stay as they are.

A replay runs no Python, so the input check the model makes on every call (:func:`check_input`) is made
here before each replay; while a graph is being recorded the model skips its check of the values, which
would wait for the device.
"""
from __future__ import annotations

import torch
from torch import nn

from ..models.pixel_model import check_input
from .objective import LogLikelihood


class GraphedObjective(nn.Module):
    """``LogLikelihood(model)`` (levels -> log p) with each batch shape's forward and backward recorded
    on first use and replayed after. For one process on a CUDA device; call it under the same autocast
    settings every time, with autocast's weight cache off."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.graphed: dict[tuple[int, ...], nn.Module] = {}
        # The weights' gradient nodes are made while recording, on torch's side stream, and then fed on
        # the default stream: torch warns of that (a long UserWarning, printed once per process by the
        # benchmarks and tests that trained with graphs on an H200), and says to turn the warning off
        # where the mismatch is meant, as it is here. (Older torch, from 2.4 on, has neither.)
        quiet = getattr(torch.autograd.graph, "set_warn_on_accumulate_grad_stream_mismatch", None)
        if quiet is not None:
            quiet(False)

    def forward(self, levels: torch.Tensor) -> torch.Tensor:
        config = self.model.config
        check_input(levels, config.channels, config.levels)
        shape = tuple(levels.shape)
        if shape not in self.graphed:
            # a module of its own per shape: make_graphed_callables replaces the forward of the module it is given
            self.graphed[shape] = torch.cuda.make_graphed_callables(LogLikelihood(self.model), (levels,))
        return self.graphed[shape](levels)


def uses_cuda_graphs(device: torch.device, processes: int) -> bool:
    """Whether the trainer replays its objective as CUDA graphs: on a CUDA device, in one process
    (under DistributedDataParallel the gradients' all-reduce would have to join the graph)."""
    return device.type == "cuda" and processes == 1
