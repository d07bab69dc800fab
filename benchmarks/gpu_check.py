"""The CUDA path in one call (under 8 minutes on one GPU): tests, training speed, completion agreement and speed.

    PYTHONPATH=. python benchmarks/gpu_check.py                      # on a machine with a CUDA GPU
    PYTHONPATH=. python benchmarks/gpu_check.py --device cpu --quick # exercises this script on a CPU

1. the tests that need CUDA (``pytest -k cuda``);
2. one training step (forward, backward, Adam) of each CIFAR-10 preset (32x32x3) in fp32 and in bf16
   autocast, interleaved, as images/s (fused recurrent scans; on CUDA the objective's forward and backward
   replayed as CUDA graphs, as the trainer runs them);
3. for each architecture: the cached engine on the device fills the same image as the naive engine
   (same seed), and the device's logits equal the CPU's to float tolerance;
4. the bottom-half fill of a 32x32 RGB image with each CIFAR-10 preset at K = 1 and K = 64 candidates;
5. where a fill's time goes on the device, for the bottom row of the same image: kernel time against
   wall time, and kernel launches per sub-pixel (launch overhead dominates when kernels keep the
   device busy for a small part of the wall time);
6. the trainer itself (``prc.new_run`` on the device, as `pixelrnn train` runs it) on a folder of random
   28x28 grey images, each architecture at ~390k parameters, batch 16: the images/s it reports and how
   long its completion previews (on the CPU) hold it up.

A stage that raises is reported with its traceback and counted as failed; the later stages still run.
``--stages`` runs only the named ones (say, on a second call after one stage failed).

Without a CUDA device and without ``--device cpu`` it says so and exits 0. ``--quick`` shrinks every
model and image so the whole script runs in seconds (a check of the script, not a measurement).
"""
from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import pixelrnn_core as prc
from pixelrnn_core.training.cuda_graphs import GraphedObjective

print = functools.partial(print, flush=True)  # noqa: A001 - progress of a long call
PRESETS = ("cifar10-pixelcnn", "cifar10-row-lstm", "cifar10-diagonal-bilstm")
QUICK = dict(hidden=8, layers=2, out_hidden=16)
STAGES = ("tests", "training", "agreement", "fill", "profile", "trainer")
TRAINER_HIDDEN = {"pixelcnn": 56, "row_lstm": 36, "diagonal_bilstm": 37}  # ~390k parameters at 7 layers


def preset(name: str, quick: bool) -> torch.nn.Module:
    torch.manual_seed(0)
    return prc.build_model(name, **(QUICK if quick else {}))


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def cuda_tests() -> bool:
    """Run the tests that need CUDA; True when they pass."""
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/core", "-q", "-k", "cuda", "-p", "no:cacheprovider"])
    return result.returncode == 0


def training_speed(device: torch.device, size: int, batch: int, reps: int, quick: bool) -> None:
    """Images/s of one training step per preset and precision, medians of interleaved repetitions."""
    runs = {}
    for name in PRESETS:
        for precision in ("fp32", "bf16"):
            model = preset(name, quick).to(device)
            objective = GraphedObjective(model) if device.type == "cuda" else model.log_likelihood
            runs[name, precision] = (objective, torch.optim.Adam(model.parameters(), lr=1e-4))
    batch_levels = torch.randint(0, 256, (batch, 3, size, size), device=device)
    rates: dict[tuple[str, str], list[float]] = {key: [] for key in runs}
    for rep in range(reps + 1):
        for (name, precision), (objective, optimizer) in runs.items():
            synchronize(device)
            started = time.perf_counter()
            # without the weight cache, which CUDA graphs do not allow (as the trainer runs it)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16", cache_enabled=device.type != "cuda"):
                loss = -objective(batch_levels).float().mean()  # the trainer's objective
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            synchronize(device)
            if rep:  # the first repetition warms up
                rates[name, precision].append(batch / (time.perf_counter() - started))
    print(f"\ntraining step, batch {batch}, {size}x{size}x3, median of {reps}")
    print("| preset | fp32 images/s | bf16 images/s | bf16 / fp32 |")
    print("|---|---|---|---|")
    for name in PRESETS:
        fp32, bf16 = (statistics.median(rates[name, p]) for p in ("fp32", "bf16"))
        print(f"| {name} | {fp32:.1f} | {bf16:.1f} | {bf16 / fp32:.2f}× |")


def engines_agree(device: torch.device) -> bool:
    """Cached on the device == naive on the device (same seed); device logits == CPU logits."""
    agree = True
    rng = np.random.default_rng(0)
    image = rng.integers(0, 16, (6, 5, 3), dtype=np.uint8)
    mask = np.zeros((6, 5), dtype=bool)
    mask[3:] = True
    for arch in ("pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale"):
        torch.manual_seed(0)
        model = prc.build_model(arch, channels=3, levels=16, hidden=8, layers=2, out_hidden=16, upsample_features=4).eval()
        cached = prc.complete(model, image, mask, samples=2, seed=3, engine="cached", device=device)
        naive = prc.complete(model, image, mask, samples=2, seed=3, engine="naive", device=device)
        x = torch.from_numpy(image).permute(2, 0, 1)[None].long()
        with torch.inference_mode():
            cpu_logits = model(x)
            device_logits = model.to(device)(x.to(device)).cpu()
        model.cpu()
        same_image = np.array_equal(cached, naive)
        logit_error = (device_logits - cpu_logits).abs().max().item()
        print(f"{arch}: cached == naive on {device}: {same_image}; max |logit {device} - cpu| = {logit_error:.2e}")
        agree &= same_image and logit_error < 1e-3
    return agree


