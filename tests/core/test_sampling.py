"""Choosing values by inverse CDF from randomness drawn up front (pixelrnn_core/sampling.py)."""
from __future__ import annotations

import numpy as np
import torch

from pixelrnn_core.completion.sampling import choose_values, draw_uniforms


def test_inverse_cdf_picks_the_level_whose_interval_holds_the_uniform():
    logits = torch.log(torch.tensor([[0.1, 0.0, 0.6, 0.3]] * 5).clamp_min(1e-30))
    values, probs = choose_values(logits, np.array([0.0, 0.05, 0.1, 0.69, 0.71]))
    assert values.tolist() == [0, 0, 2, 2, 3]
    np.testing.assert_allclose(probs[0], [0.1, 0.0, 0.6, 0.3], atol=1e-6)


def test_temperature_and_greedy():
    logits = torch.tensor([[0.0, 1.0, 2.0]])
    _, hot = choose_values(logits, np.array([0.5]), temperature=10.0)
    _, cold = choose_values(logits, np.array([0.5]), temperature=0.1)
    assert hot.max() < 0.4 and cold.max() > 0.99
    values, _ = choose_values(logits, np.array([0.0]), greedy=True)
    assert values.tolist() == [2]


def test_uniforms_depend_on_seed_and_draw_only():
    np.testing.assert_array_equal(draw_uniforms(3, 0, 2, 10), draw_uniforms(3, 0, 2, 10))
    assert not np.array_equal(draw_uniforms(3, 0, 2, 10), draw_uniforms(4, 0, 2, 10))
    assert not np.array_equal(draw_uniforms(3, 0, 2, 10), draw_uniforms(3, 1, 2, 10))


def test_sampled_frequencies_follow_the_distribution():
    target = np.array([0.5, 0.2, 0.3])
    logits = torch.log(torch.tensor(target)).repeat(20000, 1)
    values, _ = choose_values(logits, draw_uniforms(0, 0, 20000, 1)[:, 0])
    np.testing.assert_allclose(np.bincount(values, minlength=3) / 20000, target, atol=0.015)
