"""The two completion engines behind one interface: logits of one sub-pixel given the image so far.

``naive`` runs the model's full forward pass for every sub-pixel (the reference); ``cached`` reuses every
state already computed (docs/design.md, "Incremental evaluation"). For the same image both give the
same logits, to rounding.
"""
from __future__ import annotations

from typing import Protocol

import torch

from ..models.multiscale import MultiScalePixelRNN
from ..models.pixel_model import PixelModel
from .cached import CachedMultiScale, CachedPixelModel

ENGINES = ("naive", "cached")


class Engine(Protocol):
    def logits(self, x: torch.Tensor, row: int, col: int, channel: int) -> torch.Tensor:
        """Logits (B, L) of sub-pixel (row, col, channel) of ``x`` (B, C, H, W) given those before it."""

    def reset(self) -> None:
        """Forget cached states (after earlier sub-pixels of ``x`` were changed)."""


class NaiveEngine:
    """A full forward pass per sub-pixel."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model

    def logits(self, x: torch.Tensor, row: int, col: int, channel: int) -> torch.Tensor:
        return self.model(x)[:, :, channel, row, col]

    def reset(self) -> None:
        """Nothing is cached."""


def make_engine(name: str, model: torch.nn.Module, batch: int, height: int, width: int) -> Engine:
    """The engine ``name`` ("naive" or "cached") for a (batch, C, height, width) image."""
    if name == "naive":
        return NaiveEngine(model)
    if name != "cached":
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    if isinstance(model, MultiScalePixelRNN):
        return CachedMultiScale(model, batch, height, width)
    if isinstance(model, PixelModel):
        return CachedPixelModel(model, batch, height, width)
    raise ValueError(f"no cached engine for {type(model).__name__}; use engine='naive'")
