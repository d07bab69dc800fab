"""Where completion and inspection run: the device, and a frozen copy of the model on it."""
from __future__ import annotations

import copy

import torch

from ..devices import parse_device


def resolve_device(model: torch.nn.Module, device: str | torch.device | None) -> torch.device:
    """``device`` as a torch.device (default: the model's), or a clear ValueError."""
    if device is None:
        return next(model.parameters()).device
    return parse_device(device)


def frozen_copy(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """An evaluation-mode copy of ``model`` on ``device``: training the original meanwhile (say, in
    another thread) neither changes it nor is disturbed by it."""
    with torch.no_grad():
        return copy.deepcopy(model).to(device).eval()
