"""How a run trains (optimizer, schedule, precision, checkpoint cadence), as plain JSON-able data."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Iterable

import torch

from ..plain_data import PlainData

OPTIMIZERS = ("rmsprop", "adam")
SCHEDULES = ("constant", "cosine")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
MAX_LR = 1e6  # beyond it Adam's update overflows float32 before the weights even become infinite


def check_precision(precision: str) -> None:
    """A ValueError naming the choices unless ``precision`` is one of them."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")


@dataclass(frozen=True)
class TrainSettings(PlainData):
    """Training hyper-parameters. The paper trains with RMSProp (§5: "RMSProp gives best convergence
    performance") and batch size 16 on MNIST and CIFAR-10; it publishes no learning rates.

    ``batch_size`` is per process under torchrun. ``max_steps`` (optional) ends the run early.
    ``schedule``: "constant" or "cosine" decay to zero over the run, after ``warmup_steps`` of linear
    warm-up. ``grad_clip``: largest global gradient norm (0 disables clipping). ``precision``: "auto"
    (bf16 autocast for training on a CPU with AMX, fp32 otherwise and for all evaluation), "fp32",
    "bf16" or "fp16" (CUDA only); :func:`autocast_dtype` gives the reasons.
    ``ema``: decay of an exponential moving average of the weights (Polyak averaging) that validation,
    checkpoints and previews use instead of the raw weights (0: off).
    A checkpoint is written every ``checkpoint_every`` steps and at the end of every epoch; the mean
    training loss is reported every ``log_every`` steps; the preview hook runs every
    ``preview_every`` steps (0: never). Validation scores ``eval_batch_size`` images per forward pass
    (None: 32 on a CPU, 64 on a GPU, :func:`.evaluation.default_eval_batch_size`). ``init``: the checkpoint
    (a file or a bundled model's name) whose weights a new run starts from, to fine-tune it (None: fresh
    weights).
    """

    KIND = "training settings"

    optimizer: str = "rmsprop"
    lr: float = 1e-3
    batch_size: int = 16
    epochs: int = 10
    max_steps: int | None = None
    schedule: str = "constant"
    warmup_steps: int = 0
    grad_clip: float = 1.0
    precision: str = "auto"
    ema: float = 0.0
    checkpoint_every: int = 500
    log_every: int = 10
    preview_every: int = 0
    eval_batch_size: int | None = None
    seed: int = 0
    init: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        check_precision(self.precision)
        for name in ("batch_size", "epochs", "checkpoint_every", "log_every", "eval_batch_size"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {self.max_steps}")
        if not 0 < self.lr <= MAX_LR:
            raise ValueError(f"lr must be a positive number up to {MAX_LR:g}, got {self.lr}")
        if not math.isfinite(self.grad_clip):
            raise ValueError(f"grad_clip must be a finite number (0 disables clipping), got {self.grad_clip}")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema must be at least 0 (off) and below 1, got {self.ema}")
        for name in ("grad_clip", "warmup_steps", "preview_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    def steps_per_epoch(self, training_images: int) -> int:
        """Optimizer steps of one pass over ``training_images`` (a process's share under torchrun)."""
        if not isinstance(training_images, numbers.Integral) or training_images < 1:
            raise ValueError(f"a run needs a whole number of training images, at least one; got {training_images!r}")
        return math.ceil(training_images / self.batch_size)

    def total_steps(self, training_images: int) -> int:
        """The steps a run over ``training_images`` takes: ``epochs`` passes, or ``max_steps`` if fewer."""
        total = self.epochs * self.steps_per_epoch(training_images)
        return min(total, self.max_steps) if self.max_steps else total


@dataclass(frozen=True)
class FineTuning:
    """How a run that starts from trained weights (``init``) steps by default: Adam at a fifth of the
    default rate, after a warm-up. The defaults of a fresh model undo a trained one at once: from the
    bundled fashion-mnist (2.77 bits/dim on 20 of its test images), two RMSProp steps at 1e-3 left 21.5
    (`pixelrnn train PICS --init fashion-mnist --max-steps 2` on 20 grey PNGs, then `pixelrnn eval`); with
    these defaults the same command leaves 2.7691 (from 2.7699)."""

    optimizer: str = "adam"
    lr: float = 2e-4
    warmup_steps: int = 100


FINE_TUNING = FineTuning()


def learning_rate(settings: TrainSettings, step: int, total_steps: int) -> float:
    """The learning rate for (0-based) ``step`` of ``total_steps``: a pure function of the step, so a
    resumed run follows the same schedule."""
    if step < settings.warmup_steps:
        return settings.lr * (step + 1) / settings.warmup_steps
    if settings.schedule == "constant":
        return settings.lr
    span = max(1, total_steps - settings.warmup_steps)
    progress = min(1.0, (step - settings.warmup_steps) / span)
    return settings.lr * 0.5 * (1.0 + math.cos(math.pi * progress))


def make_optimizer(settings: TrainSettings, parameters: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """RMSProp (the paper's choice) or Adam at ``settings.lr``."""
    if settings.optimizer == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=settings.lr)
    return torch.optim.Adam(parameters, lr=settings.lr)


def cpu_has_amx() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (AMX tiles, Intel Xeon since Sapphire
    Rapids); torch only answers through ``torch.cpu._is_amx_tile_supported``, so other builds say no."""
    return bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())


def autocast_dtype(precision: str, device: torch.device, training: bool = False) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device`` when ``training`` (else when evaluating);
    None means plain fp32.

    "auto": bf16 only where it was measured to pay. On a CPU with AMX, bf16 for training: at equal
    CPU time it takes ~1.4x the steps and reached a lower test NLL than fp32 (docs/benchmarks.md,
    "Recipe comparison"). fp32 everywhere else: on other CPUs; for evaluation, where bf16 moves the
    figures (by ~2e-4 bits/dim on a CPU, 1.1e-3 on a GPU); and on CUDA GPUs: run op by op, bf16 trained
    the CIFAR-10 presets and the ~390k-parameter models at 0.82-1.01x fp32's images/s on an H200; replayed
    as CUDA graphs, as the trainer now runs them, the presets at 1.08-1.27x, but whether that buys a lower
    test NLL per GPU-second is not measured (docs/benchmarks.md, "GPU", "Training steps replayed as CUDA
    graphs"). "bf16" also works on CPUs; "fp16" (with loss scaling) needs CUDA.
    """
    check_precision(precision)
    if precision == "auto":
        return torch.bfloat16 if training and device.type == "cpu" and cpu_has_amx() else None
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type != "cuda":
        raise ValueError(f"precision {precision!r} needs a CUDA device; on {device} choose fp32 or bf16")
    return torch.float16
