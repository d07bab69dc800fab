"""prc.inspect: the model's per-sub-pixel distributions, entropy, surprisal and bits/dim."""
from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
import torch

import pixelrnn_core as prc
from pixelrnn_core.completion import inspection

from .completion_helpers import ARCHS, OUTPUTS, mask_of, random_image, tiny_model


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("channels", [1, 3])
def test_probabilities_sum_to_one_and_match_the_models_softmax(arch, channels):
    model = tiny_model(arch, channels, dtype=torch.float32)
    image = random_image(5, 6, channels)
    result = prc.inspect(model, image)
    assert result.probs.shape == (5, 6, channels, 16) and result.probs.dtype == np.float32
    np.testing.assert_allclose(result.probs.sum(axis=3), 1.0, atol=1e-5)
    with torch.no_grad():
        logits = model(torch.from_numpy(image).long().permute(2, 0, 1)[None])
    expected = torch.softmax(logits[0], dim=0).permute(2, 3, 1, 0).numpy()
    np.testing.assert_allclose(result.probs, expected, atol=1e-6)


def test_surprisal_entropy_and_bits_per_dim():
    model = tiny_model("diagonal_bilstm", 3)
    image, mask = random_image(5, 5, 3), mask_of("hole", 5, 5)
    result = prc.inspect(model, image, mask)
    probs = result.probs.astype(np.float64)
    actual = np.take_along_axis(probs, image[..., None].astype(np.int64), axis=3)[..., 0]
    np.testing.assert_allclose(result.surprisal_bits, -np.log2(actual), rtol=1e-5)
    np.testing.assert_allclose(result.entropy_bits, -(probs * np.log2(probs)).sum(axis=3), rtol=1e-5)
    assert (result.entropy_bits >= 0).all() and (result.entropy_bits <= math.log2(16) + 1e-6).all()
    assert result.bits_per_dim == pytest.approx(result.surprisal_bits.mean(), rel=1e-6)
    assert result.masked_bits_per_dim == pytest.approx(result.surprisal_bits[mask].mean(), rel=1e-6)
    assert result.masked_bits_per_dim != pytest.approx(result.bits_per_dim)


def test_bits_per_dim_equals_the_cross_entropy_loss():
    model = tiny_model("row_lstm", 3)
    image = random_image(4, 6, 3)
    x = torch.from_numpy(image).long().permute(2, 0, 1)[None]
    with torch.no_grad():
        nats = torch.nn.functional.cross_entropy(model(x), x).item()
    result = prc.inspect(model, image)
    assert result.bits_per_dim == pytest.approx(nats / math.log(2), rel=1e-9)
    assert result.masked_bits_per_dim is None


def test_inspecting_a_likely_image_costs_fewer_bits():
    """Greedy completions are what the model expects: fewer bits in the hole than random pixels."""
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(6, 6, 3), mask_of("bottom_half", 6, 6)
    greedy = prc.complete(model, image, mask, greedy=True)[0]
    assert prc.inspect(model, greedy, mask).masked_bits_per_dim < prc.inspect(model, image, mask).masked_bits_per_dim


def test_inspecting_keeps_little_besides_the_distributions_it_returns():
    model = prc.build_model("pixelcnn", channels=3, levels=256, hidden=4, layers=1, out_hidden=4).eval()
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    tracemalloc.start()
    try:
        result = prc.inspect(model, image)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * result.probs.nbytes  # the float64 sums over every sub-pixel at once took 4x it


def test_bad_image_gets_a_clear_message():
    with pytest.raises(ValueError, match="shape"):
        prc.inspect(tiny_model("pixelcnn", 3), np.zeros((4, 4), np.uint8))


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_an_inspection_in_bands_of_rows_can_stop_after_any_band_and_ends_as_inspect_does(arch, output, monkeypatch):
    """The app inspects a region of a large photo (seconds of work) band by band, so closing the window
    or changing the image stops it after a band instead of waiting for the whole region."""
    monkeypatch.setattr(inspection, "SUB_PIXELS_PER_CHUNK", 2 * 7 * 3)  # two rows of 7 pixels a band
    model = tiny_model(arch, 3, **OUTPUTS[output])
    image, mask = random_image(9, 7, 3), mask_of("hole", 9, 7)
    steps = list(prc.inspection_steps(model, image, mask))
    assert [step.rows_done for step in steps] == [2, 4, 6, 8, 9]
    assert all(step.rows == 9 for step in steps)
    assert all(step.result is None for step in steps[:-1])
    expected = prc.inspect(model, image, mask)
    for field in ("probs", "entropy_bits", "surprisal_bits"):
        np.testing.assert_allclose(getattr(steps[-1].result, field), getattr(expected, field), rtol=1e-12, atol=1e-12)
    assert steps[-1].result.masked_bits_per_dim == pytest.approx(expected.masked_bits_per_dim, rel=1e-12)
