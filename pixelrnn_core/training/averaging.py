"""Polyak averaging of the weights as an exponential moving average (EMA): after every optimizer
step the average moves ``1 - decay`` of the way to the current weights. Averaged weights often
score a lower NLL than the last raw ones; torch's ``AveragedModel`` does the bookkeeping."""
from __future__ import annotations

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def weight_average(model: nn.Module, decay: float) -> AveragedModel | None:
    """An EMA of ``model``'s weights with ``decay`` (a copy on the model's device, first updated to
    the weights after the first step), or None when ``decay`` is 0 (averaging off)."""
    if decay == 0:
        return None
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))
