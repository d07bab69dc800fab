"""Diagonal BiLSTM (paper §3.2): two LSTMs that sweep the image along its diagonals.

The input map is skewed (row r shifted right by r) so that each diagonal becomes a column. In skewed
space the input-to-state part is a 1x1 mask-B convolution and the state-to-state part a 2x1 column
convolution over the previous column, i.e. the states at (r-1, c) and (r, c-1) of the unskewed image.
The right-to-left direction is the same LSTM run on the mirrored image; its output is shifted down by
one row before it is added to the left-to-right output, so that no pixel sees the future of its own
row.

With a mask-A first layer, no feature at (r, c) ever holds the pixel (r, c) itself, so the last pixel of
row r-1 would appear in no feature of row r-1 and the right-to-left scan could not carry it to the
pixels of row r (they would miss exactly that one pixel of their context). Because the right-to-left
output is shifted down, the whole of row r-1 is past for it: its input-to-state part also reads the
image itself through an unmasked 1x1 conv. With that, the two directions cover the whole causal
context, as the paper's Figure 4 shows (a test checks it).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig
from .fused_scan import diagonal_plan, lstm_scan, packed, unpacked
from .lstm_cell import input_gates, lstm_update
from .masks import MaskedConv2d, gate_groups
from .pixel_model import PixelModel, layout_of
from .weights import DiagonalBiLSTMWeights, DiagonalLSTMWeights, conv_weights


def skew(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H, W + H - 1), row r shifted right by r (§3.2)."""
    batch, features, height, width = x.shape
    flat = F.pad(x, (0, height)).reshape(batch, features, height * (width + height))
    return flat[:, :, : height * (width + height - 1)].reshape(batch, features, height, width + height - 1)


def unskew(x: torch.Tensor, width: int) -> torch.Tensor:
    """Inverse of :func:`skew`: (B, C, H, W + H - 1) -> (B, C, H, W)."""
    batch, features, height, skewed_width = x.shape
    flat = F.pad(x.reshape(batch, features, height * skewed_width), (0, height))
    return flat.reshape(batch, features, height, skewed_width + 1)[:, :, :, :width]


