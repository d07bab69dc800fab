"""The LSTM update shared by the Row LSTM and the Diagonal BiLSTM (paper eq. 3)."""
from __future__ import annotations

import torch


def lstm_update(gates: torch.Tensor, cell: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step from pre-activation gates stacked ``[o, f, i, g]`` along dim 1.

    ``c = sigmoid(f) * c_prev + sigmoid(i) * tanh(g)`` and ``h = sigmoid(o) * tanh(c)``. Every gate holds
    the same colour grouping as the state, and the update is elementwise, so colours stay separate.
    """
    o, f, i, g = gates.chunk(4, dim=1)
    cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(cell), cell
