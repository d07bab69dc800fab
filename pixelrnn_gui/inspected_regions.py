"""What the inspector ran the model on: the whole of a small image, or, in a large one, the windows a
fill of its mask runs on (one around each group of holes, ``prc.completion_windows``: two small holes far
apart are two small regions, not one spanning the photo), each with its inspection of the image and of
the image before the last fill."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import pixelrnn_core as prc

from .document import Box


def inspection_boxes(mask: np.ndarray, whole_limit: int) -> list[Box]:
    """The regions to inspect: the whole image when it has at most ``whole_limit`` pixels, else the
    window around each group of holes of ``mask`` (none without a mask)."""
    height, width = mask.shape
    if height * width <= whole_limit:
        return [Box(0, 0, height, width)]
    return [Box.of(window) for window in prc.completion_windows(mask)]


@dataclass(frozen=True)
class InspectedRegion:
    """One inspected box: the inspection of the image there, of the image before the last fill (None
    without a fill), and how many masked pixels it holds."""

    box: Box
    result: prc.Inspection
    original: prc.Inspection | None
    masked_pixels: int

    def holds(self, row: int, col: int) -> bool:
        return self.box.top <= row < self.box.bottom and self.box.left <= col < self.box.right


@dataclass(frozen=True)
class InspectedRegions:
    """The inspected regions of an image of ``shape`` (H, W); ``whole``: one region, the whole image."""

    regions: list[InspectedRegion]
    shape: tuple[int, int]

    @property
    def whole(self) -> bool:
        return [r.box for r in self.regions] == [Box(0, 0, *self.shape)]

    def at(self, row: int, col: int) -> tuple[InspectedRegion, int, int] | None:
        """The region holding image pixel (row, col) and the pixel's place in it, or None."""
        for region in self.regions:
            if region.holds(row, col):
                return region, row - region.box.top, col - region.box.left
        return None

    def image_map(self, values_of: Callable[[InspectedRegion], np.ndarray | None]) -> np.ndarray | None:
        """(H, W) float32 of ``values_of(region)`` (h, w) placed at each region, NaN elsewhere; None if
        a region has none."""
        values = np.full(self.shape, np.nan, dtype=np.float32)
        for region in self.regions:
            part = values_of(region)
            if part is None:
                return None
            values[region.box.slices] = part
        return values

    def summary(self) -> str:
        """The bits/dim of the regions (weighted by their sub-pixels) and of their masked pixels."""
        sizes = [r.result.surprisal_bits.size for r in self.regions]
        bits = sum(r.result.bits_per_dim * size for r, size in zip(self.regions, sizes)) / sum(sizes)
        count = len(self.regions)
        name = f"The {count} regions around the mask" if count > 1 else "Image" if self.whole else "Region around the mask"
        text = f"{name}: {bits:.3f} bits/dim"
        masked = [r for r in self.regions if r.result.masked_bits_per_dim is not None and r.masked_pixels]
        if masked:
            counts = [r.masked_pixels for r in masked]
            masked_bits = sum(r.result.masked_bits_per_dim * count for r, count in zip(masked, counts)) / sum(counts)
            text += f" · masked region: {masked_bits:.3f} bits/dim"
        return text
