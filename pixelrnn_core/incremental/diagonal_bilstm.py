"""Cached Diagonal BiLSTM block (paper §3.2, PAPER.md §3 "Incremental Diagonal BiLSTM").

Unskewed, the left-to-right state (r, c) reads the states at (r-1, c) and (r, c-1) (the 2x1 column
conv of the skewed map) and the cell at (r, c-1); positions above or left of the image hold the learned
initial state. So it is updated one pixel at a time. The right-to-left state (r, c) reads (r-1, c) and
(r, c+1); it enters the block output only shifted down one row, so it is scanned once per completed
row, right to left, and added to the next row.
"""
from __future__ import annotations

import torch

from ..diagonal_bilstm import DiagonalBiLSTMBlock, DiagonalLSTM
from ..lstm_cell import lstm_update
from .layers import Pointwise


class CachedDiagonalLSTM:
    """One direction: its input-to-state terms and the state-to-state conv split into its two taps."""

    def __init__(self, lstm: DiagonalLSTM, batch: int, width: int) -> None:
        self.input_to_state = Pointwise(lstm.input_to_state)
        self.condition = None if lstm.condition is None else Pointwise(lstm.condition)
        self.image_to_state = None if lstm.image_to_state is None else Pointwise(lstm.image_to_state)
        weight = lstm.state_to_state.weight.detach()  # (4h, h, 2): tap 0 reads above, tap 1 the side
        self.from_above, self.from_side = weight[:, :, 0], weight[:, :, 1]
        self.state_bias = lstm.state_to_state.bias.detach()
        h = lstm.initial_hidden.numel()
        self.initial_hidden = lstm.initial_hidden.detach().view(1, h).expand(batch, h)
        self.initial_cell = lstm.initial_cell.detach().view(1, h).expand(batch, h)
        self.hidden_above = self.initial_hidden.view(batch, 1, h).expand(batch, width, h).clone()
        self.hidden = torch.zeros_like(self.hidden_above)
        self.cell = torch.zeros_like(self.hidden_above)

    def input_gates(
        self, features: torch.Tensor, condition: torch.Tensor | None, image: torch.Tensor
    ) -> torch.Tensor:
        gates = self.input_to_state(features)
        if self.condition is not None:
            gates = gates + self.condition(condition)
        if self.image_to_state is not None:
            gates = gates + self.image_to_state(image)
        return gates

    def above_gates(self, start: int, stop: int) -> torch.Tensor:
        """State-to-state term from the row above (with the conv's bias) for positions start..stop-1."""
        return torch.nn.functional.linear(self.hidden_above[:, start:stop], self.from_above, self.state_bias)

    def step(self, gates: torch.Tensor, side_hidden: torch.Tensor, side_cell: torch.Tensor, col: int) -> None:
        """Update position ``col`` of the current row from its gates and its neighbour in the row."""
        hidden, cell = lstm_update(gates + side_hidden @ self.from_side.T, side_cell)
        self.hidden[:, col] = hidden
        self.cell[:, col] = cell

    def commit_row(self) -> None:
        """The current row becomes the row above."""
        self.hidden_above, self.hidden = self.hidden, torch.zeros_like(self.hidden)
        self.cell = torch.zeros_like(self.cell)


class CachedDiagonalBiLSTMBlock:
    """Left-to-right updated per pixel; right-to-left scanned once per completed row."""

    def __init__(self, block: DiagonalBiLSTMBlock, batch: int, width: int) -> None:
        self.left = CachedDiagonalLSTM(block.left_to_right, batch, width)
        self.right = CachedDiagonalLSTM(block.right_to_left, batch, width)
        self.output = Pointwise(block.output)
        h = self.left.hidden.shape[2]
        # right-to-left input gates of the current row, kept until the row is complete
        self.right_gates = self.left.hidden.new_zeros(batch, width, 4 * h)
        # the right-to-left states of the row above, as the shift down adds them (zeros above row 0)
        self.right_shifted = torch.zeros_like(self.left.hidden)

    def begin_row(self, row: int) -> None:
        if row > 0:
            self.scan_right_to_left()
            self.left.commit_row()

    def scan_right_to_left(self) -> None:
        """Run the right-to-left LSTM over the completed row, from the last column to the first."""
        right = self.right
        width = self.right_gates.shape[1]
        gates = self.right_gates + right.above_gates(0, width)
        hidden, cell = right.initial_hidden, right.initial_cell
        for col in range(width - 1, -1, -1):
            right.step(gates[:, col], hidden, cell, col)
            hidden, cell = right.hidden[:, col], right.cell[:, col]
        self.right_shifted = right.hidden
        right.commit_row()

    def advance(
        self,
        features: torch.Tensor,
        start: int,
        stop: int,
        condition: torch.Tensor | None,
        image: torch.Tensor,
    ) -> torch.Tensor:
        self.right_gates[:, start:stop] = self.right.input_gates(features, condition, image)
        left = self.left
        gates = left.input_gates(features, condition, image) + left.above_gates(start, stop)
        for col in range(start, stop):
            if col == 0:
                side_hidden, side_cell = left.initial_hidden, left.initial_cell
            else:
                side_hidden, side_cell = left.hidden[:, col - 1], left.cell[:, col - 1]
            left.step(gates[:, col - start], side_hidden, side_cell, col)
        return self.output(left.hidden[:, start:stop] + self.right_shifted[:, start:stop])
