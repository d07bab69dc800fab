"""The discretized logistic mixture of PixelCNN++ (Salimans et al. 2017, §2.1) as an output layer.

Each sub-pixel's distribution over its L levels is a mixture of K logistic distributions on the
model's [-1, 1] scale (level l sits at ``scale_levels(l)``), discretized to L bins of width
2 / (L - 1): a level's probability is the mass of its bin, and the two edge bins take the tails,
so the L probabilities sum to 1. Its parameters are 3K numbers per sub-pixel, ``[K mixture logits,
K means, K log-scales]``.

PixelCNN++ couples the colours of a pixel linearly inside one mixture. Here each sub-pixel has an
independent mixture: the colour dependence already comes from the mask-B colour groups of the
network (PixelRNN paper §3.4: R, then G given R, then B given R and G), which hand channel g's
parameters everything channels < g decided.

The mixture is turned into the L log-probabilities of each sub-pixel, so everything that reads a
model's scores (the cross-entropy, sampling, the inspector) is unchanged: their log-softmax is the
mixture's log-probabilities. Training and evaluation evaluate it at the observed values only (K bin
masses per sub-pixel instead of K x L; ``PixelModel.log_likelihood``). The maths runs in at least float32 (never under bf16/fp16 autocast).
A bin's log-probability is a sum of log-sigmoids (see :func:`mixture_log_probs`), so neither far
tails (PixelCNN++'s cancellation in ``cdf_plus - cdf_min``), edge bins nor bins narrow against their
component's scale (PixelCNN++'s density fallback) lose precision.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from ..pixels.levels import scale_levels

# Smallest log-scale of a component (PixelCNN++ clamps at -7: a scale of 1/1100, a tenth of a bin).
MIN_LOG_SCALE = -7.0
# Sub-pixels whose K x L bin masses are computed at a time (and, with gradients, recomputed in the
# backward pass): a few MB per intermediate, which stay in the CPU's caches (several times faster than
# chunks of thousands: docs/benchmarks.md, benchmarks/mixture_cost.py).
SUBPIXELS_PER_CHUNK = 64


def mixture_log_probs(params: torch.Tensor, levels: int, values: torch.Tensor | None = None) -> torch.Tensor:
    """Log-probabilities under the discretized logistic mixtures whose parameters ``params (..., 3K)``
    are ``[K logits, K means, K log-scales]`` (PixelCNN++ §2.1): of all L levels ``(..., L)``, or with
    ``values (...)`` (int levels) of those values only ``(...)``.

    A bin from a to b has, under a logistic of mean m and scale s (u = (a - m) / s, v = (b - m) / s),
    the mass sigmoid(v) - sigmoid(u) = sigmoid(v) * sigmoid(-u) * (1 - exp(u - v)), an identity: so
    log mass = log sigmoid(v) + log sigmoid(-u) + log(-expm1(-w)), w = v - u = 2 * half-bin / s, the
    same for every bin of a component. The edge bins take the tails: log sigmoid(v) for the first
    (a = -inf), log sigmoid(-u) for the last (b = +inf). For all levels, each edge's log sigmoid(-e) is
    taken as log sigmoid(e) - e: one log-sigmoid per edge, not two per bin.
    """
    dtype = torch.promote_types(params.dtype, torch.float32)
    with torch.autocast(params.device.type, enabled=False):
        logits, means, log_scales = params.to(dtype).unsqueeze(-1).chunk(3, dim=-2)  # (..., K, 1) each
        log_scales = log_scales.clamp(min=MIN_LOG_SCALE)
        inverse_scales = torch.exp(-log_scales)
        half_width = inverse_scales / (levels - 1)  # half a bin in the component's units
        inside = torch.log(-torch.expm1(-2.0 * half_width))  # log(1 - exp(u - v)), the same for every bin
        if values is None:
            log_mass = all_bins_log_mass(means, inverse_scales, half_width, inside, levels)
        else:
            centred = (scale_levels(values.unsqueeze(-1), levels, dtype).unsqueeze(-2) - means) * inverse_scales  # (..., K, 1)
            below_upper = F.logsigmoid(centred + half_width)  # log sigmoid(v)
            above_lower = F.logsigmoid(half_width - centred)  # log sigmoid(-u)
            value = values.unsqueeze(-1).unsqueeze(-1)
            log_mass = torch.where(value == 0, below_upper, torch.where(value == levels - 1, above_lower, below_upper + above_lower + inside))
        log_probs = log_sum_exp(torch.log_softmax(logits, dim=-2) + log_mass, dim=-2)
    return log_probs if values is None else log_probs.squeeze(-1)


def log_sum_exp(terms: torch.Tensor, dim: int) -> torch.Tensor:
    """``torch.logsumexp(terms, dim)`` for a few terms of very different sizes, as a sharp mixture's
    components give a level (half of them more than e^87 below the largest): each term's exponential
    is taken at least at e^-80 of the largest. The largest contributes 1 to the sum, so a term below
    e^-80 < 2^-115 of it changes no bit of a float32 or float64 sum -- but computing its exponential
    (a subnormal or zero) takes the CPU's slow path, 10-30 times slower: torch's logsumexp took 30 %
    of the inspector's time on a photo (docs/benchmarks.md)."""
    largest = terms.detach().amax(dim=dim, keepdim=True)
    shifted = (terms - largest.nan_to_num(neginf=0.0)).clamp(min=-80.0)
    return shifted.exp().sum(dim=dim).log() + largest.squeeze(dim)  # all terms -inf: -inf


