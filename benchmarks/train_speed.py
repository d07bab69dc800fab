"""Training speed of each architecture, timed interleaved in one run: images/s of a full training step
(forward, the trainer's objective -- the mean negative ``log_likelihood`` --, backward, Adam step) and
each model's ratio to `pixelcnn`'s.

    OMP_NUM_THREADS=2 PYTHONPATH=. python benchmarks/train_speed.py --batch 16 64 --reps 5
    OMP_NUM_THREADS=2 PYTHONPATH=. python benchmarks/train_speed.py --cifar --batch 16 --reps 3 --steps 1

Models at ~equal parameter count (~390k, 7 layers, 28x28x1, 256 levels), or with ``--cifar`` the paper's
CIFAR-10 presets (32x32x3). Every repetition times each model for ``--steps`` steps in turn, so a load
change on a shared machine hits all of them alike; the table gives medians over repetitions of images/s
and of the per-repetition ratio to pixelcnn. ``--scans fast reference`` also times the plain per-step
recurrences (the paper's definition) next to the fused scans; ``--precisions fp32 bf16`` also trains under bf16 autocast;
``--eval`` also times a forward pass under inference_mode at ``--eval-batch``. Models run channels-last, with freed memory
kept for reuse, as the trainer runs them; ``--layouts contiguous channels_last`` also times the plain (B, C, H, W) layout.
``--device cuda`` times on a CUDA GPU instead (synchronized before each clock read), with the objective's forward and
backward replayed as CUDA graphs as the trainer runs them; ``--cuda-graphs on off`` also times them run op by op.
"""
from __future__ import annotations

import argparse
import functools
import statistics
import time

import torch

import pixelrnn_core as prc
from pixelrnn_core.models.scans import SCANS, select_scan
from pixelrnn_core.training.cuda_graphs import GraphedObjective
from pixelrnn_core.training.layout import to_fast_layout

print = functools.partial(print, flush=True)  # noqa: A001 - progress on a busy machine
EQUAL_PARAMETERS = {
    "pixelcnn": dict(arch="pixelcnn", hidden=56),
    "row_lstm": dict(arch="row_lstm", hidden=36),
    "diagonal_bilstm": dict(arch="diagonal_bilstm", hidden=37),
}
SMALL = dict(channels=1, levels=256, layers=7, out_hidden=32)
CIFAR = {"pixelcnn": "cifar10-pixelcnn", "row_lstm": "cifar10-row-lstm", "diagonal_bilstm": "cifar10-diagonal-bilstm"}


def build(arch: str, cifar: bool, scan: str, layout: str) -> tuple[torch.nn.Module, tuple[int, int, int]]:
    """The model of ``arch`` at the benchmark's size in ``layout`` and its (C, H, W) input shape."""
    torch.manual_seed(0)
    if cifar:
        model, shape = prc.build_model(CIFAR[arch]), (3, 32, 32)
    else:
        settings = EQUAL_PARAMETERS[arch]
        model, shape = prc.build_model(settings["arch"], hidden=settings["hidden"], **SMALL), (1, 28, 28)
    model = select_scan(model, scan)
    return (to_fast_layout(model) if layout == "channels_last" else model), shape


def variants(
    arch: str, scans: list[str], precisions: list[str], layouts: list[str], graphs: list[str]
) -> list[tuple[str, str, str, str, str]]:
    """(name, scan, precision, layout, graphs) of each variant of ``arch`` to time; pixelcnn has no scan."""
    scans = scans[:1] if arch == "pixelcnn" else scans

    def name(*parts: tuple[str, list[str]]) -> str:
        return "/".join([arch] + [value for value, choices in parts if len(choices) > 1])

    return [
        (name((scan, scans), (precision, precisions), (layout, layouts), (f"graphs-{graph}", [f"graphs-{g}" for g in graphs])),
         scan, precision, layout, graph)
        for scan in scans
        for precision in precisions
        for layout in layouts
        for graph in graphs
    ]