def fill_speed(device: torch.device, size: int, quick: bool) -> None:
    """Seconds to fill the bottom half of a size x size RGB image, K = 1 and 64, cached engine."""
    compile_cpu_steps()
    image = np.zeros((size, size, 3), dtype=np.uint8)
    mask = np.zeros((size, size), dtype=bool)
    mask[size // 2 :] = True
    print(f"\nbottom-half fill of {size}x{size}x3, cached engine on {device}")
    print("| preset | K | seconds | candidate sub-pixels/s |")
    print("|---|---|---|---|")
    for name in PRESETS:
        model = preset(name, quick).eval()
        for samples in (1, 64):
            started = time.perf_counter()
            prc.complete(model, image, mask, samples=samples, device=device)
            seconds = time.perf_counter() - started
            subpixels = samples * mask.sum() * 3
            print(f"| {name} | {samples} | {seconds:.2f} | {subpixels / seconds:,.0f} |")


def fill_profile(device: torch.device, size: int, quick: bool) -> None:
    """Wall time (unprofiled), kernel time and kernel launches of a K = 1 fill of the bottom row per
    preset on ``device`` (one row keeps the profiler's own bookkeeping of the events short)."""
    compile_cpu_steps()
    image = np.zeros((size, size, 3), dtype=np.uint8)
    mask = np.zeros((size, size), dtype=bool)
    mask[size - 1] = True
    subpixels = int(mask.sum()) * 3
    activities = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA] if device.type == "cuda" else [])
    print(f"\nwhere a K = 1 fill's time goes on {device}: the bottom row, {subpixels} sub-pixels")
    print("| preset | wall s | kernel s | kernel / wall | kernels per sub-pixel |")
    print("|---|---|---|---|---|")
    for name in PRESETS:
        model = preset(name, quick).eval()
        prc.complete(model, image, mask, device=device)  # warm-up
        started = time.perf_counter()
        prc.complete(model, image, mask, device=device)
        synchronize(device)
        wall = time.perf_counter() - started
        with torch.profiler.profile(activities=activities) as profile:
            prc.complete(model, image, mask, device=device)
            synchronize(device)
        kernels = [e for e in profile.events() if e.device_type == torch.autograd.DeviceType.CUDA]
        kernel_seconds = sum(e.device_time_total for e in kernels) / 1e6
        print(f"| {name} | {wall:.3f} | {kernel_seconds:.3f} | {kernel_seconds / wall:.2f} | {len(kernels) / subpixels:.0f} |")


def trainer_speed(device: torch.device, quick: bool) -> None:
    """Images/s that the trainer reports for each architecture (the first logging window, with the
    start and the recording of the CUDA graphs, apart) and the seconds each preview took."""
    compile_cpu_steps()  # the previews fill on the CPU
    count, steps, every = (40, 6, 2) if quick else (4000, 300, 50)
    with tempfile.TemporaryDirectory() as folder:
        images = Path(folder) / "images"
        images.mkdir()
        rng = np.random.default_rng(0)
        for index in range(count):
            Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(images / f"{index:04d}.png")
        spec = prc.DatasetSpec(str(images), size=28, channels=1, levels=256)
        data = prc.load_training_data(spec)
        print(f"\ntrainer on {device}: {len(data.train)} random 28x28 grey images, batch 16, {steps} steps")
        print("| model | images/s, first window | images/s, later windows (median) | previews, s each |")
        print("|---|---|---|---|")
        for arch, hidden in TRAINER_HIDDEN.items():
            config = prc.ModelConfig(arch, channels=1, levels=256, **(QUICK if quick else {"hidden": hidden, "layers": 7}))
            settings = prc.TrainSettings(batch_size=16, max_steps=steps, log_every=every, preview_every=steps // 3, checkpoint_every=steps)
            trainer = prc.new_run(Path(folder) / f"run-{arch}", spec, config, settings, device, prc.preview_hook(data), data=data)
            rates, previews, last = [], [], time.perf_counter()
            for event in trainer.events():
                now = time.perf_counter()
                if isinstance(event, prc.TrainStep):
                    rates.append(event.images_per_second)
                elif isinstance(event, prc.Preview):
                    previews.append(now - last)
                last = now
            later = statistics.median(rates[1:]) if len(rates) > 1 else float("nan")
            print(f"| {arch} | {rates[0]:.1f} | {later:.1f} | {', '.join(f'{p:.2f}' for p in previews)} |")


def compile_cpu_steps() -> None:
    """The CPU's compiled completion steps, so that no compile is timed."""
    for _ in prc.prepare_completion():
        pass


def stage(name: str, run: Callable[[], bool | None]) -> bool:
    """Run one stage; False (after printing its traceback) if it raised or reported a failure."""
    try:
        return run() is not False
    except Exception:  # noqa: BLE001 - a failed stage must not hide the later stages' figures
        traceback.print_exc()
        print(f"stage '{name}' FAILED")
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="tiny models and images: checks the script only")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES), help="the stages to run (default: all)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: nothing to check here (--device cpu --quick exercises the script on the CPU)")
        return 0
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"torch {torch.__version__} on {name}{' (quick)' if args.quick else ''}")
    size = 8 if args.quick else 32
    batch, reps = (2, 1) if args.quick else (args.batch, args.reps)
    stages = {
        "tests": lambda: cuda_tests() if device.type == "cuda" else None,
        "training": lambda: training_speed(device, size, batch, reps, args.quick),
        "agreement": lambda: engines_agree(device),
        "fill": lambda: fill_speed(device, size, args.quick),
        "profile": lambda: fill_profile(device, size, args.quick),
        "trainer": lambda: trainer_speed(device, args.quick),
    }
    results = [stage(name, stages[name]) for name in args.stages]  # every stage runs, whatever the others did
    passed = all(results)
    print("\nall checks passed" if passed else "\nSOME CHECKS FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
