"""Compiled vs numpy per-pixel steps of the cached engine, by number of candidates.

The cached engine runs one colour group of every layer per sub-pixel. For a few candidates these steps
run as compiled calls (``pixelrnn_core/incremental/kernels.py``), one per layer; for more, as numpy
operations whose matrix products (BLAS) read each weight block once for all candidates. This times
both on the same model and the same sub-pixels, for each K, to place ``COMPILED_BATCH_LIMIT``.

Each run builds a fresh engine on a 32x32 RGB image whose top rows are shared by the K candidates (as
in a completion) and asks for the logits of every sub-pixel of the last ``--rows`` rows in order; the
time includes bringing the shared rows up to date. Random weights (the cost does not depend on them).

    python benchmarks/compiled_steps.py [--preset cifar10-row-lstm] [--samples 1 2 4 8 16] [--rows 2] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

import pixelrnn_core as prc
from pixelrnn_core.completion.cached import CachedPixelModel

SIZE = 32


def fill_seconds(model, samples: int, rows: int, compiled: bool) -> float:
    """Seconds to get the logits of every sub-pixel of the last ``rows`` rows for ``samples`` candidates."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (1, 3, SIZE, SIZE), generator=generator).repeat(samples, 1, 1, 1)
    x[:, :, SIZE - rows :] = torch.randint(0, 256, (samples, 3, rows, SIZE), generator=generator)
    engine = CachedPixelModel(model, samples, SIZE, SIZE, compiled=compiled)
    start = time.perf_counter()
    with torch.no_grad():
        for row in range(SIZE - rows, SIZE):
            for col in range(SIZE):
                for channel in range(3):
                    engine.logits(x, row, col, channel)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="cifar10-row-lstm", choices=sorted(prc.PRESETS))
    parser.add_argument("--samples", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--rows", type=int, default=2, help="rows decided per candidate")
    parser.add_argument("--repeat", type=int, default=3, help="timings per figure; the median is printed")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = prc.build_model(args.preset).eval()
    fill_seconds(model, 1, 1, True)  # compile or load the compiled steps before timing
    print(f"{args.preset}, {args.rows} rows of {SIZE}x{SIZE} RGB, torch {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'K':>3}  {'compiled s':>10}  {'numpy s':>8}  numpy/compiled")
    for samples in args.samples:
        compiled = statistics.median(fill_seconds(model, samples, args.rows, True) for _ in range(args.repeat))
        arrays = statistics.median(fill_seconds(model, samples, args.rows, False) for _ in range(args.repeat))
        print(f"{samples:>3}  {compiled:>10.2f}  {arrays:>8.2f}  {arrays / compiled:>6.2f}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
