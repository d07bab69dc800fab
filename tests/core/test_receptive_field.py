"""The receptive fields the paper describes (§3.1, §3.2, §3.5, Figure 4)."""
from __future__ import annotations

import torch

import pixelrnn_core as prc

from .probes import influence_map

HEIGHT, WIDTH, LEVELS = 8, 14, 16
TARGET = (6, 6)


def field_of(arch: str, layers: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(influence, causal): which pixels reach the target's R logits, and which pixels precede it."""
    torch.manual_seed(0)
    model = prc.build_model(arch, channels=1, levels=LEVELS, hidden=16, layers=layers, out_hidden=32).double().eval()
    gen = torch.Generator().manual_seed(3)
    images = [torch.randint(0, LEVELS, (1, 1, HEIGHT, WIDTH), generator=gen) for _ in range(2)]
    influence = influence_map(model, images, LEVELS, TARGET)
    causal = model.pixel_order(HEIGHT, WIDTH) < model.pixel_order(HEIGHT, WIDTH)[TARGET]
    return influence, causal


def test_diagonal_bilstm_sees_the_whole_causal_context():
    influence, causal = field_of("diagonal_bilstm", layers=1)
    assert torch.equal(influence, causal)


def test_row_lstm_sees_a_triangle_above_and_not_the_whole_row():
    influence, causal = field_of("row_lstm", layers=1)
    assert not (influence & ~causal).any()
    i, j = TARGET
    # the whole column above is reached, however far (the recurrence runs down the image) ...
    assert influence[:i, j].all()
    # ... the triangle widens going up: a row far above reaches further sideways than the row just above
    assert influence[0].sum() > influence[i - 1].sum()
    # ... but pixels far to the left on the current row are out of reach
    assert not influence[i, 0]
    assert (causal & ~influence).any()


def test_pixelcnn_field_is_bounded_with_a_blind_spot():
    influence, causal = field_of("pixelcnn", layers=1)
    assert not (influence & ~causal).any()
    i, j = TARGET
    # bounded: 7x7 then one 3x3 reach 4 rows up at most
    assert influence[i - 4 :, :].any() and not influence[: i - 4].any()
    # blind spot: a pixel in the row just above, right of the pixel, is not seen although the pixel
    # directly above it is
    blind = [(r, c) for r in range(1, i) for c in range(j + 1, WIDTH) if not influence[r, c] and influence[r - 1, c]]
    assert blind, "expected the PixelCNN blind spot up and to the right"
