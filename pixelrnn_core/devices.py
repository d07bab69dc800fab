"""The devices pixelrnn runs on: the CPU, and CUDA GPUs this machine has."""
from __future__ import annotations

import torch


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
