"""Where completion and inspection run: the device, and a frozen copy of the model on it."""
from __future__ import annotations

import copy

import torch


def resolve_device(model: torch.nn.Module, device: str | torch.device | None) -> torch.device:
    """``device`` as a torch.device (default: the model's), or a clear ValueError."""
    if device is None:
        return next(model.parameters()).device
    return parse_device(device)


def parse_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch.device that this machine has, or a clear ValueError."""
    try:
        device = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"unknown device {str(device)!r}: {error}") from None
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device {str(device)!r} is not supported: pixelrnn runs on 'cpu' or 'cuda'")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} is not available: this torch has no usable CUDA GPU")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device {str(device)!r} is not available: this machine has {torch.cuda.device_count()} CUDA GPU(s)")
    return device


def frozen_copy(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """An evaluation-mode copy of ``model`` on ``device``: training the original meanwhile (say, in
    another thread) neither changes it nor is disturbed by it."""
    with torch.no_grad():
        return copy.deepcopy(model).to(device).eval()
