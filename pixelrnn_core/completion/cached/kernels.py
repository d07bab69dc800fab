"""The pieces of the cached engine's compiled per-pixel steps for a few candidates on the CPU (numba).

One colour group of one pixel (paper §3.4) is, per layer, two or three products of a vector with a
block of the layer's weights and a few dozen element-wise operations on vectors of tens of numbers.
Run as numpy calls, their fixed cost (about a microsecond each, a few hundred per sub-pixel) takes
longer than the arithmetic. So each layer's whole step is one compiled call, written beside the
layer's cached form (``pixelcnn``, ``row_lstm``, ``diagonal_bilstm``, ``stack``) from the pieces here;
a sub-pixel costs a few dozen calls and its time is spent reading the weights.

Conventions: arrays are numpy views of the engine's tensors (float32 or float64). A *linear* is the
pair ``(weight_t, bias)`` of one colour group's share of a layer (:attr:`.layers.GroupLinear.arrays`):
the transposed weight block ``(used, outputs)`` and the bias ``(1, outputs)`` (zeros where the layer
has none). A step takes its layer's weights for one colour group as one tuple and the candidates'
states as another (plain tuples: numba reads them as fast as separate arguments). Products skip
inputs that are exactly 0, which changes no sum. Copies are loops: numba takes seconds longer to
compile an array slice assignment (the first use compiles every step, see ``prepare_completion``).
"""
from __future__ import annotations

import math

import numba
import numpy as np

compiled = numba.njit(cache=True, nogil=True)


@compiled
def accumulate_product(inputs, weight_t, out):
    """``out (B, O) += inputs[:, :used] @ weight_t`` (weights read once for all candidates)."""
    for i in range(weight_t.shape[0]):
        for b in range(out.shape[0]):
            x = inputs[b, i]
            if x != 0:
                for j in range(weight_t.shape[1]):
                    out[b, j] += x * weight_t[i, j]


@compiled
def accumulate_relu_product(inputs, weight_t, out):
    """``out (B, O) += relu(inputs[:, :used]) @ weight_t``."""
    for i in range(weight_t.shape[0]):
        for b in range(out.shape[0]):
            x = inputs[b, i]
            if x > 0:
                for j in range(weight_t.shape[1]):
                    out[b, j] += x * weight_t[i, j]


@compiled
def accumulate_patch_product(buffer, col, kernel_width, weight_t, out):
    """``out (B, O) += patch @ weight_t`` for the patch of a row-cached masked convolution at current-row
    position ``col``: ``buffer (B, rows, width + 2 pad, F)`` read at columns ``col .. col + kernel_width
    - 1`` and flattened (row, tap, feature), its first ``used`` entries (see RowCachedConv)."""
    features = buffer.shape[3]
    used = weight_t.shape[0]
    i = 0
    for r in range(buffer.shape[1]):
        for k in range(kernel_width):
            for f in range(features):
                if i == used:
                    return
                for b in range(out.shape[0]):
                    x = buffer[b, r, col + k, f]
                    if x != 0:
                        for j in range(weight_t.shape[1]):
                            out[b, j] += x * weight_t[i, j]
                i += 1


@compiled
def set_rows(out, bias):
    """Every row of ``out (B, O)`` set to ``bias (1, O)`` or to the matching row of ``bias (B, O)``."""
    for b in range(out.shape[0]):
        source = 0 if bias.shape[0] == 1 else b
        for j in range(out.shape[1]):
            out[b, j] = bias[source, j]


@compiled
def add_rows(out, bias):
    """``out (B, O) += bias (1, O)``."""
    for b in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[b, j] += bias[0, j]


@compiled
def relu_in_place(out):
    """``out = max(out, 0)``."""
    for b in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[b, j] = max(out[b, j], 0.0)


@compiled
def linear_into(out, linear, inputs):
    """``out (B, O) = inputs (B, >= used) @ weight_t + bias`` for ``linear = (weight_t, bias)``."""
    weight_t, bias = linear
    set_rows(out, bias)
    accumulate_product(inputs, weight_t, out)


@compiled
def relu_linear_into(out, linear, inputs):
    """``out (B, O) = relu(inputs) @ weight_t + bias``."""
    weight_t, bias = linear
    set_rows(out, bias)
    accumulate_relu_product(inputs, weight_t, out)


