"""Choosing sub-pixel values: randomness drawn up front, then inverse-CDF sampling.

One uniform number per (candidate, sub-pixel) is drawn from a seeded generator before any model runs,
in a fixed order (the sub-pixels in generation order). A value is then the inverse CDF of the softmax
at that number. The randomness therefore does not depend on how the logits were computed: the naive
and cached engines give the same image for the same seed.
"""
from __future__ import annotations

import numpy as np
import torch


def draw_uniforms(seed: int, draw: int, samples: int, count: int) -> np.ndarray:
    """(samples, count) uniforms in [0, 1) for the ``draw``-th drawing (0 first, then each redraw)."""
    return np.random.default_rng([seed, draw]).random((samples, count))


def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature`` (float64)."""
    scaled = logits / temperature
    scaled = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return scaled / scaled.sum(axis=1, keepdims=True)


def choose_values(
    logits: torch.Tensor, uniforms: np.ndarray, temperature: float = 1.0, greedy: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Values (K,) and the distributions (K, L) they were drawn from, for logits (K, L).

    ``greedy`` takes the most likely value; otherwise value k is the smallest level whose cumulative
    probability exceeds ``uniforms[k]``. ``temperature`` divides the logits first (< 1 sharpens).
    """
    scores = logits.detach().to("cpu", torch.float64).numpy()
    probs = softmax(scores, temperature)
    if greedy:
        values = scores.argmax(axis=1)
    else:
        cumulative = np.cumsum(probs, axis=1)
        thresholds = uniforms[:, None] * cumulative[:, -1:]
        values = np.minimum((cumulative <= thresholds).sum(axis=1), probs.shape[1] - 1)
    return values.astype(np.int64), probs.astype(np.float32)
