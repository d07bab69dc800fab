"""Speed of the fused LSTM scan alone: its steps compiled (numba, what a CPU runs in float32) against
the same steps as torch ops (what CUDA and float64 run), timed interleaved in one run.

    OMP_NUM_THREADS=2 PYTHONPATH=. python benchmarks/scan_speed.py --reps 5

Each case is one scan (``LSTMScan``) of random float32 packed gates at a model's size: the Row LSTM's
rows or the Diagonal BiLSTM's diagonals (two directions), forward under ``no_grad`` and forward +
backward. Every repetition times each case's two kinds of steps in turn; the table gives medians of
milliseconds per call. The torch-op steps are chosen by replacing ``fused_scan.runs_compiled_steps``
for the duration of their timing (the library picks by device and dtype only).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator

import torch

from pixelrnn_core.models import fused_scan

CASES = [  # (scan, batch, side, h)
    ("row", 16, 28, 36),
    ("row", 64, 28, 36),
    ("row", 16, 32, 128),
    ("diagonal", 16, 28, 37),
    ("diagonal", 64, 28, 37),
    ("diagonal", 16, 32, 128),
]


@contextlib.contextmanager
def steps_as_torch_ops(enabled: bool) -> Iterator[None]:
    """Run the scan's steps as torch ops (``enabled``) or as the library chooses."""
    chosen = fused_scan.runs_compiled_steps
    if enabled:
        fused_scan.runs_compiled_steps = lambda tensor: False
    try:
        yield
    finally:
        fused_scan.runs_compiled_steps = chosen


def scan_call(scan: str, batch: int, side: int, h: int) -> tuple[Callable[[], None], Callable[[], None]]:
    """(forward, forward + backward) of one scan at this size on random inputs."""
    torch.manual_seed(0)
    if scan == "row":
        plan, directions = fused_scan.row_plan(batch, side, side, 3), 1
    else:
        plan, directions = fused_scan.diagonal_plan(batch, side, side, "cpu"), 2
    rows = batch * side * side
    gates = torch.randn(directions, rows, 4 * h, requires_grad=True)
    bias = torch.zeros(directions, 4 * h, requires_grad=True)
    weight = (0.1 * torch.randn(directions, plan.kernel * h, 4 * h)).requires_grad_()
    h0, c0 = (torch.zeros(directions, h, requires_grad=True) for _ in range(2))
    grad = torch.randn(directions, rows, h)

    def forward() -> None:
        with torch.no_grad():
            fused_scan.LSTMScan.apply(gates, bias, weight, h0, c0, plan)

    def forward_backward() -> None:
        fused_scan.LSTMScan.apply(gates, bias, weight, h0, c0, plan).backward(grad)

    return forward, forward_backward


def load() -> list[str]:
    """The machine's load averages over 1, 5 and 15 minutes."""
    return [f"{value:.2f}" for value in os.getloadavg()]


def milliseconds(call: Callable[[], None], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--calls", type=int, default=3, help="calls timed per repetition")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load {load()}")
    times: dict[tuple, list[float]] = {}
    calls = {case: scan_call(*case) for case in CASES}
    for case, (forward, forward_backward) in calls.items():  # compile and warm up
        for as_ops in (False, True):
            with steps_as_torch_ops(as_ops):
                forward(), forward_backward()
    for _ in range(args.reps):
        for case, (forward, forward_backward) in calls.items():
            for as_ops in (False, True):
                with steps_as_torch_ops(as_ops):
                    times.setdefault((case, as_ops, "forward"), []).append(milliseconds(forward, args.calls))
                    times.setdefault((case, as_ops, "both"), []).append(milliseconds(forward_backward, args.calls))
    print(f"\n{args.reps} interleaved repetitions of {args.calls} calls, load {load()}")
    print("| scan | compiled: forward | forward + backward | torch ops: forward | forward + backward |")
    print("|---|---|---|---|---|")
    for case in CASES:
        scan, batch, side, h = case
        cells = [f"{statistics.median(times[(case, as_ops, part)]):.2f}" for as_ops in (False, True) for part in ("forward", "both")]
        print(f"| {scan}, batch {batch}, {side}×{side}, h = {h} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