def autocast(precision: str, device: torch.device):
    """bf16 autocast for "bf16" (without its weight cache, which CUDA graphs do not allow, as the trainer runs it)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16", cache_enabled=device.type != "cuda")


def objective(model: torch.nn.Module, graphs: str):
    """What a training step differentiates: log p of a batch, replayed as CUDA graphs where ``graphs`` is "on"."""
    return GraphedObjective(model) if graphs == "on" else model.log_likelihood


def synchronize(device: torch.device) -> None:
    """Wait for the work queued on ``device`` (a CUDA GPU runs it asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds_since(started: float, device: torch.device) -> float:
    """Wall seconds since ``started``, once the work queued on ``device`` is done."""
    synchronize(device)
    return time.perf_counter() - started


def train_rate(log_likelihood, optimizer, batch: torch.Tensor, steps: int, precision: str) -> float:
    """Images per second of ``steps`` training steps on ``batch``."""
    synchronize(batch.device)
    started = time.perf_counter()
    for _ in range(steps):
        with autocast(precision, batch.device):
            loss = -log_likelihood(batch).float().mean()  # the trainer's objective
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return steps * len(batch) / seconds_since(started, batch.device)


def eval_rate(model, batch: torch.Tensor, precision: str) -> float:
    """Images per second of one forward pass under inference_mode."""
    synchronize(batch.device)
    started = time.perf_counter()
    with torch.inference_mode(), autocast(precision, batch.device):
        model(batch)
    return len(batch) / seconds_since(started, batch.device)


def median_table(rates: dict[str, list[float]], reference: str) -> list[tuple[str, float, float]]:
    """(name, median images/s, median per-repetition ratio to ``reference``) for every name."""
    rows = []
    for name, values in rates.items():
        ratios = [v / r for v, r in zip(values, rates[reference])]
        rows.append((name, statistics.median(values), statistics.median(ratios)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=list(EQUAL_PARAMETERS))
    parser.add_argument("--batch", nargs="+", type=int, default=[16, 64])
    parser.add_argument("--cifar", action="store_true", help="the paper's CIFAR-10 presets instead (slow)")
    parser.add_argument("--scans", nargs="+", choices=SCANS, default=["fast"], help="recurrent implementations to time")
    parser.add_argument("--precisions", nargs="+", choices=("fp32", "bf16"), default=["fp32"])
    parser.add_argument("--layouts", nargs="+", choices=("channels_last", "contiguous"), default=["channels_last"])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per model and repetition")
    parser.add_argument("--eval", action="store_true", help="also time inference_mode forward passes")
    parser.add_argument("--eval-batch", type=int, default=256)
    parser.add_argument("--device", type=torch.device, default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--cuda-graphs", nargs="+", choices=("on", "off"), default=["on"], help="on CUDA: replay steps as graphs")
    args = parser.parse_args()
    graphs = args.cuda_graphs if args.device.type == "cuda" else ["off"]
    prc.keep_freed_memory()  # as the `pixelrnn` command does
    print(f"torch {torch.__version__} on {args.device}, {torch.get_num_threads()} threads, scans {args.scans}, {args.precisions}, "
          f"load {open('/proc/loadavg').read().split()[:3]}")
    models, precision, objectives = {}, {}, {}
    for arch in args.archs:
        for name, scan, variant_precision, layout, graph in variants(arch, args.scans, args.precisions, args.layouts, graphs):
            model, shape = build(arch, args.cifar, scan, layout)
            models[name], precision[name] = (model.to(args.device), shape), variant_precision
            objectives[name] = objective(models[name][0], graph)
    optimizers = {arch: torch.optim.Adam(model.parameters(), lr=1e-4) for arch, (model, _) in models.items()}
    generator = torch.Generator().manual_seed(0)
    for batch_size in args.batch:
        batches = {arch: torch.randint(0, model.config.levels, (batch_size, *shape), generator=generator).to(args.device)
                   for arch, (model, shape) in models.items()}
        eval_batches = {arch: torch.randint(0, model.config.levels, (args.eval_batch, *shape), generator=generator).to(args.device)
                        for arch, (model, shape) in models.items()}
        for arch in models:  # warm-up: allocator, oneDNN primitives, recording the CUDA graphs
            train_rate(objectives[arch], optimizers[arch], batches[arch], 1, precision[arch])
        rates: dict[str, list[float]] = {}
        for _ in range(args.reps):
            for arch, (model, _) in models.items():
                rates.setdefault(arch, []).append(
                    train_rate(objectives[arch], optimizers[arch], batches[arch], args.steps, precision[arch]))
                if args.eval:
                    rates.setdefault(f"{arch} eval", []).append(eval_rate(model, eval_batches[arch], precision[arch]))
        reference = next(iter(rates))
        print(f"\nbatch {batch_size}, {args.reps} interleaved repetitions of {args.steps} steps, load "
              f"{open('/proc/loadavg').read().split()[:3]}")
        print(f"| model | parameters | images/s (median) | ratio to {reference} (median) |")
        print("|---|---|---|---|")
        for name, rate, ratio in median_table(rates, reference):
            parameters = sum(p.numel() for p in models[name.split()[0]][0].parameters())
            print(f"| {name} | {parameters:,} | {rate:.1f} | {ratio:.2f}× |")
        if args.eval:
            for arch in models:
                own = [e / t for e, t in zip(rates[f"{arch} eval"], rates[arch])]
                print(f"{arch}: eval (batch {args.eval_batch}) / training images/s: {statistics.median(own):.1f}×")


if __name__ == "__main__":
    main()
