"""A fused LSTM scan with a hand-written backward pass, shared by the Row LSTM and the Diagonal BiLSTM.

Both recurrences (paper §3.1, §3.2) visit the image in steps (a row; a diagonal) and update every
position of a step at once from the hidden states of the step before: ``gates = input gates +
window @ W`` with ``window`` the ``k`` neighbouring previous states of the position, then the LSTM update
of eq. 3. Run step by step under autograd that is ~15 tiny recorded ops per step and as many in the
backward pass; on a CPU their per-op cost, not the arithmetic, dominates. Here a whole scan is one
autograd node: each step is one matrix product and its gate nonlinearities (torch), then the rest of the
update written into preallocated buffers, unrecorded; everything that does not depend on the recurrence
(the weight gradient) is computed for all steps at once. On a CPU in float32 that rest is one compiled
call per step each way (:mod:`.scan_kernels`); elsewhere (CUDA, float64) it is ~8 torch ops per step
forward and ~10 backward.

Layout. ``D`` independent scans (directions) run side by side as a batch of matrix products. Inputs and
outputs are *packed*: step ``t`` owns rows ``[offset, offset + batch * size)`` of the packed tensors,
ordered (image, position). The states a step reads live in a slot buffer ``(D, batch, slots, h)``:
position ``m`` of a step with first slot ``start`` reads the ``k`` slots ``start + m ...`` and writes its
new state to slot ``start + m + write``. Slots in ``[first_boundary, last_boundary)`` start out holding the
learned initial state (``h0``, ``c0``); any other slot starts at zero (the convolution's padding).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch

from . import scan_kernels


@dataclass(frozen=True)
class ScanPlan:
    """Where each step's positions sit in the packed tensors and in the slot buffer (module docstring).

    ``pack``: for every direction and packed row ``(D, N)``, its index in the flattened ``(batch, H, W)``
    image grid; ``unpack`` the inverse permutations; both None for row order (step = image row), which is
    a plain transpose.
    ``steps``: per step ``(offset, start, size)``.
    """

    pack: torch.Tensor | None
    unpack: torch.Tensor | None
    steps: tuple[tuple[int, int, int], ...]
    batch: int
    slots: int
    kernel: int
    write: int
    boundary: tuple[int, int]


def packing(
    batch: int, height: int, width: int, positions: list[list[tuple[int, int]]], device: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Packed-row orders (step by step, image by image, the step's ``(row, column)`` positions in turn)
    ``(2, N)`` and their inverses: the first over the image, the second over its mirror image (column
    ``c`` read as ``W - 1 - c``), so a direction that scans the mirrored image reads and writes the maps
    in place of flipped copies. Plans are cached, so these are never inference tensors, even when the
    first forward pass at a size runs under ``torch.inference_mode`` (training may follow at that size)."""
    with torch.inference_mode(False):
        grid = torch.arange(batch * height * width).view(batch, height, width)
        pack = torch.stack([
            torch.cat([image[:, [r for r, _ in step], [c for _, c in step]].reshape(-1) for step in positions])
            for image in (grid, grid.flip(2))
        ])
        return pack.to(device), torch.argsort(pack, dim=1).to(device)


def steps_of(batch: int, starts_and_sizes: list[tuple[int, int]]) -> tuple[tuple[int, int, int], ...]:
    offsets, offset = [], 0
    for start, size in starts_and_sizes:
        offsets.append((offset, start, size))
        offset += batch * size
    return tuple(offsets)


@lru_cache(maxsize=64)
def row_plan(batch: int, height: int, width: int, kernel: int) -> ScanPlan:
    """Row LSTM (§3.1): step ``r`` is image row ``r``; its ``k x 1`` window is centred on the column,
    zero-padded at the row's ends; every column starts from ``h0, c0``."""
    pad = kernel // 2
    return ScanPlan(
        None, None, steps_of(batch, [(0, width)] * height),
        batch, width + 2 * pad, kernel, pad, (pad, pad + width),
    )


