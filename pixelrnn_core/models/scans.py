"""Which implementation the recurrent blocks run: the fused scans (default) or the plain reference.

The reference is the paper's definition step by step (§3.1, §3.2) with autograd recording every op; the
fused scans compute the same function with far fewer, larger ops and a hand-written backward pass.
"""
from __future__ import annotations

from torch import nn

SCANS = ("fast", "reference")


def select_scan(model: nn.Module, scan: str) -> nn.Module:
    """Make every recurrent block of ``model`` run ``scan`` ("fast" or "reference"); returns ``model``."""
    if scan not in SCANS:
        raise ValueError(f"scan must be one of {', '.join(SCANS)}, got {scan!r}")
    for module in model.modules():
        if hasattr(module, "scan"):
            module.scan = scan
    return model
