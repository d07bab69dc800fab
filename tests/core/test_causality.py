"""Sub-pixel causality of every architecture (paper §3.4; docs/design.md: "Correctness is causal")."""
from __future__ import annotations

import pytest
import torch

import pixelrnn_core as prc

from .completion_helpers import OUTPUTS
from .probes import logit_change, perturbed, subpixel_rank

ARCHS = ["pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale"]
UNCHANGED = 1e-9  # float64: a masked input may leave rounding noise, never more
CHANGED = 1e-7


def tiny_model(arch: str, channels: int, levels: int, **settings) -> torch.nn.Module:
    torch.manual_seed(0)
    model = prc.build_model(arch, channels=channels, levels=levels, hidden=12, layers=2, out_hidden=24, **settings)
    return model.double().eval()


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("levels", [2, 256])
@pytest.mark.parametrize("size", [(5, 7), (6, 4)])
@pytest.mark.parametrize("output", OUTPUTS)
def test_each_subpixel_affects_only_later_ones(arch, channels, levels, size, output):
    """Changing sub-pixel s changes no logit at or before s and does change the next one in its row."""
    height, width = size
    model = tiny_model(arch, channels, levels, upsample_features=8, **OUTPUTS[output])
    x = torch.randint(0, levels, (1, channels, height, width), generator=torch.Generator().manual_seed(1))
    rank = subpixel_rank(model, height, width, channels)
    for i in range(height):
        for j in range(width):
            for c in range(channels):
                change = logit_change(model, x, perturbed(x, levels, i, j, c))
                at_or_before = rank <= rank[i, j, c]
                assert change[at_or_before].max() < UNCHANGED, f"{arch}: sub-pixel {(i, j, c)} leaks backwards"
                next_rank = rank[i, j, c] + 1
                following = (rank == next_rank).nonzero()
                if len(following) and following[0, 0] == i:
                    fi, fj, fc = following[0].tolist()
                    assert change[fi, fj, fc] > CHANGED, f"{arch}: {(i, j, c)} does not reach next {(fi, fj, fc)}"


@pytest.mark.parametrize("arch", ["pixelcnn", "row_lstm", "diagonal_bilstm"])
@pytest.mark.parametrize("residual, skip", [(False, False), (True, False), (False, True)])
def test_causal_without_residual_or_skip(arch, residual, skip):
    model = tiny_model(arch, 3, 16, residual=residual, skip=skip)
    x = torch.randint(0, 16, (1, 3, 4, 5), generator=torch.Generator().manual_seed(2))
    rank = subpixel_rank(model, 4, 5, 3)
    for i, j, c in [(0, 0, 0), (1, 2, 1), (2, 4, 2), (3, 1, 0)]:
        change = logit_change(model, x, perturbed(x, 16, i, j, c))
        assert change[rank <= rank[i, j, c]].max() < UNCHANGED
        assert change[rank > rank[i, j, c]].max() > CHANGED


@pytest.mark.parametrize("base_arch", ["pixelcnn", "diagonal_bilstm"])
def test_multiscale_on_every_base_is_causal_in_its_order(base_arch):
    """Small-image pixels first, then the rest; with a scale of 3 on a size it does not divide."""
    model = tiny_model("multiscale", 3, 8, base_arch=base_arch, scale=3, upsample_features=8)
    x = torch.randint(0, 8, (1, 3, 7, 5), generator=torch.Generator().manual_seed(4))
    rank = subpixel_rank(model, 7, 5, 3)
    for i in range(7):
        for j in range(5):
            for c in range(3):
                change = logit_change(model, x, perturbed(x, 8, i, j, c))
                assert change[rank <= rank[i, j, c]].max() < UNCHANGED, f"{(i, j, c)} leaks backwards"
                assert rank[i, j, c] == rank.max() or change[rank > rank[i, j, c]].max() > CHANGED


@pytest.mark.parametrize("arch", ["row_lstm", "diagonal_bilstm"])
@pytest.mark.parametrize("channels", [1, 3])
def test_float32_compiled_scans_are_causal(arch, channels):
    """In float32 on a CPU the recurrences run compiled steps; a later sub-pixel leaves every logit at or
    before it bit-for-bit the same (no rounding noise: those logits never read it)."""
    model = tiny_model(arch, channels, 16).float()
    x = torch.randint(0, 16, (2, channels, 5, 6), generator=torch.Generator().manual_seed(3))
    rank = subpixel_rank(model, 5, 6, channels)
    for i, j, c in [(0, 0, 0), (1, 3, channels - 1), (2, 5, 0), (4, 0, channels // 2), (4, 5, channels - 1)]:
        change = logit_change(model, x, perturbed(x, 16, i, j, c))
        assert change[rank <= rank[i, j, c]].max() == 0, f"{arch}: sub-pixel {(i, j, c)} leaks backwards"
        if rank[i, j, c] < rank.max():
            assert change[rank > rank[i, j, c]].max() > CHANGED
