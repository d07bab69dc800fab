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

from ...models.lstm_cell import input_gates, lstm_update
from ...models.weights import DiagonalBiLSTMWeights, DiagonalLSTMWeights, Layer
from .array_ops import ArrayOps
from .block import CachedBlock
from .kernels import accumulate_product, add_linear, compiled, linear_into, lstm_update_in_place, set_rows
from .layers import GroupLinear, Pointwise, group_linears, group_slices, optional_linears, repeated, scratch


class CachedDiagonalLSTM:
    """One direction: its input-to-state terms and the state-to-state conv split into its two taps."""

    def __init__(self, weights: DiagonalLSTMWeights, batch: int, width: int, channels: int, ops: ArrayOps) -> None:
        self.ops = ops
        h = weights.initial_hidden.numel()
        gates = weights.input_to_state.out_groups
        self.input_to_state = Pointwise(weights.input_to_state, channels, ops)
        self.condition = None if weights.condition is None else Pointwise(weights.condition, channels, ops)
        self.image_to_state = None if weights.image_to_state is None else Pointwise(weights.image_to_state, channels, ops)
        weight = weights.state_to_state.weight  # (4h, h, 2): tap 0 reads above, tap 1 the side
        self.from_above = weight[:, :, 0].contiguous()
        self.state_bias = weights.state_to_state.bias
        self.from_side = GroupLinear(weight[:, :, 1], None, ops)  # all gates, for the per-pixel row scans
        self.state_groups = group_slices(h, channels)
        # each tap per colour group (the conv's bias with the tap above), and both convs' biases summed
        # for the compiled steps
        self.above_groups = group_linears(weight[:, :, 0], self.state_bias, gates, channels, ops)
        self.side_groups = group_linears(weight[:, :, 1], None, gates, channels, ops)
        input_bias = weights.input_to_state.bias
        both_biases = self.state_bias if input_bias is None else self.state_bias + input_bias
        self.biases = [ops.view(both_biases[gates.to(both_biases.device) == g].reshape(1, -1).contiguous()) for g in range(channels)]
        self.conditions = optional_linears(self.condition, [linear.weight_t.shape[1] for linear in self.above_groups], weight, ops)
        self.initial_hidden = weights.initial_hidden.view(1, h).expand(batch, h)
        self.initial_cell = weights.initial_cell.view(1, h).expand(batch, h)
        self.hidden_above = self.initial_hidden.view(batch, 1, h).expand(batch, width, h).clone()
        self.hidden = torch.zeros_like(self.hidden_above)
        self.cell = torch.zeros_like(self.hidden_above)
        self.refresh_arrays()

    def refresh_arrays(self) -> None:
        """The states the per-pixel steps use, as arrays of ``ops`` (renewed whenever they are replaced)."""
        view = self.ops.view
        self.hidden_above_array, self.hidden_array, self.cell_array = view(self.hidden_above), view(self.hidden), view(self.cell)
        self.initial_hidden_array, self.initial_cell_array = view(self.initial_hidden), view(self.initial_cell)

    def repeat(self, count: int) -> None:
        """Turn the states of one candidate into ``count`` identical ones."""
        self.initial_hidden, self.initial_cell = repeated(self.initial_hidden, count), repeated(self.initial_cell, count)
        self.hidden_above, self.hidden = repeated(self.hidden_above, count), repeated(self.hidden, count)
        self.cell = repeated(self.cell, count)
        self.refresh_arrays()

    def input_gates(
        self, features: torch.Tensor, condition: torch.Tensor | None, image: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Input-to-state gates (B, n, 4h) of a row segment's inputs (B, n, .)."""
        return input_gates(features, condition, image, self.input_to_state, self.condition, self.image_to_state)

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

    def update(self, gates, col: int, step: int, from_side: Layer, states: slice = slice(None)) -> None:
        """The states ``states`` of position ``col`` (eq. 3, arrays of ``ops``): ``gates`` (their
        input-to-state and above terms) plus the side tap ``from_side`` of the hidden state at ``col -
        step``, then the LSTM update from that position's cell."""
        side_hidden, side_cell = self.side_state(col, step)
        hidden, cell = lstm_update(gates + from_side(side_hidden), side_cell[:, states])
        self.hidden_array[:, col, states], self.cell_array[:, col, states] = hidden, cell

    def scan(self, gates, offset: int, first: int, step: int, compiled: bool) -> None:
        """Update positions ``first``, ``first + step``, ... of the current row, one per column of
        ``gates`` (B, n, 4h; position ``col`` reads column ``col - offset``), each from its gates and its
        row neighbour, on arrays of ``ops``; ``compiled``: in one compiled call
        (:func:`diagonal_scan`)."""
        if compiled:
            scratch = self.ops.view(self.hidden.new_empty(self.hidden.shape[0], gates.shape[2]))
            state = (self.initial_hidden_array, self.initial_cell_array, self.hidden_array, self.cell_array, scratch)
            diagonal_scan(self.from_side.weight_t, state, gates, offset, first, step)
            return
        for index in range(gates.shape[1]):
            col = first + index * step
            self.update(gates[:, col - offset], col, step, self.from_side)

    def step_group(self, features, condition, col: int, group: int) -> None:
        """Update colour group ``group`` of position ``col`` (left-to-right direction), on arrays of
        ``ops``."""
        condition_to_state = None if self.condition is None else self.condition.groups[group]
        gates = input_gates(features, condition, None, self.input_to_state.groups[group], condition_to_state, None)
        gates = gates + self.above_groups[group](self.hidden_above_array[:, col])
        self.update(gates, col, 1, self.side_groups[group], self.state_groups[group])

    def commit_row(self) -> None:
        """The current row becomes the row above."""
        self.hidden_above, self.hidden = self.hidden, torch.zeros_like(self.hidden)
        self.cell = torch.zeros_like(self.cell)
        self.refresh_arrays()


class CachedDiagonalBiLSTMBlock(CachedBlock):
    """Left-to-right updated per pixel; right-to-left scanned once per completed row."""

    def __init__(
        self, weights: DiagonalBiLSTMWeights, batch: int, width: int, channels: int, ops: ArrayOps, compiled: bool
    ) -> None:
        self.ops, self.compiled = ops, compiled
        self.left = CachedDiagonalLSTM(weights.left_to_right, batch, width, channels, ops)
        self.right = CachedDiagonalLSTM(weights.right_to_left, batch, width, channels, ops)
        self.output = Pointwise(weights.output, channels, ops)
        h = self.left.hidden.shape[2]
        self.input_groups = group_slices(2 * h, channels)
        left = self.left
        # per colour group, everything the compiled step reads of the weights (see diagonal_group)
        self.group_kernel = diagonal_group
        self.group_weights = [
            (
                left.input_to_state.groups[g].weight_t, left.biases[g], left.above_groups[g].weight_t,
                left.side_groups[g].weight_t, left.conditions[g].arrays, self.output.groups[g].arrays,
                inputs.start, inputs.stop, states.start, states.stop,
            )
            for g, (inputs, states) in enumerate(zip(self.input_groups, left.state_groups))
        ]
        self.row_inputs = self.left.hidden.new_zeros(batch, width, 2 * h)  # this row's block inputs
        # the right-to-left states of the row above, as the shift down adds them (zeros above row 0)
        self.right_shifted = torch.zeros_like(self.left.hidden)
        self.refresh_arrays()

    def refresh_arrays(self) -> None:
        """This row's inputs and the shifted right-to-left states as arrays of ``ops``."""
        self.row_inputs_array, self.right_shifted_array = self.ops.view(self.row_inputs), self.ops.view(self.right_shifted)
        if not self.compiled:
            return
        left, batch, h, reference = self.left, self.row_inputs.shape[0], self.right_shifted.shape[2], self.right_shifted
        gates = scratch(self.ops, reference, batch, [linear.weight_t.shape[1] for linear in left.above_groups])
        outputs = scratch(self.ops, reference, batch, [part.stop - part.start for part in self.input_groups])
        summed = scratch(self.ops, reference, batch, [h])[0]
        self.group_states = [
            (
                self.row_inputs_array, left.hidden_above_array, left.hidden_array, left.cell_array,
                left.initial_hidden_array, left.initial_cell_array, self.right_shifted_array, summed, gates[g], outputs[g],
            )
            for g in range(len(outputs))
        ]

    def repeat(self, count: int) -> None:
        self.row_inputs, self.right_shifted = repeated(self.row_inputs, count), repeated(self.right_shifted, count)
        self.left.repeat(count)
        self.right.repeat(count)
        self.refresh_arrays()

    def begin_row(self, row: int, image_above: torch.Tensor | None, condition_above: torch.Tensor | None) -> None:
        if row > 0:
            self.scan_right_to_left(image_above, condition_above)
            self.left.commit_row()
            self.refresh_arrays()

    def scan_right_to_left(self, image: torch.Tensor, condition: torch.Tensor | None) -> None:
        """Run the right-to-left LSTM over the completed row (B, W, .), last column first."""
        right = self.right
        width = self.row_inputs.shape[1]
        gates = self.ops.view(right.input_gates(self.row_inputs, condition, image) + right.above_gates(0, width))
        right.scan(gates, 0, width - 1, -1, self.compiled)
        self.right_shifted = right.hidden
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
        inputs = self.input_groups[group]
        self.row_inputs_array[:, col, inputs] = features[:, inputs]
        self.left.step_group(features, condition, col, group)
        return self.output.group(self.left.hidden_array[:, col] + self.right_shifted_array[:, col], group)


@compiled
def diagonal_group(weights, state, features, condition, col):
    """:meth:`CachedDiagonalBiLSTMBlock.advance_group` in one call: the left-to-right LSTM's gates are
    its 1 x 1 input-to-state term plus the 2 x 1 state-to-state conv of the state above and the one to
    the left (the learned initial state left of the image) and the conditioning; its update (eq. 3)
    writes the group's states, and ``out`` gets the group's output maps of their sum with the
    right-to-left states shifted down a row. ``weights``: the group's input-to-state weight, both
    convs' biases summed, the above and side taps' weights, the conditioning and output linears, and
    the group's ranges [start, stop) of the block inputs and of the states; ``state``: this row's block
    inputs, the left-to-right hidden states of the row above, this row's hidden and cell states, the
    initial hidden and cell state, the shifted right-to-left states, scratch for their sum, the gates
    and the output."""
    input_weight_t, bias, above_weight_t, side_weight_t, conditioning, output, in_start, in_stop, state_start, state_stop = weights
    row_inputs, hidden_above, hidden, cell, initial_hidden, initial_cell, right_shifted, summed, gates, out = state
    for b in range(features.shape[0]):
        for f in range(in_start, in_stop):
            row_inputs[b, col, f] = features[b, f]
    linear_into(gates, (above_weight_t, bias), hidden_above[:, col])
    if col > 0:
        side_hidden, side_cell = hidden[:, col - 1], cell[:, col - 1]
    else:
        side_hidden, side_cell = initial_hidden, initial_cell
    accumulate_product(side_hidden, side_weight_t, gates)
    accumulate_product(features, input_weight_t, gates)
    add_linear(gates, conditioning, condition)
    lstm_update_in_place(
        gates, side_cell[:, state_start:state_stop],
        hidden[:, col, state_start:state_stop], cell[:, col, state_start:state_stop],
    )
    for b in range(summed.shape[0]):
        for f in range(summed.shape[1]):
            summed[b, f] = hidden[b, col, f] + right_shifted[b, col, f]
    linear_into(out, output, summed)


@compiled
def diagonal_scan(side_weight_t, state, gates, offset, first, step):
    """:meth:`CachedDiagonalLSTM.scan` in one call: one direction along the current row, all colour
    groups, at positions ``first``, ``first + step``, ... (one per column of ``gates``), each from its
    input and above-row gates ``gates[:, col - offset]`` (B, 4h) plus the side tap ``side_weight_t`` of
    the state at ``col - step`` (the learned initial state outside the row), then the LSTM update.
    ``state``: the initial hidden and cell state, the row's hidden and cell states, scratch gates."""
    initial_hidden, initial_cell, hidden, cell, scratch = state
    width = hidden.shape[1]
    for i in range(gates.shape[1]):
        col = first + i * step
        side = col - step
        set_rows(scratch, gates[:, col - offset])
        if 0 <= side < width:
            accumulate_product(hidden[:, side], side_weight_t, scratch)
            lstm_update_in_place(scratch, cell[:, side], hidden[:, col], cell[:, col])
        else:
            accumulate_product(initial_hidden, side_weight_t, scratch)
            lstm_update_in_place(scratch, initial_cell, hidden[:, col], cell[:, col])
