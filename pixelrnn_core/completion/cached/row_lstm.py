"""Cached Row LSTM block (paper §3.1; docs/design.md, "Incremental evaluation").

State (r, c) reads the layer input at (r, c - k//2 .. c) through the masked k x 1 input-to-state conv
and the *complete* previous row's hidden state at (c - k//2 .. c + k//2) through the state-to-state
conv. So the cache is the previous row's (h, c) with its state-to-state term computed once per row, and
the current row's states computed so far.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ...models.lstm_cell import lstm_update
from ...models.masks import gate_groups
from ...models.row_lstm import RowLSTMBlock
from .array_ops import ArrayOps
from .kernels import row_lstm_group
from .layers import Pointwise, RowCachedConv, condition_linears, group_slices, lstm_update_into, scratch


class CachedRowLSTMBlock:
    """One Row LSTM layer advanced a row segment, or one colour group of one pixel, at a time."""

    STATE = ("hidden", "cell", "previous_cell", "state_term")
    PARTS = ("input_to_state",)

    def __init__(
        self, block: RowLSTMBlock, batch: int, width: int, channels: int, ops: ArrayOps, compiled: bool
    ) -> None:
        """``compiled``: whether the per-pixel steps run as compiled calls (:meth:`compiled_group`)."""
        self.block, self.ops, self.compiled = block, ops, compiled
        h = block.initial_hidden.numel()
        gates = gate_groups(h, channels)
        self.input_to_state = RowCachedConv(block.input_to_state, batch, width, channels, ops, gates)
        self.output = Pointwise(block.output, channels, ops)
        self.condition = None if block.condition is None else Pointwise(block.condition, channels, ops, gates)
        self.state_groups = group_slices(h, channels)
        self.input_groups = group_slices(2 * h, channels)
        # the state-to-state conv with its output maps ordered by colour group, so that each group's
        # gates are a slice of its output, and with the input-to-state bias folded into its bias
        order = torch.cat([torch.nonzero(gates == g)[:, 0] for g in range(channels)]).to(block.initial_hidden.device)
        sizes = [int((gates == g).sum()) for g in range(channels)]
        self.gate_slices = [slice(sum(sizes[:g]), sum(sizes[: g + 1])) for g in range(channels)]
        self.gate_inverse = torch.argsort(order)
        conv = block.state_to_state
        bias = conv.bias.detach() if self.input_to_state.bias is None else conv.bias.detach() + self.input_to_state.bias
        self.state_weight, self.state_bias, self.state_padding = conv.weight.detach()[order], bias[order], conv.padding
        self.conditions = condition_linears(self.condition, sizes, block.initial_hidden, ops)
        self.hidden = block.initial_hidden.detach().new_zeros(batch, width, h)
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
        batch = self.hidden.shape[0]
        if self.compiled and (not self.gates or self.gates[0].shape[0] != batch):
            sizes = [part.stop - part.start for part in self.gate_slices]
            self.gates = scratch(self.ops, self.hidden, batch, sizes)
            self.outputs = scratch(self.ops, self.hidden, batch, [part.stop - part.start for part in self.input_groups])

    def begin_row(self, row: int, image_above: torch.Tensor, condition_above: torch.Tensor | None) -> None:
        """Commit the finished row as the previous one and apply the state-to-state conv to it once:
        ``state_term`` (B, 4h, W), gates ordered by colour group, both convs' biases included."""
        batch, width, _ = self.hidden.shape
        if row == 0:
            hidden, cell = self.block.initial_state(batch, width)  # (B, h, W)
            previous_hidden, self.previous_cell = hidden.transpose(1, 2), cell.transpose(1, 2)
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
        self.input_to_state.write(features, start)
        state_term = self.state_term[:, self.gate_inverse, start:stop].transpose(1, 2)
        gates = self.input_to_state.compute(start, stop, with_bias=False) + state_term
        if self.condition is not None:
            gates = gates + self.condition(condition)
        batch, positions, four_h = gates.shape
        hidden, cell = lstm_update(
            gates.reshape(-1, four_h), self.previous_cell[:, start:stop].reshape(-1, four_h // 4)
        )
        self.hidden[:, start:stop] = hidden.view(batch, positions, -1)
        self.cell[:, start:stop] = cell.view(batch, positions, -1)
        return self.output(self.hidden[:, start:stop])

    def advance_group(self, features, col: int, group: int, condition):
        """Colour group ``group`` at ``col`` of the current row, on arrays of ``ops``: block input
        ``features`` (B, 2h) -> block output maps of the group (B, 2h_g)."""
        inputs, states = self.input_groups[group], self.state_groups[group]
        self.input_to_state.write_group(features[:, inputs], col, inputs)
        gates = self.input_to_state.compute_group(col, group, self.group_state_terms[group][:, col])
        if self.condition is not None:
            gates += self.condition.group(condition, group)
        hidden = self.hidden_array
        lstm_update_into(
            self.ops, gates, self.previous_cell_array[:, col, states], hidden[:, col, states], self.cell_array[:, col, states]
        )
        return self.output.group(hidden[:, col], group)

    def compiled_group(self, features, col: int, group: int, condition):
        """:meth:`advance_group` in one compiled call (:func:`.kernels.row_lstm_group`); ``condition``
        (B, U) has U = 0 without conditioning. The result is overwritten by the next call."""
        inputs, states, conv = self.input_groups[group], self.state_groups[group], self.input_to_state
        conditioning, output = self.conditions[group], self.output.groups[group]
        row_lstm_group(
            features, inputs.start, inputs.stop, conv.buffer_array, col, conv.pad, conv.kernel_width,
            conv.groups[group].weight_t, self.group_state_terms[group],
            condition, conditioning.weight_t, conditioning.bias_row,
            self.previous_cell_array, self.hidden_array, self.cell_array, states.start, states.stop,
            output.weight_t, output.bias_row, self.gates[group], self.outputs[group],
        )
        return self.outputs[group]
