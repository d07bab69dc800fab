"""What a training run reports while it runs: plain dataclasses, one per kind of event."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StepDone:
    """One optimizer step finished: ``step`` of the run's ``total_steps`` (for a progress bar that moves
    every step; the loss comes in :class:`TrainStep` every ``log_every`` steps)."""

    step: int
    total_steps: int


@dataclass(frozen=True)
class TrainStep:
    """Mean training loss over the last ``log_every`` steps, and the speed so far."""

    step: int
    total_steps: int
    epoch: int
    bits_per_dim: float
    learning_rate: float
    images_per_second: float
    eta_seconds: float


@dataclass(frozen=True)
class Validation:
    """Validation loss at the end of an epoch; ``best`` if it is the lowest of the run so far."""

    step: int
    epoch: int
    bits_per_dim: float
    nats_per_image: float
    best: bool


@dataclass(frozen=True)
class CheckpointSaved:
    """A checkpoint file was written: ``kind`` is "step", "last" or "best"."""

    step: int
    path: str
    kind: str


@dataclass(frozen=True)
class Preview:
    """Whatever the preview hook returned at ``step`` (e.g. sample images)."""

    step: int
    result: Any


@dataclass(frozen=True)
class Paused:
    """The run is paused after ``step`` and waits for ``resume()`` or ``cancel()``."""

    step: int


@dataclass(frozen=True)
class Finished:
    """The run ended: ``reason`` is "completed", "cancelled" or "diverged" (the weights became NaN or
    infinite; nothing after the last checkpoint was saved); everything up to ``step`` is saved."""

    step: int
    epoch: int
    reason: str
    best_bits_per_dim: float | None
