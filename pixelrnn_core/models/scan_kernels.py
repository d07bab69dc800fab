"""The element-wise part of each step of the fused LSTM scan as one compiled call (numba), float32 on a CPU.

A step of :mod:`.fused_scan` is one matrix product (``window @ W``) and one ``tanh`` over the step's
contiguous gates, left to torch (the sigmoid gates come scaled by 1/2, so that ``(1 + tanh) / 2`` of them
is their sigmoid), then the rest of the LSTM update of eq. 3 for every position of the step: those
sigmoids, the cell, its tanh, the hidden state, and the copies into and out of the slot buffer. As
torch ops that is ~25 calls per step on tensors of a few thousand numbers, strided by gate, whose fixed
cost took most of a Row LSTM layer's time; here it is one call per step forward (plus one gathering the
step's windows) and one backward (plus one scattering the windows' gradient).

numba calls libm's scalar ``tanhf`` (no vector math library comes with it): 16k of them took ~10× the
time of the whole compiled step. So ``tanh`` here is built on the exponential below: plain arithmetic
that the compiler vectorises, within 2e-7 of the exact value.

Arrays are numpy views of the scan's float32 tensors, laid out as :mod:`.fused_scan` describes: packed
rows ``(D, N, ·)`` and slot buffers ``(D, batch, slots, h)``.
"""
from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.extending import intrinsic

compiled = numba.njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy")
inlined = numba.njit(inline="always", fastmath={"contract"}, error_model="numpy")

LOG2_E = np.float32(1.4426950408889634)
LN2_HIGH = np.float32(0.693145751953125)  # ln 2 split so that k * LN2_HIGH is exact for |k| < 2**11
LN2_LOW = np.float32(1.4286068203094172e-06)
ONE = np.float32(1.0)
TWO = np.float32(2.0)
HALF = np.float32(0.5)
LOWEST, HIGHEST = np.float32(-87.0), np.float32(88.0)
ROUNDING = np.float32(1.5 * 2**23)


@intrinsic
def float_with_bits(typingctx, bits):
    """The float32 whose IEEE-754 bit pattern is the int32 ``bits``."""
    signature = numba.float32(numba.int32)

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.FloatType())

    return signature, codegen


@inlined
def exp_parts(x):
    """``exp(x) = 2**k * (1 + m)`` as ``(2**k, m)``: ``k = round(x / ln 2)``, ``m = e**r - 1`` for the
    remainder ``|r| <= ln 2 / 2`` by its Taylor series to r**8 (error below 2**-30). ``x`` is clamped to
    float32's range first. Rounding adds and subtracts 1.5 * 2**23 (exact in float32 arithmetic, which
    is why the kernels allow the compiler only to fuse multiply-adds, not the rest of fastmath)."""
    x = LOWEST if x < LOWEST else (HIGHEST if x > HIGHEST else x)  # noqa: FURB136 - min() would turn NaN into a number
    k = (x * LOG2_E + ROUNDING) - ROUNDING
    r = (x - k * LN2_HIGH) - k * LN2_LOW
    m = r * (ONE + r * (np.float32(1 / 2) + r * (np.float32(1 / 6) + r * (np.float32(1 / 24) + r * (
        np.float32(1 / 120) + r * (np.float32(1 / 720) + r * (np.float32(1 / 5040) + r * np.float32(1 / 40320))))))))
    return float_with_bits((np.int32(k) + np.int32(127)) * np.int32(1 << 23)), m


@inlined
def tanh(x):
    """``expm1(2x) / (expm1(2x) + 2)``, with ``expm1`` exact near 0 (no cancellation for small x)."""
    scale, m = exp_parts(TWO * x)
    expm1 = m if scale == ONE else scale * (ONE + m) - ONE
    return expm1 / (expm1 + TWO)


@compiled
def move_windows(windows, first_row, hidden_slots, start, size, kernel, into_slots):
    """Between a step's windows (rows ``first_row + b * size + m`` of ``windows (D, rows, kernel * h)``)
    and the slots: position ``m`` of image ``b`` reads (or, ``into_slots``, adds its window's gradient to)
    the ``kernel`` slots from ``start + m``."""
    directions, batch, _, h = hidden_slots.shape
    for d in range(directions):
        for b in range(batch):
            for m in range(size):
                row = first_row + b * size + m
                for tap in range(kernel):
                    for j in range(h):
                        if into_slots:
                            hidden_slots[d, b, start + m + tap, j] += windows[d, row, tap * h + j]
                        else:
                            windows[d, row, tap * h + j] = hidden_slots[d, b, start + m + tap, j]


@compiled
def forward_step(activations, previous_cells, tanh_cells, hidden, hidden_slots, cell_slots, offset, start, size):
    """Eq. 3 for one step whose ``activations`` hold ``[tanh(o / 2), tanh(f / 2), tanh(i / 2), tanh(g)]``:
    turn the first three into the sigmoids of ``o, f, i`` (``(1 + tanh(x / 2)) / 2``), read each position's
    previous cell from slot ``start + m``, write the new cell and hidden state there, and the previous
    cell, ``tanh(cell)`` and the hidden state to the packed outputs. (Each pass touches few arrays, so
    that the compiler vectorises it.)"""
    directions, batch, _, h = hidden_slots.shape
    for d in range(directions):
        for b in range(batch):
            for m in range(size):
                row, slot = offset + b * size + m, start + m
                for j in range(3 * h):
                    activations[d, row, j] = HALF + HALF * activations[d, row, j]
                for j in range(h):
                    previous_cells[d, row, j] = cell_slots[d, b, slot, j]
                for j in range(h):
                    cell_slots[d, b, slot, j] = (activations[d, row, h + j] * previous_cells[d, row, j]
                                                 + activations[d, row, 2 * h + j] * activations[d, row, 3 * h + j])
                for j in range(h):
                    tanh_cells[d, row, j] = tanh(cell_slots[d, b, slot, j])
                for j in range(h):
                    hidden[d, row, j] = activations[d, row, j] * tanh_cells[d, row, j]
                for j in range(h):
                    hidden_slots[d, b, slot, j] = hidden[d, row, j]


@compiled
def backward_step(grad_gates, grad_hidden, activations, previous_cells, tanh_cells, hidden_slots, cell_slots,
                  offset, start, size):
    """The gradient of :func:`forward_step` in reverse: the hidden state's gradient is the output's plus
    what later steps sent to slot ``start + m`` (which is then cleared); the cell's is the slot's plus
    the hidden state's through ``tanh``; write the pre-activation gradients and leave the previous cell's
    gradient (``grad_c * f``) in the cell slot."""
    directions, batch, _, h = hidden_slots.shape
    for d in range(directions):
        for b in range(batch):
            for m in range(size):
                row, slot = offset + b * size + m, start + m
                a, grad = activations[d, row], grad_gates[d, row]
                for j in range(h):
                    o, f, i, g = a[j], a[h + j], a[2 * h + j], a[3 * h + j]
                    tanh_cell = tanh_cells[d, row, j]
                    grad_h = grad_hidden[d, row, j] + hidden_slots[d, b, slot, j]
                    hidden_slots[d, b, slot, j] = 0
                    grad_c = cell_slots[d, b, slot, j] + grad_h * o * (1 - tanh_cell * tanh_cell)
                    grad[j] = grad_h * tanh_cell * o * (1 - o)
                    grad[h + j] = grad_c * previous_cells[d, row, j] * f * (1 - f)
                    grad[2 * h + j] = grad_c * g * i * (1 - i)
                    grad[3 * h + j] = grad_c * i * (1 - g * g)
                    cell_slots[d, b, slot, j] = grad_c * f
