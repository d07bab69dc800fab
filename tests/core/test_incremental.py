"""The cached engine's logits equal the full forward pass's at every step (docs/design.md, "Incremental evaluation")."""
from __future__ import annotations

import pytest
import torch

import pixelrnn_core as prc
from pixelrnn_core.completion.engines import make_engine
from pixelrnn_core.completion.cached import CachedMultiScale, CachedPixelModel
from pixelrnn_core.completion.cached.array_ops import NUMPY_OPS, TORCH_OPS
from pixelrnn_core.completion.cached.stack import COMPILED_BATCH_LIMIT
from pixelrnn_core.models.multiscale import MultiScalePixelRNN

from .completion_helpers import OUTPUTS

ARCHS = ["pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale"]


def tiny_model(arch: str, channels: int, levels: int = 16, dtype=torch.float64, **settings) -> torch.nn.Module:
    torch.manual_seed(0)
    settings = {"hidden": 12, "layers": 2, "out_hidden": 24, "upsample_features": 8, **settings}
    model = prc.build_model(arch, channels=channels, levels=levels, **settings)
    return model.to(dtype).eval()


def generation_order(model, height: int, width: int, channels: int) -> list[tuple[int, int, int]]:
    rank = model.pixel_order(height, width).flatten()
    pixels = [divmod(int(index), width) for index in rank.argsort()]
    return [(r, c, ch) for r, c in pixels for ch in range(channels)]


def replay(
    model, height, width, channels, levels, decided, tolerance, batch=2, same_start=False, ops=None, compiled=None
):
    """Walk the generation order, changing each decided sub-pixel; compare cached and full logits.
    ``same_start``: the candidates start identical (as in a completion), so the cached engine computes
    the part before the first decided sub-pixel once and repeats it for every candidate. ``ops`` and
    ``compiled``: how the per-pixel steps run (default: the engine's choice)."""
    generator = torch.Generator().manual_seed(3)
    x = torch.randint(0, levels, (1 if same_start else batch, channels, height, width), generator=generator)
    x = x.expand(batch, -1, -1, -1).clone()
    if ops is None:
        cached = make_engine("cached", model, batch, height, width)
    else:
        kind = CachedMultiScale if isinstance(model, MultiScalePixelRNN) else CachedPixelModel
        cached = kind(model, batch, height, width, ops=ops, compiled=compiled)
    worst = 0.0
    with torch.no_grad():
        for r, c, ch in generation_order(model, height, width, channels):
            if not decided(r, c):
                continue
            expected = model(x)[:, :, ch, r, c]
            worst = max(worst, float((cached.logits(x, r, c, ch) - expected).abs().max()))
            x[:, ch, r, c] = torch.randint(0, levels, (batch,), generator=generator)
    assert worst < tolerance


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("output", OUTPUTS)
def test_cached_logits_equal_full_forward_at_every_subpixel(arch, channels, output):
    model = tiny_model(arch, channels, **OUTPUTS[output])
    replay(model, 5, 7, channels, 16, lambda r, c: True, 1e-10)


@pytest.mark.parametrize("arch", ARCHS)
def test_cached_logits_equal_full_forward_with_known_pixels_between(arch):
    """Known rows are computed in bulk, known runs inside a row as segments; a hole and a scattered mask."""
    model = tiny_model(arch, 3)
    replay(model, 7, 6, 3, 16, lambda r, c: (r >= 3 and 1 <= c <= 3) or (r * 7 + c) % 5 == 0, 1e-10)


@pytest.mark.parametrize("arch", ARCHS)
def test_cached_logits_when_candidates_share_the_known_part(arch):
    model = tiny_model(arch, 3)
    replay(model, 6, 5, 3, 16, lambda r, c: r >= 3 or (r, c) == (2, 4), 1e-10, batch=3, same_start=True)


@pytest.mark.parametrize("arch", ARCHS)
def test_cached_logits_match_in_float32(arch):
    model = tiny_model(arch, 3, levels=256, dtype=torch.float32)
    replay(model, 6, 5, 3, 256, lambda r, c: r >= 2, 1e-4)


@pytest.mark.parametrize("arch", ["pixelcnn", "row_lstm", "diagonal_bilstm"])
@pytest.mark.parametrize("residual, skip", [(False, False), (True, False), (False, True)])
def test_cached_logits_without_residual_or_skip(arch, residual, skip):
    model = tiny_model(arch, 3, residual=residual, skip=skip, kernel=5)
    replay(model, 5, 6, 3, 16, lambda r, c: r >= 1, 1e-10, batch=1)


STEPS = {"compiled": (NUMPY_OPS, True), "numpy": (NUMPY_OPS, False), "torch": (TORCH_OPS, False)}


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("steps", STEPS)
@pytest.mark.parametrize("output", OUTPUTS)
def test_per_pixel_steps_are_exact_compiled_on_numpy_and_on_torch(arch, steps, output):
    """The per-pixel steps run as compiled calls for a few candidates on the CPU, as numpy operations
    for more, and on torch tensors elsewhere (CUDA): each gives the full forward pass's logits, for one
    candidate and after the shared part is repeated, in float64 and in float32."""
    ops, compiled = STEPS[steps]
    model = tiny_model(arch, 3, **OUTPUTS[output])
    replay(model, 6, 5, 3, 16, lambda r, c: r >= 2 or (r, c) == (1, 3), 1e-10, batch=1, ops=ops, compiled=compiled)
    replay(model, 6, 5, 3, 16, lambda r, c: r >= 3, 1e-10, batch=3, same_start=True, ops=ops, compiled=compiled)
    model = tiny_model(arch, 3, levels=256, dtype=torch.float32, **OUTPUTS[output])
    replay(model, 5, 4, 3, 256, lambda r, c: r >= 2, 1e-4, batch=2, ops=ops, compiled=compiled)


def test_compiled_steps_for_a_few_candidates_on_numpy_only():
    model = tiny_model("row_lstm", 3)
    assert CachedPixelModel(model, COMPILED_BATCH_LIMIT, 4, 4).compiled
    assert not CachedPixelModel(model, COMPILED_BATCH_LIMIT + 1, 4, 4).compiled
    assert not CachedPixelModel(model, 1, 4, 4, ops=TORCH_OPS).compiled
    with pytest.raises(ValueError, match="numpy arrays only"):
        CachedPixelModel(model, 1, 4, 4, ops=TORCH_OPS, compiled=True)


def test_revisiting_an_earlier_subpixel_recomputes_from_scratch():
    model = tiny_model("diagonal_bilstm", 3)
    x = torch.randint(0, 16, (1, 3, 5, 5), generator=torch.Generator().manual_seed(4))
    cached = make_engine("cached", model, 1, 5, 5)
    with torch.no_grad():
        cached.logits(x, 4, 3, 2)
        x[:, :, 1, 1] = (x[:, :, 1, 1] + 5) % 16
        difference = (cached.logits(x, 1, 2, 0) - model(x)[:, :, 0, 1, 2]).abs().max()
    assert difference < 1e-10


def test_prepare_completion_readies_every_architecture_and_can_stop_between_them():
    steps = prc.prepare_completion()
    assert next(steps) == "pixelcnn"
    steps.close()
    assert list(prc.prepare_completion()) == [
        "pixelcnn", "row_lstm", "diagonal_bilstm",
        "multiscale (pixelcnn)", "multiscale (row_lstm)", "multiscale (diagonal_bilstm)",
    ]