@compiled
def patch_linear_into(out, linear, buffer, col, kernel_width):
    """``out (B, O) = patch @ weight_t + bias`` for the patch at ``col`` of a row-cached masked
    convolution's ``buffer`` (see :func:`accumulate_patch_product`)."""
    weight_t, bias = linear
    set_rows(out, bias)
    accumulate_patch_product(buffer, col, kernel_width, weight_t, out)


@compiled
def add_linear(out, linear, inputs):
    """``out (B, O) += inputs @ weight_t + bias``; a linear of no inputs and a zero bias adds nothing
    (a multi-scale model's conditioning term, §3.6, for a model without one)."""
    weight_t, bias = linear
    add_rows(out, bias)
    accumulate_product(inputs, weight_t, out)


@compiled
def sigmoid(x):
    """``1 / (1 + exp(-x))``; exp is a few times cheaper than libm's tanh, and saturates to 0 and 1."""
    return 1.0 / (1.0 + math.exp(-x))


@compiled
def tanh(x):
    """``tanh(x)`` as ``2 sigmoid(2x) - 1`` (absolute error ~1e-16; saturates to -1 and 1)."""
    return 2.0 / (1.0 + math.exp(-2.0 * x)) - 1.0


@compiled
def lstm_update_in_place(gates, cell, hidden_out, cell_out):
    """Paper eq. 3 on gates ``(B, 4n)`` stacked ``[o, f, i, g]`` and the cell ``(B, n)`` it updates,
    written into ``hidden_out`` and ``cell_out`` (see pixelrnn_core.models.lstm_cell.lstm_update)."""
    n = cell.shape[1]
    for b in range(cell.shape[0]):
        for j in range(n):
            updated = sigmoid(gates[b, n + j]) * cell[b, j] + sigmoid(gates[b, 2 * n + j]) * tanh(gates[b, 3 * n + j])
            cell_out[b, j] = updated
            hidden_out[b, j] = sigmoid(gates[b, j]) * tanh(updated)


@compiled
def write_inputs(features, start, stop, buffer, position):
    """Copy maps ``start .. stop - 1`` of ``features (B, F)`` into the current (last) row of a row-cached
    convolution's ``buffer`` at padded position ``position``."""
    last = buffer.shape[1] - 1
    for b in range(features.shape[0]):
        for f in range(start, stop):
            buffer[b, last, position, f] = features[b, f]


@compiled
def log_sigmoid(x):
    """log(1 / (1 + exp(-x))) without overflow: min(x, 0) - log1p(exp(-|x|)), as torch computes it."""
    return min(x, 0.0) - math.log1p(math.exp(-abs(x)))


@compiled
def mixture_log_probs_into(params, levels, min_log_scale, out):
    """``out (B, L)``: the log-probabilities of all ``levels`` under the discretized logistic mixture of
    each row of ``params (B, 3K)`` -- the maths of :func:`pixelrnn_core.models.logistic_mixture.mixture_log_probs`
    (its docstring derives it), in float64, for the sub-pixel the cached engine decides: one log-sigmoid
    per bin edge and component, and the components summed with each term at least e^-80 of the largest."""
    batch, components = params.shape[0], params.shape[1] // 3
    terms = np.empty((components, levels))
    for b in range(batch):
        top = -math.inf
        for k in range(components):
            top = max(top, params[b, k])
        total = 0.0
        for k in range(components):
            total += math.exp(params[b, k] - top)
        log_norm = top + math.log(total)
        for k in range(components):
            weight = params[b, k] - log_norm
            mean, log_scale = params[b, components + k], max(params[b, 2 * components + k], min_log_scale)
            inverse_scale = math.exp(-log_scale)
            half_width = inverse_scale / (levels - 1)
            inside = math.log(-math.expm1(-2.0 * half_width))
            above_last = 0.0
            for edge in range(levels - 1):
                centred = (edge * (2.0 / (levels - 1)) - 1.0 - mean) * inverse_scale + half_width
                below = log_sigmoid(centred)
                terms[k, edge] = weight + (below if edge == 0 else below + above_last + inside)
                above_last = below - centred
            terms[k, levels - 1] = weight + above_last
        for level in range(levels):
            largest = -math.inf
            for k in range(components):
                largest = max(largest, terms[k, level])
            shift = 0.0 if largest == -math.inf else largest
            total = 0.0
            for k in range(components):
                total += math.exp(max(terms[k, level] - shift, -80.0))
            out[b, level] = math.log(total) + largest
