"""The LSTM maths shared by the Row LSTM and the Diagonal BiLSTM (paper §3.1-3.2, eq. 3).

Both take tensors or numpy arrays (see :mod:`.nonlinearities`): ``forward`` and the cached engine run
the same functions.
"""
from __future__ import annotations

from .nonlinearities import Array, sigmoid, tanh
from .weights import Layer


def input_gates(
    x: Array,
    condition: Array | None,
    image: Array | None,
    input_to_state: Layer,
    condition_to_state: Layer | None,
    image_to_state: Layer | None,
) -> Array:
    """An LSTM layer's input-to-state gate maps: the masked convolution ``input_to_state`` of the block
    input ``x``, plus the 1x1 of a multi-scale model's conditioning maps (§3.6) and of the scaled image
    where the layer has them (only the Diagonal BiLSTM's right-to-left direction reads the image)."""
    gates = input_to_state(x)
    if condition_to_state is not None:
        gates = gates + condition_to_state(condition)
    if image_to_state is not None:
        gates = gates + image_to_state(image)
    return gates


def lstm_update(gates: Array, cell: Array) -> tuple[Array, Array]:
    """One LSTM step from pre-activation gates stacked ``[o, f, i, g]`` along dim 1.

    ``c = sigmoid(f) * c_prev + sigmoid(i) * tanh(g)`` and ``h = sigmoid(o) * tanh(c)``. Every gate holds
    the same colour grouping as the state, and the update is elementwise, so colours stay separate.
    """
    n = cell.shape[1]
    o_f_i = sigmoid(gates[:, : 3 * n])
    cell = o_f_i[:, n : 2 * n] * cell + o_f_i[:, 2 * n :] * tanh(gates[:, 3 * n :])
    return o_f_i[:, :n] * tanh(cell), cell