def all_bins_log_mass(
    means: torch.Tensor, inverse_scales: torch.Tensor, half_width: torch.Tensor, inside: torch.Tensor, levels: int
) -> torch.Tensor:
    """log mass ``(..., K, L)`` of every bin under each component (see :func:`mixture_log_probs`), from
    the L - 1 edges between the bins."""
    upper = torch.arange(levels - 1, device=means.device)  # the levels whose bin's upper edge is a shared one
    edges = (scale_levels(upper, levels, means.dtype) - means) * inverse_scales + half_width  # (..., K, L - 1)
    below = F.logsigmoid(edges)  # log P(x < edge)
    above = below - edges  # log P(x > edge) = log sigmoid(-edge)
    return torch.cat([below[..., :1], below[..., 1:] + above[..., :-1] + inside, above[..., -1:]], dim=-1)


def mixture_log_prob_maps(params: torch.Tensor, levels: int) -> torch.Tensor:
    """Scores ``(B, L, C, H, W)`` of a model whose output head gives ``params (B, C, 3K, H, W)``: each
    sub-pixel's log-probabilities of all levels (:func:`mixture_log_probs`), computed a chunk of
    sub-pixels at a time and, when gradients are needed, recomputed in the backward pass instead of
    kept. (K x L values per sub-pixel: for the likelihood of given values alone,
    :func:`mixture_log_likelihood_maps` is far cheaper.)"""
    batch, channels, maps, height, width = params.shape
    flat = params.permute(0, 1, 3, 4, 2).reshape(-1, maps)
    chunks = []
    for chunk in flat.split(SUBPIXELS_PER_CHUNK):
        if torch.is_grad_enabled() and chunk.requires_grad:
            chunks.append(checkpoint(mixture_log_probs, chunk, levels, use_reentrant=False))
        else:
            chunks.append(mixture_log_probs(chunk, levels))
    log_probs = torch.cat(chunks).view(batch, channels, height, width, levels)
    return log_probs.permute(0, 4, 1, 2, 3)


def mixture_log_likelihood_maps(params: torch.Tensor, levels: int, values: torch.Tensor) -> torch.Tensor:
    """log P(value) ``(B, C, H, W)`` of each sub-pixel's ``values`` under the mixtures of ``params
    (B, C, 3K, H, W)``: what :func:`mixture_log_prob_maps` gives at the values, for K values per
    sub-pixel instead of K x L."""
    return mixture_log_probs(params.movedim(2, -1), levels, values)


def initial_bias(mixtures: int) -> torch.Tensor:
    """The output bias ``(3K,)`` of one sub-pixel's mixture before training: equal weights, means
    spread evenly over [-1, 1] and scales of about one K-th of the range, so the untrained mixture
    is close to uniform over the levels."""
    means = (torch.arange(mixtures) + 0.5) * (2.0 / mixtures) - 1.0
    log_scales = torch.full((mixtures,), math.log(1.0 / mixtures))
    return torch.cat([torch.zeros(mixtures), means, log_scales])
