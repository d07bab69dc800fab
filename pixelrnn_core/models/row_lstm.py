"""Row LSTM (paper §3.1): an LSTM that runs down the image one whole row at a time.

The input-to-state part is a k x 1 convolution along the row with mask B, computed for the whole map at
once. The state-to-state part is an unmasked k x 1 convolution over the previous row's hidden state.
The receptive field is a triangle above the pixel (plus a few pixels to its left); it does not cover the
whole left context.
"""
from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig
from .fused_scan import lstm_scan, packed, row_plan, unpacked
from .lstm_cell import input_gates, lstm_update
from .masks import MaskedConv2d, gate_groups
from .nonlinearities import Array
from .pixel_model import PixelModel, layout_of
from .weights import RowLSTMWeights, conv_weights


def row_states(row_gates: Array, above_gates: Array, cell_above: Array) -> tuple[Array, Array]:
    """The hidden and cell states of one row (§3.1, eq. 3), gates along dim 1: the row's input-to-state
    gates (the masked k x 1 convolution along the row, see :meth:`RowLSTMBlock.input_gates`) plus its
    state-to-state gates (the k x 1 convolution of the row above's hidden state), then the LSTM update
    from the row above's cell (shared by the reference scan and the cached engine; tensors or numpy
    arrays)."""
    return lstm_update(row_gates + above_gates, cell_above)


class RowLSTMBlock(nn.Module):
    """Residual Row LSTM block: 2h maps -> LSTM with h states -> 1x1 mask B back to 2h (§3.3)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        h, c, k = config.hidden, config.channels, config.kernel
        self.input_to_state = MaskedConv2d(2 * h, 4 * h, (1, k), "B", c, out_groups=gate_groups(h, c))
        self.state_to_state = nn.Conv1d(h, 4 * h, k, padding=k // 2)
        self.initial_hidden = nn.Parameter(torch.zeros(h))
        self.initial_cell = nn.Parameter(torch.zeros(h))
        self.output = MaskedConv2d(h, 2 * h, 1, "B", c)
        self.condition = nn.Conv2d(config.cond_features, 4 * h, 1) if config.cond_features else None
        self.scan = "fast"

    def initial_state(self, batch: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The learned state above the first row, the same at every column."""
        h = self.initial_hidden.numel()
        return (
            self.initial_hidden.view(1, h, 1).expand(batch, h, width),
            self.initial_cell.view(1, h, 1).expand(batch, h, width),
        )

    def input_gates(self, x: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        """Input-to-state gate maps (B, 4h, H, W) for the whole image at once (§3.1)."""
        return input_gates(x, condition, None, self.input_to_state, self.condition, None)

    def reference_scan(self, gates: torch.Tensor) -> torch.Tensor:
        """Hidden maps (B, h, H, W), row by row as the paper defines them."""
        hidden, cell = self.initial_state(gates.shape[0], gates.shape[3])
        rows = []
        for r in range(gates.shape[2]):
            hidden, cell = row_states(gates[:, :, r], self.state_to_state(hidden), cell)
            rows.append(hidden)
        return torch.stack(rows, dim=2)

    def fused_scan(self, gates: torch.Tensor) -> torch.Tensor:
        """The same hidden maps from one fused scan (see :mod:`.fused_scan`)."""
        batch, four_h, height, width = gates.shape
        conv = self.state_to_state
        plan = row_plan(batch, height, width, conv.kernel_size[0])
        rows = packed(gates.unsqueeze(0), plan)
        weight = conv.weight.permute(2, 1, 0).reshape(1, -1, four_h)  # window slot t, state i -> row t * h + i
        hidden = lstm_scan(rows, conv.bias[None], weight, self.initial_hidden[None], self.initial_cell[None], plan)
        return unpacked(hidden, plan, height, width)[0]

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        gates = self.input_gates(x, condition)
        scan = self.fused_scan if self.scan == "fast" else self.reference_scan
        return self.output(scan(gates).to(gates.dtype, memory_format=layout_of(x)))

    def cached_weights(self) -> RowLSTMWeights:
        """The weights the cached engine evaluates this block with."""
        gates = self.input_to_state.out_groups
        return RowLSTMWeights(
            conv_weights(self.input_to_state),
            conv_weights(self.state_to_state, gates),
            self.initial_hidden.detach(),
            self.initial_cell.detach(),
            conv_weights(self.output),
            None if self.condition is None else conv_weights(self.condition, gates),
        )


class RowLSTM(PixelModel):
    """Row LSTM PixelRNN: 7x7 mask-A conv, residual Row LSTM blocks, ReLU + 1x1 output (Table 1)."""

    def make_block(self, config: ModelConfig) -> nn.Module:
        return RowLSTMBlock(config)
