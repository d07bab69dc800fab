"""Evaluation speed of a bundled model against its own training speed, timed interleaved in one run.

    OMP_NUM_THREADS=2 PYTHONPATH=. python benchmarks/eval_speed.py fashion-mnist --train-steps 5 --reps 3

Each repetition times, in turn, ``--train-steps`` training steps (batch 16, Adam on the trainer's
objective, the model's own preprocessing) and one evaluation (``prc.evaluate_images``, as `pixelrnn eval` runs it, freed memory
kept for reuse) of the first ``--images`` test images (all of them unless told) at each ``--eval-batch``
(`pixelrnn eval`'s CPU default unless told); the table gives medians
of images/s and of the per-repetition ratio of evaluation to training images/s (with the lowest and highest
ratio, the host's drift between repetitions). ``--scans fast reference`` also times the
plain per-step recurrences; ``--forms folded model`` also times a PixelCNN scored through the model's own
``log_likelihood`` instead of its folded form (``pixelrnn_core.models.folded_pixelcnn``); a model without a
folded form is timed once, as "model".

It also prints what bounds evaluation on this machine: the multiply-adds of one image's forward pass
through the model's convolutions (as they run: masked rows and columns skipped; an LSTM's scan products
are not counted), the rate the timed evaluations reach on them (the folded form runs ~13 % fewer for the bundled
PixelCNN, so its figure is an effective rate), and the rate of float32 matrix products
of the model's widest 1x1 convolution over a batch of 16 images and of a 2048 x 2048 product.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import statistics
import time
from pathlib import Path
from unittest import mock

import torch

import pixelrnn_core as prc
from pixelrnn_core.data import load_evaluation_data, model_input
from pixelrnn_core.models.folded_pixelcnn import folds
from pixelrnn_core.models.masks import MaskedConv2d
from pixelrnn_core.models.scans import SCANS, select_scan
from pixelrnn_core.training import evaluation
from pixelrnn_core.training.evaluation import default_eval_batch_size, evaluation_spec
from pixelrnn_core.training.layout import to_fast_layout

print = functools.partial(print, flush=True)  # progress on a busy machine
TEST_IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def load_average() -> list[str]:
    """The host's 1-, 5- and 15-minute load averages."""
    return Path("/proc/loadavg").read_text().split()[:3]


def train_rate(model, optimizer, levels: torch.Tensor, steps: int) -> float:
    started = time.perf_counter()
    for _ in range(steps):
        loss = -model.log_likelihood(levels).mean()  # the trainer's objective
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return steps * len(levels) / (time.perf_counter() - started)


def eval_rate(model, images: torch.Tensor, spec, batch: int, form: str) -> float:
    unfolded = mock.patch.object(evaluation, "scoring_form", lambda model, autocast: model)
    with unfolded if form == "model" else contextlib.nullcontext():
        started = time.perf_counter()
        prc.evaluate_images(model, images, spec, batch_size=batch)
        return len(images) / (time.perf_counter() - started)


def forward_flops(model: torch.nn.Module, levels: torch.Tensor) -> float:
    """Floating-point operations (2 per multiply-add) of the convolutions of one image's forward pass."""
    total = 0

    def count(conv, inputs, output) -> None:
        nonlocal total
        rows, columns = conv.convolved_weight().shape[2:] if isinstance(conv, MaskedConv2d) else conv.kernel_size
        total += 2 * output[0].numel() * conv.in_channels // conv.groups * rows * columns

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.inference_mode():
        model(levels[:1])
    for hook in hooks:
        hook.remove()
    return float(total)


def matmul_rate(rows: int, inner: int, columns: int, reps: int = 20) -> float:
    """float32 GFLOP/s of a (rows x inner) @ (inner x columns) product on this machine."""
    a, b = torch.randn(rows, inner), torch.randn(inner, columns)
    for _ in range(3):
        a @ b
    started = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * rows * inner * columns * reps / (time.perf_counter() - started) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a bundled model's name or a checkpoint file")
    parser.add_argument("--data", default=TEST_IMAGES)
    parser.add_argument("--images", type=int, default=None, help="the first N test images (default: all)")
    parser.add_argument("--eval-batch", nargs="+", type=int, default=[default_eval_batch_size(torch.device("cpu"))])
    parser.add_argument("--train-steps", type=int, default=10)
    parser.add_argument("--scans", nargs="+", choices=SCANS, default=["fast"])
    parser.add_argument("--forms", nargs="+", choices=["folded", "model"], default=["folded"])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    prc.keep_freed_memory()  # as the `pixelrnn` command does
    checkpoint = prc.find_checkpoint(args.model)
    spec = evaluation_spec(prc.checkpoint_info(checkpoint), args.data).replace(limit=args.images)
    images, _ = load_evaluation_data(spec)
    levels = model_input(images[:16], spec, torch.Generator().manual_seed(0))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.model} on {len(images)} images, "
          f"load {load_average()}")
    rates: dict[str, list[float]] = {}
    for scan in args.scans:
        model = to_fast_layout(select_scan(prc.load_checkpoint(checkpoint), scan))  # as training and `pixelrnn eval` run it
        trained = copy.deepcopy(model)
        optimizer = torch.optim.Adam(trained.parameters(), lr=1e-4)
        train_rate(trained, optimizer, levels, 1)
        forms = args.forms if folds(model, None) else ["model"]
        for _ in range(args.reps):
            rates.setdefault(f"{scan}: training, batch 16", []).append(train_rate(trained, optimizer, levels, args.train_steps))
            for batch in args.eval_batch:
                for form in forms:
                    rates.setdefault(f"{scan}: eval ({form}), batch {batch}", []).append(eval_rate(model, images, spec, batch, form))
    print(f"\n{args.reps} interleaved repetitions, load {load_average()}")
    flops = forward_flops(model, levels)
    print(f"forward pass: {flops / 1e9:.3f} GFLOP per image in its convolutions")
    print("| timed | images/s (median) | ratio to its training images/s (median, lowest–highest) | convolution GFLOP/s in evaluation |")
    print("|---|---|---|---|")
    for name, values in rates.items():
        training = rates[f"{name.split(':')[0]}: training, batch 16"]
        ratios = [v / t for v, t in zip(values, training)]
        rate = "" if "training" in name else f"{statistics.median(values) * flops / 1e9:.0f}"
        spread = "" if "training" in name else f" ({min(ratios):.2f}–{max(ratios):.2f})"
        print(f"| {name} | {statistics.median(values):.1f} | {statistics.median(ratios):.2f}×{spread} | {rate} |")
    width, pixels = 2 * model.config.hidden, images.shape[2] * images.shape[3]
    print(f"float32 matrix products: ({16 * pixels} x {width}) @ ({width} x {width}) {matmul_rate(16 * pixels, width, width):.0f} "
          f"GFLOP/s, (2048 x 2048) @ (2048 x 2048) {matmul_rate(2048, 2048, 2048):.0f} GFLOP/s")


if __name__ == "__main__":
    main()
