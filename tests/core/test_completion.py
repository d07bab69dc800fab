"""prc.complete: both engines agree, known pixels stay, seeds matter, any mask and size (the public API
contract in docs/architecture.md)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pixelrnn_core as prc

from .completion_helpers import ARCHS, OUTPUTS, mask_of, random_image, tiny_model


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("kind", ["bottom_half", "hole", "two_regions", "whole"])
@pytest.mark.parametrize("output", OUTPUTS)
def test_naive_and_cached_engines_give_the_same_images(arch, channels, kind, output):
    model = tiny_model(arch, channels, levels=256, **OUTPUTS[output])
    image, mask = random_image(6, 5, channels, 256), mask_of(kind, 6, 5)
    cached = prc.complete(model, image, mask, samples=2, seed=7, engine="cached")
    naive = prc.complete(model, image, mask, samples=2, seed=7, engine="naive")
    np.testing.assert_array_equal(cached, naive)
    assert cached.shape == (2, 6, 5, channels) and cached.dtype == np.uint8
    np.testing.assert_array_equal(cached[:, ~mask], np.broadcast_to(image[~mask], cached[:, ~mask].shape))


@pytest.mark.parametrize("arch", ARCHS)
def test_larger_image_is_completed_on_a_window_and_engines_agree(arch):
    """A 12x14 image, a model working on 6x6 windows: the hole is filled, everything else is kept."""
    model = tiny_model(arch, 3)
    image = random_image(12, 14, 3)
    mask = np.zeros((12, 14), dtype=bool)
    mask[8:10, 9:12] = True
    cached = prc.complete(model, image, mask, samples=2, seed=3, window=(6, 6))
    naive = prc.complete(model, image, mask, samples=2, seed=3, engine="naive", window=(6, 6))
    np.testing.assert_array_equal(cached, naive)
    np.testing.assert_array_equal(cached[:, ~mask], np.broadcast_to(image[~mask], cached[:, ~mask].shape))
    assert (cached[:, mask] != image[mask]).any()


def test_window_changes_the_context_the_model_sees():
    """Cropping to a window is not a no-op: with less context above, the predictions differ."""
    model = tiny_model("diagonal_bilstm", 3)
    image, mask = random_image(12, 10, 3), mask_of("bottom_half", 12, 10)
    mask[:10] = False
    whole = next(prc.CompletionJob(model, image, mask).run())
    windowed = next(prc.CompletionJob(model, image, mask, window=(3, 10)).run())
    assert (whole.row, whole.col, whole.channel) == (windowed.row, windowed.col, windowed.channel) == (10, 0, 0)
    assert np.abs(whole.probs - windowed.probs).max() > 1e-4


def test_different_seeds_give_different_samples_and_the_same_seed_the_same():
    model = tiny_model("row_lstm", 3)
    image, mask = random_image(6, 6, 3), mask_of("bottom_half", 6, 6)
    first = prc.complete(model, image, mask, samples=3, seed=0)
    np.testing.assert_array_equal(first, prc.complete(model, image, mask, samples=3, seed=0))
    assert (first != prc.complete(model, image, mask, samples=3, seed=1)).any()
    assert (first[0] != first[1]).any(), "candidates of one batch must differ"


def test_each_candidate_is_the_sample_drawn_with_its_row_of_randomness():
    """K candidates in one batch are the K samples in the order drawn: candidate 0 of a batch of 3 is
    the same image as the single sample of a batch of 1."""
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(5, 5, 3), mask_of("hole", 5, 5)
    batch = prc.complete(model, image, mask, samples=3, seed=4)
    single = prc.complete(model, image, mask, samples=1, seed=4)
    np.testing.assert_array_equal(batch[:1], single)


def test_greedy_takes_the_most_likely_value_and_low_temperature_approaches_it():
    model = tiny_model("diagonal_bilstm", 3)
    image, mask = random_image(5, 6, 3), mask_of("bottom_half", 5, 6)
    greedy = prc.complete(model, image, mask, samples=2, greedy=True, seed=0)
    np.testing.assert_array_equal(greedy, prc.complete(model, image, mask, greedy=True, seed=9).repeat(2, axis=0))
    cold = prc.complete(model, image, mask, samples=2, temperature=1e-4, seed=5)
    np.testing.assert_array_equal(cold, greedy)
    job = prc.CompletionJob(model, image, mask, greedy=True)
    for step in job.run():
        assert step.values[0] == step.probs[0].argmax()


def test_higher_temperature_flattens_the_distributions():
    model = tiny_model("row_lstm", 3)
    image, mask = random_image(4, 4, 3), mask_of("bottom_half", 4, 4)

    def first_probs(temperature):
        return next(prc.CompletionJob(model, image, mask, temperature=temperature).run()).probs[0]

    assert first_probs(3.0).max() < first_probs(1.0).max() < first_probs(0.3).max()


@pytest.mark.parametrize("orientation", sorted(prc.ORIENTATIONS))
def test_empty_mask_returns_the_image(orientation):
    model = tiny_model("pixelcnn", 3)
    image = random_image(4, 5, 3)
    job = prc.CompletionJob(model, image, np.zeros((4, 5), bool), samples=2, orientation=orientation)
    assert job.total == 0 and list(job.run()) == []
    np.testing.assert_array_equal(job.images, np.stack([image, image]))
    np.testing.assert_array_equal(job.scores, [0.0, 0.0])


def test_the_callers_model_is_neither_moved_nor_changed():
    model = tiny_model("row_lstm", 3)
    model.train()
    before = {name: value.clone() for name, value in model.state_dict().items()}
    prc.complete(model, random_image(4, 4, 3), mask_of("bottom_half", 4, 4))
    assert model.training
    assert all(torch.equal(before[name], value) for name, value in model.state_dict().items())


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(image=np.zeros((4, 4, 2), np.uint8)), "shape"),
        (dict(image=np.full((4, 4, 3), 16, np.uint8)), r"\[0, 16\)"),
        (dict(image=np.zeros((4, 4, 3), np.float32)), "integer"),
        (dict(mask=np.zeros((4, 5), bool)), "mask must have"),
        (dict(mask=np.full((4, 4), 2)), "boolean"),
        (dict(engine="fast"), "unknown engine"),
        (dict(temperature=0.0), "temperature"),
        (dict(samples=0), "samples"),
        (dict(orientation="sideways"), "orientation"),
        (dict(window=(0, 4)), "window"),
    ],
)
def test_bad_arguments_get_a_clear_message(change, message):
    arguments = dict(image=np.zeros((4, 4, 3), np.uint8), mask=mask_of("bottom_half", 4, 4)) | change
    with pytest.raises((ValueError, TypeError), match=message):
        prc.CompletionJob(tiny_model("pixelcnn", 3), **arguments)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_unavailable_cuda_device_gets_a_clear_message():
    with pytest.raises(ValueError, match="not available"):
        prc.complete(tiny_model("pixelcnn", 3), random_image(4, 4), mask_of("hole", 4, 4), device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_completion_matches_cpu():
    model = tiny_model("row_lstm", 3)
    image, mask = random_image(5, 5, 3), mask_of("bottom_half", 5, 5)
    np.testing.assert_array_equal(
        prc.complete(model, image, mask, samples=2, device="cuda"),
        prc.complete(model, image, mask, samples=2, device="cpu"),
    )
