"""Choosing sub-pixel values: randomness drawn up front, then inverse-CDF sampling.

One uniform number per (candidate, sub-pixel) is drawn from a seeded generator before any model runs,
in a fixed order (the sub-pixels in generation order). A value is then the inverse CDF of the softmax
at that number. The randomness therefore does not depend on how the logits were computed: the naive
and cached engines give the same image for the same seed. The softmax and the inverse CDF run as one
compiled call (numba): a fill decides thousands of sub-pixels one after another, and as numpy calls
their fixed costs took longer than the fill's other bookkeeping together.
"""
from __future__ import annotations

import math

import numba
import numpy as np
import torch


def draw_uniforms(seed: int, draw: int, samples: int, count: int) -> np.ndarray:
    """(samples, count) uniforms in [0, 1) for the ``draw``-th drawing (0 first, then each redraw)."""
    return np.random.default_rng([seed, draw]).random((samples, count))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def softmax_inverse_cdf(scores, temperature, uniforms, greedy, probs, values):
    """For each row k of ``scores`` (K, L): ``probs[k]`` = softmax(scores[k] / temperature) (float64),
    ``values[k]`` = its argmax if ``greedy`` (the first of equal maxima), else the smallest level whose
    cumulative probability exceeds ``uniforms[k]`` times the total."""
    levels = scores.shape[1]
    for k in range(scores.shape[0]):
        top, best = -math.inf, 0
        for j in range(levels):
            if scores[k, j] > scores[k, best]:
                best = j
            top = max(top, scores[k, j] / temperature)
        total = 0.0
        for j in range(levels):
            probs[k, j] = math.exp(scores[k, j] / temperature - top)
            total += probs[k, j]
        cumulative = 0.0
        for j in range(levels):
            probs[k, j] /= total
            cumulative += probs[k, j]
        threshold = uniforms[k] * cumulative
        chosen, cumulative = 0, 0.0
        for j in range(levels):
            cumulative += probs[k, j]
            if cumulative <= threshold:
                chosen = j + 1
        values[k] = best if greedy else min(chosen, levels - 1)


def choose_values(
    logits: torch.Tensor, uniforms: np.ndarray, temperature: float = 1.0, greedy: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Values (K,) and the distributions (K, L) they were drawn from, for logits (K, L).

    ``greedy`` takes the most likely value; otherwise value k is the smallest level whose cumulative
    probability exceeds ``uniforms[k]``. ``temperature`` divides the logits first (< 1 sharpens).
    """
    scores = logits.detach().cpu().numpy().astype(np.float64)
    probs = np.empty_like(scores)
    values = np.empty(len(scores), dtype=np.int64)
    softmax_inverse_cdf(scores, float(temperature), np.ascontiguousarray(uniforms, dtype=np.float64), bool(greedy), probs, values)
    return values, probs.astype(np.float32)