class DiagonalLSTM(nn.Module):
    """One direction (left to right) of the Diagonal BiLSTM; returns h states (B, h, H, W).

    ``sees_image``: the input-to-state part also reads the scaled image through an unmasked 1x1 conv;
    only for the right-to-left direction, whose output is shifted down a row.
    """

    def __init__(self, config: ModelConfig, sees_image: bool = False) -> None:
        super().__init__()
        h, c = config.hidden, config.channels
        self.input_to_state = MaskedConv2d(2 * h, 4 * h, 1, "B", c, out_groups=gate_groups(h, c))
        self.state_to_state = nn.Conv1d(h, 4 * h, 2)
        self.initial_hidden = nn.Parameter(torch.zeros(h))
        self.initial_cell = nn.Parameter(torch.zeros(h))
        self.condition = nn.Conv2d(config.cond_features, 4 * h, 1) if config.cond_features else None
        self.image_to_state = nn.Conv2d(c, 4 * h, 1) if sees_image else None

    def input_gates(
        self, x: torch.Tensor, condition: torch.Tensor | None, image: torch.Tensor | None
    ) -> torch.Tensor:
        """Input-to-state gate maps (B, 4h, H, W), unskewed."""
        return input_gates(x, condition, image, self.input_to_state, self.condition, self.image_to_state)

    def cached_weights(self) -> DiagonalLSTMWeights:
        """The weights the cached engine evaluates this direction with."""
        gates = self.input_to_state.out_groups
        return DiagonalLSTMWeights(
            conv_weights(self.input_to_state),
            conv_weights(self.state_to_state, gates),
            self.initial_hidden.detach(),
            self.initial_cell.detach(),
            None if self.condition is None else conv_weights(self.condition, gates),
            None if self.image_to_state is None else conv_weights(self.image_to_state, gates),
        )

    def initial(self, batch: int, height: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The learned state of every position above or left of the image (one column of it)."""
        h = self.initial_hidden.numel()
        return (
            self.initial_hidden.view(1, h, 1).expand(batch, h, height),
            self.initial_cell.view(1, h, 1).expand(batch, h, height),
        )

    def step(
        self, column_gates: torch.Tensor, hidden: torch.Tensor, cell: torch.Tensor, initial_hidden: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One skewed column: row r reads the previous column's states at rows r-1 and r."""
        above_and_left = torch.cat([initial_hidden[:, :, :1], hidden], dim=2)
        return lstm_update(column_gates + self.state_to_state(above_and_left), cell)

    def forward(
        self, x: torch.Tensor, condition: torch.Tensor | None = None, image: torch.Tensor | None = None
    ) -> torch.Tensor:
        gates = skew(self.input_gates(x, condition, image))
        batch, _, height, skewed_width = gates.shape
        initial_hidden, initial_cell = self.initial(batch, height)
        hidden, cell = initial_hidden, initial_cell
        rows = torch.arange(height, device=x.device).view(1, 1, height)
        columns = []
        for j in range(skewed_width):
            hidden, cell = self.step(gates[:, :, :, j], hidden, cell, initial_hidden)
            if j < height - 1:
                # rows r > j are left of the image in this column: they keep the learned initial state
                left_of_image = rows > j
                hidden = torch.where(left_of_image, initial_hidden, hidden)
                cell = torch.where(left_of_image, initial_cell, cell)
            columns.append(hidden)
        return unskew(torch.stack(columns, dim=3), x.shape[3])


def shift_down(x: torch.Tensor) -> torch.Tensor:
    """Move a map down one row (zeros enter at the top), so row r holds what row r-1 computed."""
    return F.pad(x[:, :, :-1], (0, 0, 1, 0))


class DiagonalBiLSTMBlock(nn.Module):
    """Residual Diagonal BiLSTM block: both directions, the right one shifted down, then 1x1 to 2h."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.left_to_right = DiagonalLSTM(config)
        self.right_to_left = DiagonalLSTM(config, sees_image=True)
        self.output = MaskedConv2d(config.hidden, 2 * config.hidden, 1, "B", config.channels)
        self.scan = "fast"

    def fused_scans(
        self, x: torch.Tensor, condition: torch.Tensor | None, image: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Both directions' hidden maps from one fused scan over the diagonals (see :mod:`.fused_scan`):
        the right-to-left LSTM runs on the mirrored maps as a second direction of the same scan, whose
        packing reads its gate maps mirrored (its input-to-state parts are 1x1, so they commute with
        the mirroring) and writes its states back unmirrored."""
        lstms = (self.left_to_right, self.right_to_left)
        gates = torch.stack([
            self.left_to_right.input_gates(x, condition, None), self.right_to_left.input_gates(x, condition, image)
        ])
        batch, four_h, height, width = gates.shape[1:]
        plan = diagonal_plan(batch, height, width, str(gates.device))
        biases = torch.stack([lstm.state_to_state.bias for lstm in lstms])
        # window slot t (0: above, 1: left), state i -> row t * h + i
        weight = torch.stack([lstm.state_to_state.weight for lstm in lstms]).permute(0, 3, 2, 1).reshape(2, -1, four_h)
        hidden = lstm_scan(
            packed(gates, plan), biases, weight,
            torch.stack([lstm.initial_hidden for lstm in lstms]), torch.stack([lstm.initial_cell for lstm in lstms]), plan,
        )
        left, right = unpacked(hidden, plan, height, width).to(gates.dtype)
        return left, right

    def reference_scans(
        self, x: torch.Tensor, condition: torch.Tensor | None, image: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Both directions' hidden maps, each LSTM scanning its skewed map column by column (§3.2)."""
        left = self.left_to_right(x, condition)
        mirrored_condition = None if condition is None else condition.flip(3)
        right = self.right_to_left(x.flip(3), mirrored_condition, image.flip(3)).flip(3)
        return left, right

    def forward(
        self, x: torch.Tensor, condition: torch.Tensor | None = None, image: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``image`` is the scaled input image, which only the shifted right-to-left direction reads."""
        scans = self.fused_scans if self.scan == "fast" else self.reference_scans
        left, right = scans(x, condition, image)
        return self.output((left + shift_down(right)).contiguous(memory_format=layout_of(x)))

    def cached_weights(self) -> DiagonalBiLSTMWeights:
        """The weights the cached engine evaluates this block with."""
        return DiagonalBiLSTMWeights(
            self.left_to_right.cached_weights(), self.right_to_left.cached_weights(), conv_weights(self.output)
        )


class DiagonalBiLSTM(PixelModel):
    """Diagonal BiLSTM PixelRNN: 7x7 mask-A conv, residual Diagonal BiLSTM blocks, output (Table 1)."""

    def make_block(self, config: ModelConfig) -> nn.Module:
        return DiagonalBiLSTMBlock(config)

    def run_block(
        self, block: nn.Module, features: torch.Tensor, condition: torch.Tensor | None, image: torch.Tensor
    ) -> torch.Tensor:
        return block(features, condition, image)
