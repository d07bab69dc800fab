"""What training maximises: the log-likelihood of every sub-pixel given the ones before it (paper §2,
eq. 2; §5 trains by maximum likelihood).

A model's ``log_likelihood(x)`` gives it at the observed values only. For the paper's softmax that is
the cross-entropy of its scores; for a discretized logistic mixture it evaluates each sub-pixel's
mixture at its value alone instead of at all L levels (K instead of K x L bin masses, most of a
step's time otherwise). Wrapped as a module, it runs under DistributedDataParallel like a forward pass.
"""
from __future__ import annotations

import torch
from torch import nn


class LogLikelihood(nn.Module):
    """``model.log_likelihood`` as a module's forward: levels (B, C, H, W) -> log p (B, C, H, W)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, levels: torch.Tensor) -> torch.Tensor:
        return self.model.log_likelihood(levels)