@lru_cache(maxsize=64)
def diagonal_plan(batch: int, height: int, width: int, device: str) -> ScanPlan:
    """Diagonal LSTM (§3.2): step ``d`` is the diagonal ``r + c = d`` (a column of the skewed map). Slot
    ``r + 1`` holds row ``r``'s latest state and slot 0 the state above the image, so the 2-slot window
    of row ``r`` is (above, left). Slots of rows not reached yet hold ``h0, c0``: left of the image.
    Two directions: the second scans the mirrored image (the BiLSTM's right-to-left LSTM)."""
    positions, starts_and_sizes = [], []
    for d in range(height + width - 1):
        first, last = max(0, d - width + 1), min(d, height - 1)
        positions.append([(r, d - r) for r in range(first, last + 1)])
        starts_and_sizes.append((first, last + 1 - first))
    return ScanPlan(
        *packing(batch, height, width, positions, device), steps_of(batch, starts_and_sizes),
        batch, height + 1, 2, 1, (0, height + 1),
    )


def rows_in_order(x: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """``x[d].index_select(0, order[d])`` for every direction ``d`` of ``x`` (D, N, F) (``order``: (D, N)),
    as one gather of whole rows of the flattened (D * N, F) tensor: torch's index_select along dim 1
    copies row by row, ~5x slower for F = 148."""
    directions, rows, features = x.shape
    flat = (order + torch.arange(0, directions * rows, rows, device=order.device)[:, None]).reshape(-1)
    return x.reshape(-1, features).index_select(0, flat).view(directions, rows, features)


class PermutedRows(torch.autograd.Function):
    """:func:`rows_in_order` for a permutation ``order``, whose gradient is the inverse gather (much
    cheaper than the accumulating scatter autograd would use for a general index)."""

    @staticmethod
    def forward(ctx, x, order, inverse):
        ctx.save_for_backward(inverse, order)
        return rows_in_order(x, order)

    @staticmethod
    def backward(ctx, grad):
        inverse, order = ctx.saved_tensors
        return PermutedRows.apply(grad, inverse, order), None, None


# Plans whose index tensors a recorded CUDA graph reads by address (a training step replayed as a graph,
# :mod:`pixelrnn_core.training.cuda_graphs`): kept for the life of the process, whatever the cache drops.
PLANS_IN_GRAPHS: list[ScanPlan] = []


def packed(maps: torch.Tensor, plan: ScanPlan) -> torch.Tensor:
    """Maps (D, batch, F, H, W) as packed rows (D, N, F); in row order, a (D, H, batch, W, F) view of them
    whose positions run in the packed order (:class:`LSTMScan` copies them into its buffer)."""
    directions, _, features = maps.shape[:3]
    if plan.pack is None:
        return maps.permute(0, 3, 1, 4, 2)
    if maps.is_cuda and torch.cuda.is_current_stream_capturing() and all(kept is not plan for kept in PLANS_IN_GRAPHS):
        PLANS_IN_GRAPHS.append(plan)
    return PermutedRows.apply(maps.permute(0, 1, 3, 4, 2).reshape(directions, -1, features), plan.pack, plan.unpack)


def unpacked(rows: torch.Tensor, plan: ScanPlan, height: int, width: int) -> torch.Tensor:
    """Packed rows (D, N, F) as maps (D, batch, F, H, W)."""
    directions, _, features = rows.shape
    if plan.pack is None:
        return rows.view(directions, height, plan.batch, width, features).permute(0, 2, 4, 1, 3)
    maps = PermutedRows.apply(rows, plan.unpack, plan.pack)
    return maps.view(directions, plan.batch, height, width, features).permute(0, 1, 4, 2, 3)


def slot_view(buffer: torch.Tensor, start: int, size: int, width: int = 1) -> torch.Tensor:
    """``(D, batch, size, width * h)``: for each of ``size`` positions the ``width`` slots from ``start + m``."""
    directions, batch, slots, hidden = buffer.shape
    return buffer.as_strided(
        (directions, batch, size, width * hidden),
        (batch * slots * hidden, slots * hidden, hidden, 1),
        buffer.storage_offset() + start * hidden,
    )


def initial_slots(plan: ScanPlan, initial: torch.Tensor) -> torch.Tensor:
    """The slot buffer before the first step: ``initial`` (D, h) on the boundary slots, zeros elsewhere."""
    directions, hidden = initial.shape
    buffer = initial.new_zeros(directions, plan.batch, plan.slots, hidden)
    first, last = plan.boundary
    buffer[:, :, first:last] = initial[:, None, None, :]
    return buffer


def runs_compiled_steps(tensor: torch.Tensor) -> bool:
    """Whether a scan over ``tensor`` runs its element-wise steps compiled (:mod:`.scan_kernels`): float32
    on a CPU. Other dtypes and devices run them as torch ops."""
    return tensor.device.type == "cpu" and tensor.dtype == torch.float32


def step_activations(windows, weight, activations, offset: int, end: int) -> torch.Tensor:
    """``activations[:, offset:end]``, holding the step's input gates, becomes its ``[sigmoid(o), sigmoid(f),
    sigmoid(i), tanh(g)]`` of ``input gates + windows @ weight`` (one matrix product and two nonlinearities
    over the whole step, in place)."""
    h = activations.shape[2] // 4
    step = activations[:, offset:end].baddbmm_(windows[:, offset:end], weight)
    torch.sigmoid(step[..., : 3 * h], out=step[..., : 3 * h])
    torch.tanh(step[..., 3 * h :], out=step[..., 3 * h :])
    return step


def forward_steps_as_ops(weight, plan, windows, activations, previous_cells, tanh_cells, hidden, slots):
    """The scan's steps forward as torch ops, for any device and dtype."""
    hidden_slots, cell_slots = slots
    directions, _, four_h = activations.shape
    h = four_h // 4
    for offset, start, size in plan.steps:
        end = offset + plan.batch * size
        shape = (directions, plan.batch, size, -1)
        windows[:, offset:end].view(shape).copy_(slot_view(hidden_slots, start, size, plan.kernel))
        o, f, i, g = step_activations(windows, weight, activations, offset, end).view(shape).split(h, dim=3)
        previous = previous_cells[:, offset:end].view(shape)
        previous.copy_(slot_view(cell_slots, start + plan.write, size))
        cell = torch.addcmul(i * g, f, previous)
        tanh_cell = torch.tanh(cell, out=tanh_cells[:, offset:end].view(shape))
        state = torch.mul(o, tanh_cell, out=hidden[:, offset:end].view(shape))
        slot_view(cell_slots, start + plan.write, size).copy_(cell)
        slot_view(hidden_slots, start + plan.write, size).copy_(state)


def tanh_scales(activations: torch.Tensor) -> torch.Tensor:
    """Per gate column of ``[o, f, i, g]``: 1/2 for the three sigmoid gates, 1 for ``g``. The compiled steps
    take ``sigmoid(x) = (1 + tanh(x / 2)) / 2``, so that one ``tanh`` over a step's contiguous gates does
    all four nonlinearities (~13 against ~48 us for a sigmoid and a tanh on the strided parts of 896 x 96
    gates, docs/benchmarks.md)."""
    h = activations.shape[-1] // 4
    scales = activations.new_full((4 * h,), 0.5)
    scales[3 * h :] = 1
    return scales


def forward_steps_compiled(weight, plan, windows, activations, previous_cells, tanh_cells, hidden, slots):
    """The same steps with the element-wise work compiled (float32 on a CPU). ``activations`` and
    ``weight`` come scaled by :func:`tanh_scales`: each step's gates are ``tanh`` of it, and
    :func:`.scan_kernels.forward_step` turns the first three into sigmoids."""
    arrays = [t.detach().numpy() for t in (windows, activations, previous_cells, tanh_cells, hidden, *slots)]
    window_array, activation_array, previous_array, tanh_array, hidden_array, hidden_slots, cell_slots = arrays
    for offset, start, size in plan.steps:
        end = offset + plan.batch * size
        scan_kernels.move_windows(window_array, offset, hidden_slots, start, size, plan.kernel, False)
        torch.tanh_(activations[:, offset:end].baddbmm_(windows[:, offset:end], weight))
        scan_kernels.forward_step(
            activation_array, previous_array, tanh_array, hidden_array, hidden_slots, cell_slots,
            offset, start + plan.write, size,
        )


def backward_steps_as_ops(grad_hidden, weight, plan, activations, previous_cells, tanh_cells, grad_gates, slots):
    """The steps' gradients in reverse as torch ops (see :class:`LSTMScan`)."""
    hidden_slots, cell_slots = slots
    directions, _, four_h = activations.shape
    h = four_h // 4
    o, f, i, g = activations.split(h, dim=2)
    # d cell / d hidden of the same step, and d activation / d pre-activation times each gate's partner
    cell_from_hidden = o * (1 - tanh_cells.square())
    factors = torch.cat(
        [tanh_cells * o * (1 - o), previous_cells * f * (1 - f), g * i * (1 - i), i * (1 - g.square())], dim=2
    )
    weight_t = weight.transpose(1, 2)
    for offset, start, size in reversed(plan.steps):
        end = offset + plan.batch * size
        shape = (directions, plan.batch, size, -1)
        from_next = slot_view(hidden_slots, start + plan.write, size)
        grad_h = grad_hidden[:, offset:end].view(shape) + from_next
        from_next.zero_()
        cell_slot = slot_view(cell_slots, start + plan.write, size)
        grad_c = torch.addcmul(cell_slot, grad_h, cell_from_hidden[:, offset:end].view(shape))
        step_grad = grad_gates[:, offset:end].view(shape)
        step_factors = factors[:, offset:end].view(shape)
        torch.mul(step_factors[..., :h], grad_h, out=step_grad[..., :h])
        torch.mul(
            step_factors[..., h:].unflatten(3, (3, h)), grad_c.unsqueeze(3), out=step_grad[..., h:].unflatten(3, (3, h))
        )
        torch.mul(grad_c, f[:, offset:end].view(shape), out=cell_slot)
        grad_window = torch.bmm(grad_gates[:, offset:end], weight_t).view(shape)
        for tap in range(plan.kernel):
            slot_view(hidden_slots, start + tap, size).add_(grad_window[..., tap * h : (tap + 1) * h])


def backward_steps_compiled(grad_hidden, weight, plan, activations, previous_cells, tanh_cells, grad_gates, slots):
    """The same in reverse with the element-wise work compiled; each step's window gradient reaches the
    slots just before the step before it reads them."""
    arrays = [t.numpy() for t in (grad_gates, grad_hidden, activations, previous_cells, tanh_cells, *slots)]
    grad_array, grad_hidden_array, activation_array, previous_array, tanh_array, hidden_slots, cell_slots = arrays
    weight_t = weight.transpose(1, 2)
    pending = None  # the last step's window gradient and where it goes: (array, 0, slots, start, size)
    for offset, start, size in reversed(plan.steps):
        if pending is not None:
            scan_kernels.move_windows(*pending, plan.kernel, True)
        scan_kernels.backward_step(
            grad_array, grad_hidden_array, activation_array, previous_array, tanh_array, hidden_slots, cell_slots,
            offset, start + plan.write, size,
        )
        end = offset + plan.batch * size
        pending = (torch.bmm(grad_gates[:, offset:end], weight_t).numpy(), 0, hidden_slots, start, size)
    scan_kernels.move_windows(*pending, plan.kernel, True)


class LSTMScan(torch.autograd.Function):
    """Hidden states (D, N, h) of the scan described by ``plan`` (module docstring).

    ``gates``: packed input gates (D, N, 4h) stacked ``[o, f, i, g]`` (or any (D, ..., 4h) view whose
    positions run in the packed order, see :func:`packed`); ``bias``: the state-to-state bias (D, 4h),
    added as the gates are copied into the steps' buffer; ``weight``: the state-to-state matrix
    (D, k * h, 4h) acting on a position's window of k slots; ``h0``, ``c0``: (D, h).
    Each step is one matrix product and the element-wise LSTM update, compiled in both passes where
    :func:`runs_compiled_steps` and torch ops elsewhere; everything that does not depend on the
    recurrence (the weight gradient) is computed for all steps at once.
    """

    @staticmethod
    def forward(ctx, gates, bias, weight, h0, c0, plan: ScanPlan):
        directions, four_h = gates.shape[0], gates.shape[-1]
        rows, h = gates[0].numel() // four_h, four_h // 4
        slots = (initial_slots(plan, h0), initial_slots(plan, c0))
        windows = gates.new_empty(directions, rows, plan.kernel * h)
        activations = gates.new_empty(directions, rows, four_h)
        bias = bias.view(directions, *[1] * (gates.dim() - 2), four_h)
        ctx.gates_shape = gates.shape
        previous_cells, tanh_cells, hidden = (gates.new_empty(directions, rows, h) for _ in range(3))
        state = (previous_cells, tanh_cells, hidden, slots)
        if runs_compiled_steps(gates):
            scales = tanh_scales(activations)
            torch.addcmul(bias * scales, gates, scales, out=activations.view(gates.shape))
            forward_steps_compiled(weight * scales, plan, windows, activations, *state)
        else:
            torch.add(gates, bias, out=activations.view(gates.shape))
            forward_steps_as_ops(weight, plan, windows, activations, *state)
        ctx.plan = plan
        ctx.save_for_backward(weight, windows, activations, previous_cells, tanh_cells)
        return hidden

    @staticmethod
    def backward(ctx, grad_hidden):
        plan: ScanPlan = ctx.plan
        weight, windows, activations, previous_cells, tanh_cells = ctx.saved_tensors
        directions, _, four_h = activations.shape
        grad_hidden = grad_hidden.contiguous()
        grad_gates = torch.empty_like(activations)
        slots = tuple(grad_hidden.new_zeros(directions, plan.batch, plan.slots, four_h // 4) for _ in range(2))
        steps = backward_steps_compiled if runs_compiled_steps(activations) else backward_steps_as_ops
        steps(grad_hidden, weight, plan, activations, previous_cells, tanh_cells, grad_gates, slots)
        hidden_slots, cell_slots = slots
        first, last = plan.boundary
        grad_weight = torch.bmm(windows.transpose(1, 2), grad_gates)
        grad_h0 = hidden_slots[:, :, first:last].sum(dim=(1, 2))
        grad_c0 = cell_slots[:, :, first:last].sum(dim=(1, 2))
        return grad_gates.view(ctx.gates_shape), grad_gates.sum(dim=1), grad_weight, grad_h0, grad_c0, None


def lstm_scan(
    gates: torch.Tensor, bias: torch.Tensor, weight: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, plan: ScanPlan
) -> torch.Tensor:
    """:class:`LSTMScan` in float32 or float64 (never under autocast: the cell state sums over the whole
    scan and the per-step products are small, so reduced precision would lose accuracy, not time)."""
    dtype = torch.promote_types(gates.dtype, torch.float32)
    with torch.autocast(gates.device.type, enabled=False):
        return LSTMScan.apply(*(t.to(dtype) for t in (gates, bias, weight, h0, c0)), plan)
