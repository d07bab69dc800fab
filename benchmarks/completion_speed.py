"""Naive vs cached completion speed at the paper's CIFAR-10 sizes (32x32 RGB, 256 levels).

For each architecture (presets cifar10-pixelcnn, cifar10-row-lstm, cifar10-diagonal-bilstm; random
weights, which cost the same as trained ones) and each number of candidates K, this fills the bottom
half of a 32x32 RGB image (16 x 32 x 3 = 1536 sub-pixels per candidate):

* cached: the whole bottom half for K candidates in one batch, timed from the first sub-pixel to the
  last (it includes bringing the known top half up to date);
* naive: a full forward pass per sub-pixel, far too slow to run to the end on a CPU, so only
  ``--naive-subpixels`` sub-pixels are timed (after one untimed warm-up pass per architecture) and its
  fill time is extrapolated from that rate -- every naive step costs the same full pass. For K above
  ``--naive-batch`` the naive engine is timed with that many candidates and its throughput (candidate
  sub-pixels per second) is taken to hold at K (naive cost grows at least linearly with the batch);
  such rows are marked with '*'.

The cached engine's compiled per-pixel steps are made ready (``prc.prepare_completion``) before any
timing, as the app does while its window opens. Rates are candidate sub-pixels per second (K x sub-pixels / s), so batches compare directly. Each
timing is taken ``--repeat`` times (a fresh job each time) and the median is printed, with the spread
(min-max of the cached fill) beside it; the machine's load average is printed before and after.

    python benchmarks/completion_speed.py [--device cpu|cuda] [--samples 1 64] [--naive-subpixels 2] [--repeat 3]
"""
from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import time

import numpy as np
import torch

import pixelrnn_core as prc

PRESETS = ("cifar10-pixelcnn", "cifar10-row-lstm", "cifar10-diagonal-bilstm")
SIZE = 32


def bottom_half_job(model, samples: int, engine: str, device: str) -> prc.CompletionJob:
    image = np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3)).astype(np.uint8)
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[SIZE // 2 :] = True
    return prc.CompletionJob(model, image, mask, samples=samples, seed=0, engine=engine, device=device)


def timed_steps(job: prc.CompletionJob, limit: int | None) -> tuple[int, float]:
    """Decide up to ``limit`` sub-pixels (all if None); (how many, seconds)."""
    start = time.perf_counter()
    count = sum(1 for _ in itertools.islice(job.run(), limit))
    return count, time.perf_counter() - start


def median_run(repeat: int, run) -> tuple[float, list[float]]:
    """The median and all values of ``run()`` called ``repeat`` times."""
    values = [run() for _ in range(repeat)]
    return statistics.median(values), values


def load_average() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--samples", type=int, nargs="+", default=[1, 64], help="candidates per batch (default 1 64)")
    parser.add_argument("--naive-subpixels", type=int, default=2, help="sub-pixels timed for the naive engine")
    parser.add_argument("--naive-batch", type=int, default=8, help="most candidates the naive engine is timed with")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    parser.add_argument("--repeat", type=int, default=3, help="timings per figure; the median is printed")
    args = parser.parse_args()

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}, device {args.device}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"bottom half of a {SIZE}x{SIZE} RGB image, 256 levels; naive timed over {args.naive_subpixels} sub-pixels; "
        f"median of {args.repeat} runs; {load_average()}"
    )
    print(
        f"{'preset':<25}{'K':>4}{'naive cand-sub-px/s':>21}{'cached cand-sub-px/s':>22}{'cached/naive':>14}"
        f"{'cached fill s':>15}{'(min-max)':>14}{'naive fill s (extrap.)':>24}"
    )
    for _ in prc.prepare_completion():  # compile or load the cached engine's compiled steps, untimed
        pass
    for preset in args.presets:
        torch.manual_seed(0)
        model = prc.build_model(preset).eval()
        timed_steps(bottom_half_job(model, 1, "naive", args.device), 1)  # warm-up: sets up the kernels
        for samples in args.samples:
            total = bottom_half_job(model, samples, "cached", args.device).total
            cached_seconds, all_seconds = median_run(
                args.repeat, lambda: timed_steps(bottom_half_job(model, samples, "cached", args.device), None)[1]
            )
            naive_samples = min(samples, args.naive_batch)

            def naive_rate_once() -> float:
                count, seconds = timed_steps(bottom_half_job(model, naive_samples, "naive", args.device), args.naive_subpixels)
                return naive_samples * count / seconds

            naive_rate, _ = median_run(args.repeat, naive_rate_once)
            cached_rate = samples * total / cached_seconds
            mark = "*" if naive_samples < samples else " "
            spread = f"{min(all_seconds):.2f}-{max(all_seconds):.2f}"
            print(
                f"{preset:<25}{samples:>4}{naive_rate:>20.3f}{mark}{cached_rate:>22.1f}{cached_rate / naive_rate:>14.0f}"
                f"{cached_seconds:>15.2f}{spread:>14}{samples * total / naive_rate:>24.0f}",
                flush=True,
            )
    print(load_average())


if __name__ == "__main__":
    main()
