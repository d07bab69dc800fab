"""The Inspector's memory of what it inspected: browsing a fill's candidates shows each one's figures
again without running the model, and the image before the fill, which no candidate changes, is
inspected once.

An inspection depends on the model, the device, the pixels (as the model's levels) and the mask, so
those make the key; the pixels and the mask enter as a digest. The oldest results are forgotten once
their predicted distributions (``probs``, (H, W, C, L) float32 each) pass a memory budget.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np
import torch

import pixelrnn_core as prc

BUDGET_BYTES = 512 * 2**20


def inspection_key(model: torch.nn.Module, device: str, levels: np.ndarray, mask: np.ndarray | None) -> Hashable:
    """What an inspection of ``levels`` (H, W, C) under ``mask`` by ``model`` on ``device`` depends on."""
    digest = hashlib.blake2b(levels.tobytes(), digest_size=16)
    digest.update(b"-" if mask is None else np.packbits(mask).tobytes())
    return id(model), str(device), levels.shape, digest.hexdigest()


class InspectionCache:
    """Inspections by :func:`inspection_key`, the most recently used kept within ``budget`` bytes."""

    def __init__(self, budget: int = BUDGET_BYTES) -> None:
        self.budget = budget
        self._results: OrderedDict[Hashable, prc.Inspection] = OrderedDict()

    def get(self, key: Hashable) -> prc.Inspection | None:
        result = self._results.get(key)
        if result is not None:
            self._results.move_to_end(key)
        return result

    def put(self, key: Hashable, result: prc.Inspection) -> None:
        self._results[key] = result
        self._results.move_to_end(key)
        while len(self._results) > 1 and sum(r.probs.nbytes for r in self._results.values()) > self.budget:
            self._results.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (another model, or another image)."""
        self._results.clear()
