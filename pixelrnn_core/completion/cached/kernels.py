"""Compiled per-pixel steps of the cached engine for a few candidates on the CPU (numba).

One colour group of one pixel (paper §3.4) is, per layer, two or three products of a vector with a
block of the layer's weights and a few dozen element-wise operations on vectors of tens of numbers.
Run as numpy calls, their fixed cost (about a microsecond each, a few hundred per sub-pixel) takes
longer than the arithmetic. Each function here does one layer's whole step in one compiled call, so a
sub-pixel costs a few dozen calls and its time is spent reading the weights.

Conventions: arrays are numpy views of the engine's tensors (float32 or float64); a weight is a
transposed block ``(used, outputs)`` of one colour group (:class:`.layers.GroupLinear`), a bias
``(1, outputs)`` (zeros where the layer has none). Products skip inputs that are exactly 0, which
changes no sum. The maths of each layer is cited where it is defined in the model modules; these are
the same formulas on one position.
"""
from __future__ import annotations

import math

import numba

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
def sigmoid(x):
    """``1 / (1 + exp(-x))``; exp is a few times cheaper than libm's tanh, and saturates to 0 and 1."""
    return 1.0 / (1.0 + math.exp(-x))


@compiled
def tanh(x):
    """``tanh(x)`` as ``2 sigmoid(2x) - 1`` (absolute error ~1e-16; saturates to -1 and 1)."""
    return 2.0 / (1.0 + math.exp(-2.0 * x)) - 1.0


@compiled
def lstm_update(gates, cell, hidden_out, cell_out):
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
def conditioned(gates, condition, condition_weight_t, condition_bias):
    """Add a multi-scale model's conditioning term ``condition (B, U) @ weight + bias`` (§3.6); a model
    without one passes ``U = 0`` and a zero bias."""
    for b in range(gates.shape[0]):
        for j in range(gates.shape[1]):
            gates[b, j] += condition_bias[0, j]
    accumulate_product(condition, condition_weight_t, gates)


@compiled
def stem_group(image_values, buffer, col, pad, kernel_width, weight_t, bias, features, start, stop):
    """The mask-A stem (§3.4) at current-row position ``col``: store the pixel's scaled values
    ``image_values (B, C)`` and write colour group [start, stop) of its output maps into ``features``."""
    write_inputs(image_values, 0, image_values.shape[1], buffer, pad + col)
    out = features[:, start:stop]
    set_rows(out, bias)
    accumulate_patch_product(buffer, col, kernel_width, weight_t, out)


@compiled
def row_lstm_group(
    features, in_start, in_stop, buffer, col, pad, kernel_width, input_weight_t, state_term,
    condition, condition_weight_t, condition_bias,
    previous_cell, hidden, cell, state_start, state_stop, output_weight_t, output_bias, gates, out,
):
    """One colour group of a Row LSTM layer (§3.1) at current-row position ``col``: the group's block
    inputs are stored, its gates are the masked k x 1 input-to-state conv plus ``state_term (B, W, 4n)``
    (the state-to-state conv of the row above, with the input-to-state bias), the LSTM updates the
    group's states, and ``out (B, 2h_g)`` gets the group's block output maps (1 x 1 mask B)."""
    write_inputs(features, in_start, in_stop, buffer, pad + col)
    set_rows(gates, state_term[:, col])
    accumulate_patch_product(buffer, col, kernel_width, input_weight_t, gates)
    conditioned(gates, condition, condition_weight_t, condition_bias)
    lstm_update(
        gates, previous_cell[:, col, state_start:state_stop],
        hidden[:, col, state_start:state_stop], cell[:, col, state_start:state_stop],
    )
    set_rows(out, output_bias)
    accumulate_product(hidden[:, col], output_weight_t, out)


@compiled
def diagonal_group(
    features, in_start, in_stop, row_inputs, col, input_weight_t, bias, above, above_weight_t, side, side_weight_t,
    condition, condition_weight_t, condition_bias,
    side_cell, hidden, cell, state_start, state_stop, right_shifted, output_weight_t, output_bias, summed, gates, out,
):
    """One colour group of a Diagonal BiLSTM layer (§3.2) at position ``col``: the left-to-right LSTM's
    gates are its 1 x 1 input-to-state term plus the 2 x 1 state-to-state conv of the state ``above``
    and the one to the left (``side``), ``bias`` holding both convs' biases; its update writes the
    group's states, and ``out`` gets the group's output maps of their sum with the right-to-left
    states shifted down a row."""
    for b in range(features.shape[0]):
        for f in range(in_start, in_stop):
            row_inputs[b, col, f] = features[b, f]
    set_rows(gates, bias)
    accumulate_product(above, above_weight_t, gates)
    accumulate_product(side, side_weight_t, gates)
    accumulate_product(features, input_weight_t, gates)
    conditioned(gates, condition, condition_weight_t, condition_bias)
    lstm_update(
        gates, side_cell[:, state_start:state_stop],
        hidden[:, col, state_start:state_stop], cell[:, col, state_start:state_stop],
    )
    for b in range(summed.shape[0]):
        for f in range(summed.shape[1]):
            summed[b, f] = hidden[b, col, f] + right_shifted[b, col, f]
    set_rows(out, output_bias)
    accumulate_product(summed, output_weight_t, out)


