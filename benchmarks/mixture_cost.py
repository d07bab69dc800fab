"""CPU-seconds of the two outputs (the paper's softmax, PixelCNN++'s logistic mixture), one thread:
fair on a loaded machine.

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/mixture_cost.py

For a PixelCNN of ``--layers`` x ``--hidden`` on a batch of ``--batch`` random ``--size``^2 RGB
images: a training step's forward and backward (``model.log_likelihood``, what the trainer takes),
the scores of all 256 levels without gradients (``model(x)``, what the inspector and the naive
engine take) at each ``--chunks`` size of the mixture's sub-pixel chunks, and a fill of the bottom
half of a random image with 4 candidates (``prc.complete``, the cached engine). Medians of ``--repeat``.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import pixelrnn_core as prc
from pixelrnn_core.models import logistic_mixture
from pixelrnn_core.training.layout import to_fast_layout


def cpu_seconds(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--mixtures", type=int, default=10)
    parser.add_argument("--chunks", type=int, nargs="+", default=[logistic_mixture.SUBPIXELS_PER_CHUNK])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    x = torch.randint(0, 256, (args.batch, 3, args.size, args.size), generator=torch.Generator().manual_seed(0))
    for output in ("softmax", "logistic_mixture"):
        torch.manual_seed(0)
        model = to_fast_layout(prc.build_model(
            "pixelcnn", channels=3, levels=256, hidden=args.hidden, layers=args.layers, out_hidden=args.hidden,
            output=output, mixtures=args.mixtures,
        ))
        parameters = sum(p.numel() for p in model.parameters())
        step = cpu_seconds(lambda: (-model.log_likelihood(x).mean()).backward(), args.repeat)
        print(f"{output}: {parameters:,} parameters; training step (log_likelihood, forward + backward) {step:.3f} CPU-s")
        for chunk in args.chunks if output == "logistic_mixture" else [None]:
            if chunk is not None:
                logistic_mixture.SUBPIXELS_PER_CHUNK = chunk
            with torch.no_grad():
                scores = cpu_seconds(lambda: model(x), args.repeat)
            where = "" if chunk is None else f" in chunks of {chunk} sub-pixels"
            print(f"  scores of all levels (forward, no gradients){where}: {scores:.3f} CPU-s")
        image = np.asarray(x[0].permute(1, 2, 0), dtype=np.uint8)
        mask = np.zeros(image.shape[:2], dtype=bool)
        mask[args.size // 2 :] = True
        prc.complete(model, image[:4, :4], mask[-4:, :4], samples=4)  # compiles or loads the steps first
        fill = cpu_seconds(lambda: prc.complete(model, image, mask, samples=4, seed=0), args.repeat)
        print(f"  fill of the bottom half, 4 candidates: {fill:.3f} CPU-s")


if __name__ == "__main__":
    main()
