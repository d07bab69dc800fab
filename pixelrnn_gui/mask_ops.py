"""Mask geometry: growing and shrinking a mask by one pixel (8-neighbourhood), as image editors do, and
the outline around it."""
from __future__ import annotations

import numpy as np


def grown(mask: np.ndarray) -> np.ndarray:
    """``mask`` (H, W) with every pixel next to it (also diagonally) added."""
    height, width = mask.shape
    padded = np.pad(mask, 1)
    out = np.zeros_like(mask)
    for dr in (0, 1, 2):
        for dc in (0, 1, 2):
            out |= padded[dr : dr + height, dc : dc + width]
    return out


def shrunk(mask: np.ndarray) -> np.ndarray:
    """``mask`` without its edge pixels (those next to an unmasked pixel; the image border is no edge)."""
    height, width = mask.shape
    padded = np.pad(~mask, 1)
    return ~grown(padded)[1 : height + 1, 1 : width + 1]


def outline(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The edges between masked and unmasked pixels (or the image's border) as line segments ``(x0, y0,
    x1, y1)`` in pixel-corner coordinates (pixel ``(row, col)`` spans ``col..col + 1``, ``row..row + 1``),
    adjacent edges along a line merged into one segment."""
    padded = np.pad(mask, 1)
    above = padded[:-1, 1:-1] != padded[1:, 1:-1]  # (H + 1, W): an edge along y = row, over column col
    left = padded[1:-1, :-1] != padded[1:-1, 1:]  # (H, W + 1): an edge along x = col, beside row row
    segments = [(start, y, end, y) for y, start, end in runs(above)]
    segments += [(x, start, x, end) for x, start, end in runs(left.T)]
    return segments


def runs(edges: np.ndarray) -> list[tuple[int, int, int]]:
    """``(line, start, end)`` of every run of True along the rows of ``edges``, ``end`` exclusive."""
    steps = np.diff(np.pad(edges, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    lines, starts = np.nonzero(steps == 1)
    ends = np.nonzero(steps == -1)[1]
    return list(zip(lines.tolist(), starts.tolist(), ends.tolist()))