@compiled
def diagonal_scan(gates, offset, first, step, side_weight_t, initial_hidden, initial_cell, hidden, cell, scratch):
    """One direction of a Diagonal BiLSTM (§3.2) along the current row, all colour groups: positions
    ``first``, ``first + step``, ... (one per column of ``gates``), each from its input and above-row
    gates ``gates[:, col - offset]`` (B, 4h) plus the side tap of the state at ``col - step`` (the
    learned initial state outside the row), then the LSTM update into ``hidden`` and ``cell``."""
    width = hidden.shape[1]
    for i in range(gates.shape[1]):
        col = first + i * step
        side = col - step
        set_rows(scratch, gates[:, col - offset])
        if 0 <= side < width:
            accumulate_product(hidden[:, side], side_weight_t, scratch)
            lstm_update(scratch, cell[:, side], hidden[:, col], cell[:, col])
        else:
            accumulate_product(initial_hidden, side_weight_t, scratch)
            lstm_update(scratch, initial_cell, hidden[:, col], cell[:, col])


@compiled
def pixelcnn_group(
    features, reduce_weight_t, reduce_bias, buffer, col, pad, kernel_width, conv_weight_t, conv_bias,
    condition, condition_weight_t, condition_bias,
    hidden, start, stop, expand_weight_t, expand_bias, reduced, out,
):
    """One colour group of a PixelCNN block (§3.5) at current-row position ``col``: ReLU, 1 x 1 (stored
    as the k x k conv's input), ReLU, the masked k x k conv, ReLU (into ``hidden[:, start:stop]``),
    1 x 1 into ``out``."""
    set_rows(reduced, reduce_bias)
    accumulate_relu_product(features, reduce_weight_t, reduced)
    for b in range(reduced.shape[0]):
        for f in range(reduced.shape[1]):
            buffer[b, buffer.shape[1] - 1, pad + col, start + f] = max(reduced[b, f], 0.0)
    group = hidden[:, start:stop]
    set_rows(group, conv_bias)
    accumulate_patch_product(buffer, col, kernel_width, conv_weight_t, group)
    conditioned(group, condition, condition_weight_t, condition_bias)
    for b in range(group.shape[0]):
        for f in range(group.shape[1]):
            group[b, f] = max(group[b, f], 0.0)
    set_rows(out, expand_bias)
    accumulate_product(hidden, expand_weight_t, out)


@compiled
def residual_group(out, features, start, stop, residual, following, skip, skip_weight_t, skip_bias, skip_sum, first):
    """After a block: its next input's group maps ``following[:, start:stop]`` (``out`` plus the block
    input when ``residual``, §3.5), and with ``skip`` the group's share of the skip sum: ``skip_sum``
    is set (``first``) or increased by the learnable 1 x 1 skip of ``following``."""
    for b in range(out.shape[0]):
        for f in range(stop - start):
            following[b, start + f] = out[b, f] + features[b, start + f] if residual else out[b, f]
    if skip:
        if first:
            set_rows(skip_sum, skip_bias)
        else:
            for b in range(skip_sum.shape[0]):
                for f in range(skip_sum.shape[1]):
                    skip_sum[b, f] += skip_bias[0, f]
        accumulate_product(following, skip_weight_t, skip_sum)


@compiled
def head_group(source, weight_t, bias, hidden, start, stop, logits_weight_t, logits_bias, logits):
    """The output head (Table 1) for colour group g: ``hidden[:, start:stop] = relu(relu(source) @ W +
    b)``, then channel g's ``logits (B, L)`` from ``hidden``'s groups <= g."""
    group = hidden[:, start:stop]
    set_rows(group, bias)
    accumulate_relu_product(source, weight_t, group)
    for b in range(group.shape[0]):
        for f in range(group.shape[1]):
            group[b, f] = max(group[b, f], 0.0)
    set_rows(logits, logits_bias)
    accumulate_product(hidden, logits_weight_t, logits)
