"""Cached Row LSTM block (paper §3.1; docs/design.md, "Incremental evaluation").

State (r, c) reads the layer input at (r, c - k//2 .. c) through the masked k x 1 input-to-state conv
and the *complete* previous row's hidden state at (c - k//2 .. c + k//2) through the state-to-state
conv. So the cache is the previous row's (h, c) with its state-to-state term computed once per row, and
the current row's states computed so far.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ...models.lstm_cell import input_gates
from ...models.row_lstm import row_states
from ...models.weights import RowLSTMWeights
from .array_ops import ArrayOps
from .block import CachedBlock
from .kernels import add_linear, compiled, linear_into, lstm_update_in_place, patch_linear_into, write_inputs
from .layers import Pointwise, RowCachedConv, group_slices, optional_linears, repeated, scratch


class CachedRowLSTMBlock(CachedBlock):
    """One Row LSTM layer advanced a row segment, or one colour group of one pixel, at a time."""

    def __init__(
        self, weights: RowLSTMWeights, batch: int, width: int, channels: int, ops: ArrayOps, compiled: bool
    ) -> None:
        self.ops, self.compiled = ops, compiled
        h = weights.initial_hidden.numel()
        self.initial_hidden, self.initial_cell = weights.initial_hidden, weights.initial_cell
        gates = weights.input_to_state.out_groups
        self.input_to_state = RowCachedConv(weights.input_to_state, batch, width, channels, ops)
        self.output = Pointwise(weights.output, channels, ops)
        self.condition = None if weights.condition is None else Pointwise(weights.condition, channels, ops)
        self.state_groups = group_slices(h, channels)
        self.input_groups = group_slices(2 * h, channels)
        # the state-to-state conv with its output maps ordered by colour group, so that each group's
        # gates are a slice of its output, and with the input-to-state bias folded into its bias
        order = torch.cat([torch.nonzero(gates == g)[:, 0] for g in range(channels)]).to(self.initial_hidden.device)
        sizes = [int((gates == g).sum()) for g in range(channels)]
        self.gate_slices = [slice(sum(sizes[:g]), sum(sizes[: g + 1])) for g in range(channels)]
        self.gate_inverse = torch.argsort(order)
        conv = weights.state_to_state
        bias = conv.bias if self.input_to_state.bias is None else conv.bias + self.input_to_state.bias
        self.state_weight, self.state_bias = conv.weight[order], bias[order]
        self.state_padding = conv.weight.shape[2] // 2
        conditions = optional_linears(self.condition, sizes, self.initial_hidden, ops)
        # per colour group, everything the compiled step reads of the weights (see row_lstm_group)
        self.group_kernel = row_lstm_group
        self.group_weights = [
            (
                self.input_to_state.groups[g].weight_t, conditions[g].arrays, self.output.groups[g].arrays,
                self.input_to_state.kernel_width, inputs.start, inputs.stop, states.start, states.stop,
            )
            for g, (inputs, states) in enumerate(zip(self.input_groups, self.state_groups))
        ]
        self.hidden = self.initial_hidden.new_zeros(batch, width, h)
        self.cell = torch.zeros_like(self.hidden)
        self.previous_cell = torch.zeros_like(self.hidden)
        self.state_term = self.hidden.new_zeros(batch, 4 * h, width)
        self.gates: list = []  # scratch of the compiled steps, per colour group
        self.refresh_arrays()

    def refresh_arrays(self) -> None:
        """The state the per-pixel steps use, as arrays of ``ops`` (renewed whenever it is replaced)."""
        view = self.ops.view
        self.hidden_array, self.cell_array = view(self.hidden), view(self.cell)
        self.previous_cell_array = view(self.previous_cell)
        self.group_state_terms = [view(self.state_term[:, part].transpose(1, 2)) for part in self.gate_slices]
        if not self.compiled:
            return
        batch = self.hidden.shape[0]
        if not self.gates or self.gates[0].shape[0] != batch:
            self.gates = scratch(self.ops, self.hidden, batch, [part.stop - part.start for part in self.gate_slices])
            self.outputs = scratch(self.ops, self.hidden, batch, [part.stop - part.start for part in self.input_groups])
        buffer = self.input_to_state.buffer_array
        self.group_states = [
            (buffer, term, self.previous_cell_array, self.hidden_array, self.cell_array, gates, out)
            for term, gates, out in zip(self.group_state_terms, self.gates, self.outputs)
        ]

    def repeat(self, count: int) -> None:
        self.hidden, self.cell = repeated(self.hidden, count), repeated(self.cell, count)
        self.previous_cell, self.state_term = repeated(self.previous_cell, count), repeated(self.state_term, count)
        self.input_to_state.repeat(count)
        self.refresh_arrays()

    def begin_row(self, row: int, image_above: torch.Tensor | None, condition_above: torch.Tensor | None) -> None:
        """Commit the finished row as the previous one and apply the state-to-state conv to it once:
        ``state_term`` (B, 4h, W), gates ordered by colour group, both convs' biases included."""
        batch, width, _ = self.hidden.shape
        if row == 0:
            h = self.initial_hidden.numel()
            previous_hidden = self.initial_hidden.view(1, 1, h).expand(batch, width, h)
            self.previous_cell = self.initial_cell.view(1, 1, h).expand(batch, width, h)
        else:
            previous_hidden, self.previous_cell = self.hidden, self.cell
            self.hidden, self.cell = torch.zeros_like(self.hidden), torch.zeros_like(self.cell)
        self.state_term = F.conv1d(
            previous_hidden.transpose(1, 2), self.state_weight, self.state_bias, padding=self.state_padding
        )
        self.refresh_arrays()
        self.input_to_state.begin_row()

    def advance(
        self, features: torch.Tensor, start: int, stop: int, condition: torch.Tensor | None
    ) -> torch.Tensor:
        input_to_state = self.input_to_state.on_segment(start, stop, with_bias=False)  # its bias is in state_term
        gates = input_gates(features, condition, None, input_to_state, self.condition, None)
        above_gates = self.state_term[:, self.gate_inverse, start:stop].transpose(1, 2)
        batch, positions, four_h = gates.shape
        hidden, cell = row_states(
            gates.reshape(-1, four_h), above_gates.reshape(-1, four_h),
            self.previous_cell[:, start:stop].reshape(-1, four_h // 4),
        )
        self.hidden[:, start:stop] = hidden.view(batch, positions, -1)
        self.cell[:, start:stop] = cell.view(batch, positions, -1)
        return self.output(self.hidden[:, start:stop])

    def advance_group(self, features, col: int, group: int, condition):
        inputs, states = self.input_groups[group], self.state_groups[group]
        input_to_state = self.input_to_state.on_group(col, group, inputs, with_bias=False)
        condition_to_state = None if self.condition is None else self.condition.groups[group]
        gates = input_gates(features[:, inputs], condition, None, input_to_state, condition_to_state, None)
        hidden, cell = row_states(gates, self.group_state_terms[group][:, col], self.previous_cell_array[:, col, states])
        self.hidden_array[:, col, states], self.cell_array[:, col, states] = hidden, cell
        return self.output.group(self.hidden_array[:, col], group)


@compiled
def row_lstm_group(weights, state, features, condition, col):
    """:meth:`CachedRowLSTMBlock.advance_group` in one call: the group's block inputs are stored, its
    gates are the masked k x 1 input-to-state conv plus the row's state-to-state term (with the
    input-to-state bias) and the conditioning, the LSTM updates the group's states (eq. 3), and ``out``
    gets the group's block output maps (1 x 1 mask B). ``weights``: the input-to-state weight of the
    group, its conditioning and output linears, the kernel width and the group's ranges [start, stop)
    of the block inputs and of the states; ``state``: the input-to-state conv's row buffer, the group's
    state-to-state term (B, W, 4h_g), the cell of the row above and this row's hidden and cell states
    (B, W, h), scratch for the gates and the output."""
    input_weight_t, conditioning, output, kernel_width, in_start, in_stop, state_start, state_stop = weights
    buffer, state_term, previous_cell, hidden, cell, gates, out = state
    write_inputs(features, in_start, in_stop, buffer, kernel_width // 2 + col)
    patch_linear_into(gates, (input_weight_t, state_term[:, col]), buffer, col, kernel_width)
    add_linear(gates, conditioning, condition)
    lstm_update_in_place(
        gates, previous_cell[:, col, state_start:state_stop],
        hidden[:, col, state_start:state_stop], cell[:, col, state_start:state_stop],
    )
    linear_into(out, output, hidden[:, col])
