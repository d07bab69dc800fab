"""Cached Diagonal BiLSTM block (paper §3.2; docs/design.md, "Incremental evaluation").

Unskewed, the left-to-right state (r, c) reads the states at (r-1, c) and (r, c-1) (the 2x1 column
conv of the skewed map) and the cell at (r, c-1); positions above or left of the image hold the learned
initial state. So it is updated one pixel at a time. The right-to-left state (r, c) reads (r-1, c) and
(r, c+1); it enters the block output only shifted down one row, so it is scanned once per completed
row, right to left, and added to the next row.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ...models.diagonal_bilstm import DiagonalBiLSTMBlock, DiagonalLSTM
from ...models.masks import gate_groups
from .array_ops import ArrayOps
from .kernels import diagonal_group, diagonal_scan
from .layers import Pointwise, condition_linears, group_linears, group_slices, lstm_update_into, scratch


class CachedDiagonalLSTM:
    """One direction: its input-to-state terms and the state-to-state conv split into its two taps."""

    STATE = ("initial_hidden", "initial_cell", "hidden_above", "hidden", "cell")

    def __init__(self, lstm: DiagonalLSTM, batch: int, width: int, channels: int, ops: ArrayOps) -> None:
        self.ops = ops
        h = lstm.initial_hidden.numel()
        gates = gate_groups(h, channels)
        self.input_to_state = Pointwise(lstm.input_to_state, channels, ops, gates)
        self.condition = None if lstm.condition is None else Pointwise(lstm.condition, channels, ops, gates)
        self.image_to_state = None if lstm.image_to_state is None else Pointwise(lstm.image_to_state, channels, ops)
        weight = lstm.state_to_state.weight.detach()  # (4h, h, 2): tap 0 reads above, tap 1 the side
        self.from_above = weight[:, :, 0].contiguous()
        self.from_side_t = ops.view(weight[:, :, 1].t().contiguous())  # (h, 4h), for the per-pixel steps
        self.state_bias = lstm.state_to_state.bias.detach()
        # per colour group, both taps at once: rows of the group, columns [above | side]
        self.group_state_to_state = group_linears(
            weight.permute(0, 2, 1).reshape(4 * h, 2 * h), self.state_bias, gates, channels, ops
        )
        self.state_groups = group_slices(h, channels)
        # for the compiled steps: each tap per colour group, and both convs' biases summed
        self.above_groups = group_linears(weight[:, :, 0], None, gates, channels, ops)
        self.side_groups = group_linears(weight[:, :, 1], None, gates, channels, ops)
        input_bias = lstm.input_to_state.bias
        both_biases = self.state_bias if input_bias is None else self.state_bias + input_bias.detach()
        self.biases = [ops.view(both_biases[gates.to(both_biases.device) == g].reshape(1, -1).contiguous()) for g in range(channels)]
        self.conditions = condition_linears(self.condition, [linear.weight_t.shape[1] for linear in self.above_groups], weight, ops)
        self.initial_hidden = lstm.initial_hidden.detach().view(1, h).expand(batch, h)
        self.initial_cell = lstm.initial_cell.detach().view(1, h).expand(batch, h)
        self.hidden_above = self.initial_hidden.view(batch, 1, h).expand(batch, width, h).clone()
        self.hidden = torch.zeros_like(self.hidden_above)
        self.cell = torch.zeros_like(self.hidden_above)
        self.refresh_arrays()

    def refresh_arrays(self) -> None:
        """The states the per-pixel steps use, as arrays of ``ops`` (renewed whenever they are replaced)."""
        view = self.ops.view
        self.hidden_above_array, self.hidden_array, self.cell_array = view(self.hidden_above), view(self.hidden), view(self.cell)
        self.initial_hidden_array, self.initial_cell_array = view(self.initial_hidden), view(self.initial_cell)

    def input_gates(
        self, features: torch.Tensor, condition: torch.Tensor | None, image: torch.Tensor | None = None
    ) -> torch.Tensor:
        gates = self.input_to_state(features)
        if self.condition is not None:
            gates = gates + self.condition(condition)
        if self.image_to_state is not None:
            gates = gates + self.image_to_state(image)
        return gates

    def above_gates(self, start: int, stop: int) -> torch.Tensor:
        """State-to-state term from the row above (with the conv's bias) for positions start..stop-1."""
        return F.linear(self.hidden_above[:, start:stop], self.from_above, self.state_bias)

    def side_state(self, col: int, step: int) -> tuple:
        """Arrays of the hidden and cell state of the row neighbour at ``col - step`` (the learned
        initial state outside the row)."""
        side = col - step
        if 0 <= side < self.hidden_array.shape[1]:
            return self.hidden_array[:, side], self.cell_array[:, side]
        return self.initial_hidden_array, self.initial_cell_array

    def scan(self, gates, offset: int, first: int, step: int, compiled: bool) -> None:
        """Update positions ``first``, ``first + step``, ... of the current row, one per column of
        ``gates`` (B, n, 4h; position ``col`` reads column ``col - offset``), each from its gates and its
        row neighbour, on arrays of ``ops``; ``compiled``: in one compiled call
        (:func:`.kernels.diagonal_scan`)."""
        if compiled:
            scratch = self.ops.view(self.hidden.new_empty(self.hidden.shape[0], gates.shape[2]))
            diagonal_scan(
                gates, offset, first, step, self.from_side_t, self.initial_hidden_array, self.initial_cell_array,
                self.hidden_array, self.cell_array, scratch,
            )
            return
        for index in range(gates.shape[1]):
            col = first + index * step
            side_hidden, side_cell = self.side_state(col, step)
            col_gates = gates[:, col - offset] + self.ops.matmul(side_hidden, self.from_side_t)
            lstm_update_into(self.ops, col_gates, side_cell, self.hidden_array[:, col], self.cell_array[:, col])

    def step_group(self, features, condition, col: int, group: int) -> None:
        """Update colour group ``group`` of position ``col`` (left-to-right direction), on arrays of
        ``ops``."""
        side_hidden, side_cell = self.side_state(col, 1)
        states = self.ops.concatenate([self.hidden_above_array[:, col], side_hidden])
        gates = self.group_state_to_state[group](states)
        gates += self.input_to_state.group(features, group)
        if self.condition is not None:
            gates += self.condition.group(condition, group)
        part = self.state_groups[group]
        lstm_update_into(
            self.ops, gates, side_cell[:, part], self.hidden_array[:, col, part], self.cell_array[:, col, part]
        )

    def commit_row(self) -> None:
        """The current row becomes the row above."""
        self.hidden_above, self.hidden = self.hidden, torch.zeros_like(self.hidden)
        self.cell = torch.zeros_like(self.cell)
        self.refresh_arrays()


class CachedDiagonalBiLSTMBlock:
    """Left-to-right updated per pixel; right-to-left scanned once per completed row."""

    STATE, PARTS = ("row_inputs", "right_shifted"), ("left", "right")

    def __init__(
        self, block: DiagonalBiLSTMBlock, batch: int, width: int, channels: int, ops: ArrayOps, compiled: bool
    ) -> None:
        """``compiled``: whether the per-pixel steps and the row scans run as compiled calls."""
        self.ops, self.compiled = ops, compiled
        self.left = CachedDiagonalLSTM(block.left_to_right, batch, width, channels, ops)
        self.right = CachedDiagonalLSTM(block.right_to_left, batch, width, channels, ops)
        self.output = Pointwise(block.output, channels, ops)
        h = self.left.hidden.shape[2]
        self.input_groups = group_slices(2 * h, channels)
        self.row_inputs = self.left.hidden.new_zeros(batch, width, 2 * h)  # this row's block inputs
        # the right-to-left states of the row above, as the shift down adds them (zeros above row 0)
        self.right_shifted = torch.zeros_like(self.left.hidden)
        self.refresh_arrays()

    def refresh_arrays(self) -> None:
        """This row's inputs and the shifted right-to-left states as arrays of ``ops``."""
        self.row_inputs_array, self.right_shifted_array = self.ops.view(self.row_inputs), self.ops.view(self.right_shifted)
        if not self.compiled:
            return
        batch, h, reference = self.row_inputs.shape[0], self.right_shifted.shape[2], self.right_shifted
        self.gates = scratch(self.ops, reference, batch, [linear.weight_t.shape[1] for linear in self.left.above_groups])
        self.outputs = scratch(self.ops, reference, batch, [part.stop - part.start for part in self.input_groups])
        self.summed = scratch(self.ops, reference, batch, [h])[0]

    def begin_row(self, row: int, image_above: torch.Tensor, condition_above: torch.Tensor | None) -> None:
        if row > 0:
            self.scan_right_to_left(image_above, condition_above)
            self.left.commit_row()

    def scan_right_to_left(self, image: torch.Tensor, condition: torch.Tensor | None) -> None:
        """Run the right-to-left LSTM over the completed row (B, W, .), last column first."""
        right = self.right
        width = self.row_inputs.shape[1]
        gates = self.ops.view(right.input_gates(self.row_inputs, condition, image) + right.above_gates(0, width))
        right.scan(gates, 0, width - 1, -1, self.compiled)
        self.right_shifted = right.hidden
        self.refresh_arrays()
        right.commit_row()

    def advance(
        self, features: torch.Tensor, start: int, stop: int, condition: torch.Tensor | None
    ) -> torch.Tensor:
        self.row_inputs[:, start:stop] = features
        left = self.left
        gates = self.ops.view(left.input_gates(features, condition) + left.above_gates(start, stop))
        left.scan(gates, start, start, 1, self.compiled)
        return self.output(left.hidden[:, start:stop] + self.right_shifted[:, start:stop])

    def advance_group(self, features, col: int, group: int, condition):
        """Colour group ``group`` at ``col``, on arrays of ``ops``: (B, 2h) -> (B, 2h_g)."""
        inputs = self.input_groups[group]
        self.row_inputs_array[:, col, inputs] = features[:, inputs]
        self.left.step_group(features, condition, col, group)
        return self.output.group(self.left.hidden_array[:, col] + self.right_shifted_array[:, col], group)

    def compiled_group(self, features, col: int, group: int, condition):
        """:meth:`advance_group` in one compiled call (:func:`.kernels.diagonal_group`); ``condition``
        (B, U) has U = 0 without conditioning. The result is overwritten by the next call."""
        left, inputs = self.left, self.input_groups[group]
        states, conditioning, output = left.state_groups[group], left.conditions[group], self.output.groups[group]
        side_hidden, side_cell = left.side_state(col, 1)
        diagonal_group(
            features, inputs.start, inputs.stop, self.row_inputs_array, col,
            left.input_to_state.groups[group].weight_t, left.biases[group],
            left.hidden_above_array[:, col], left.above_groups[group].weight_t, side_hidden, left.side_groups[group].weight_t,
            condition, conditioning.weight_t, conditioning.bias_row,
            side_cell, left.hidden_array, left.cell_array, states.start, states.stop, self.right_shifted_array,
            output.weight_t, output.bias_row, self.summed, self.gates[group], self.outputs[group],
        )
        return self.outputs[group]
