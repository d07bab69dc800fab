"""Image completion: fill the masked sub-pixels of an image with a PixelRNN, one at a time.

The model decides the masked sub-pixels in its generation order (raster, R -> G -> B inside a pixel;
multi-scale: the small image first, §3.6), each drawn from its softmax given everything before it, on a
window around the hole; holes too far apart to reach each other's windows are filled on windows of their
own, one after the other (:func:`.windowing.hole_groups`). Candidates run as one batch. Each is scored by
the log-likelihood of the known pixels after the hole given that candidate, log p(A | B, H_k): rank the
candidates by it, or resample them with weights exp(score) (sampling-importance-resampling), so that
pixels below and right of the hole count (docs/design.md, "Completion with pixels after the hole").
"""
from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..memory import check_completion_memory
from ..models.config import ModelConfig
from ..models.multiscale import MultiScalePixelRNN
from ..pixels.dihedral import transform_array
from .devices import frozen_copy, resolve_device
from .engines import ENGINES
from .orientation import best_orientation, check_orientation, restore, turned_box
from .sampling import choose_values, draw_uniforms
from .window_fill import WindowFill
from .windowing import Window, hole_groups, window_around


# The temperature the app and `pixelrnn complete` fill at unless told otherwise. The library keeps 1
# (a sample of the model's own distribution); at 1 a fill's border is rougher than the photo's (best of
# 4 candidates on 8 held-out photo patches x 4 masks: seam ratio 1.36, at 0.8 1.02; docs/benchmarks.md,
# "Completion quality").
FILL_TEMPERATURE = 0.8


@dataclass(frozen=True)
class CompletionStep:
    """One decided sub-pixel: where it is (in the caller's image), and what each candidate got."""

    index: int
    total: int
    row: int
    col: int
    channel: int
    values: np.ndarray  # (K,) the value chosen for each candidate
    probs: np.ndarray  # (K, L) the distribution it was drawn from (after temperature)


def check_image(image: np.ndarray, channels: int, levels: int) -> np.ndarray:
    """The image as uint8 (H, W, C), or a clear ValueError."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim == 2 and channels == 1:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] != channels:
        raise ValueError(f"image must have shape (height, width, {channels}), got {image.shape}")
    if not image.size:
        raise ValueError(f"image must be at least 1x1 pixels, got {image.shape[1]}x{image.shape[0]}")
    if not np.issubdtype(image.dtype, np.integer):
        raise ValueError(f"image must hold integer levels (uint8), got dtype {image.dtype}")
    if image.size and (image.min() < 0 or image.max() >= levels):
        raise ValueError(f"image values must lie in [0, {levels}), got {image.min()}..{image.max()}")
    return image.astype(np.uint8)


def check_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The mask as bool (H, W), or a clear ValueError."""
    mask = np.asarray(mask)
    if mask.shape != shape:
        raise ValueError(f"mask must have the image's shape {shape}, got {mask.shape}")
    if mask.dtype != bool:
        if not np.isin(mask, (0, 1)).all():
            raise ValueError("mask must be boolean (True = fill) or hold only 0 and 1")
        mask = mask.astype(bool)
    return mask


def is_integer(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_call_arguments(seed: object, temperature: object, greedy: object, window: object) -> None:
    """A clear ValueError for a seed, temperature, greedy flag or window a completion cannot use."""
    if not isinstance(greedy, (bool, np.bool_)):
        raise ValueError(f"greedy must be True or False, got {greedy!r}")
    if not is_integer(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    is_number = isinstance(temperature, (int, float, np.number)) and not isinstance(temperature, bool)
    if not greedy and not (is_number and np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    if window is not None and not (isinstance(window, (tuple, list)) and len(window) == 2 and all(map(is_integer, window))):
        raise ValueError(f"window must be None or (height, width) in pixels, got {window!r}")


class CompletionJob:
    """A completion that can be watched, cancelled, paused, resumed and partly redrawn.

    ``image`` uint8 (H, W, C) with values in [0, L); ``mask`` bool (H, W), True = fill. ``samples`` K
    candidates run as one batch; candidate k always uses the k-th row of the randomness, so
    ``images[k]`` is the k-th sample drawn. ``engine``: "cached" (incremental) or "naive" (a full forward
    pass per sub-pixel); both give the same images for the same ``seed``. ``greedy`` takes the most
    likely value instead of sampling; ``temperature`` divides the logits. ``device``: where to run
    (default: the model's device). ``orientation``: None, "auto" (for each group of holes, the
    flip/transpose in which the most known pixels precede it; for models trained with dihedral
    augmentation) or one of :data:`pixelrnn_core.completion.orientation.ORIENTATIONS`; the result is
    mapped back (:attr:`orientations` says what each group got). ``window``:
    None (the hole with up to :data:`.windowing.COMPLETION_CONTEXT` pixels of context on every side) or
    (height, width), the size the model works on -- e.g. its training size for a large photo; holes
    farther apart than that are filled on windows of their own. Pixels outside the windows are untouched.

    The job works on its own copy of the model, so training it meanwhile changes nothing here.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        image: np.ndarray,
        mask: np.ndarray,
        samples: int = 1,
        seed: int = 0,
        engine: str = "cached",
        temperature: float = 1.0,
        greedy: bool = False,
        device: str | torch.device | None = None,
        orientation: str | None = None,
        window: tuple[int, int] | None = None,
    ) -> None:
        if not isinstance(getattr(model, "config", None), ModelConfig):
            raise TypeError(f"expected a pixelrnn model (prc.load_checkpoint(prc.find_checkpoint(name)) loads a bundled one), "
                            f"got {type(model).__name__}")
        cfg = model.config
        self.channels, self.levels = cfg.channels, cfg.levels
        image = check_image(image, self.channels, self.levels)
        mask = check_mask(mask, image.shape[:2])
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        if not isinstance(samples, (int, np.integer)) or samples < 1:
            raise ValueError(f"samples must be a positive integer, got {samples!r}")
        check_call_arguments(seed, temperature, greedy, window)
        self.samples, self.seed, self.temperature, self.greedy = int(samples), int(seed), float(temperature), greedy
        self.device = resolve_device(model, device)
        self.model = frozen_copy(model, self.device)

        if orientation not in (None, "auto"):
            check_orientation(orientation)
        self._image = image  # the caller's frame; the job works on views of it turned, and on its windows
        align = cfg.scale if isinstance(self.model, MultiScalePixelRNN) else 1
        groups = hole_groups(mask, window, align)  # none for an empty mask: no copy, no engine
        turns = [self._orientation_of(mask, group, orientation) for group in groups]
        windows = [window_around(turned_box(group, mask.shape, turn), transform_array(mask, turn).shape, window, align)
                   for group, turn in zip(groups, turns)]
        check_completion_memory(cfg, self.samples, [(w.height, w.width) for w in windows] or [(0, 0)], image.shape[:2])
        self._fills = [WindowFill(self.model, image, mask, turn, w, self.samples, engine, self.device) for turn, w in zip(turns, windows)]
        if self._fills:
            with torch.no_grad():
                self._fills[0].engine()  # here, not in the first step: the job is built where setting up may take a while
        # the index, in the whole generation order, of each window's first sub-pixel, and the total
        self._starts = np.cumsum([0] + [fill.total for fill in self._fills])
        self.total = int(self._starts[-1])
        self._draws = 0
        self._uniforms = draw_uniforms(self.seed, 0, self.samples, self.total)
        self._next = 0
        self._run_token = 0
        self._cancelled = threading.Event()
        self.scores: np.ndarray | None = None
        if self.total == 0:
            self.scores = np.zeros(self.samples)

    def _orientation_of(self, mask: np.ndarray, group: Window, orientation: str | None) -> str:
        """The orientation a group of holes is completed in: the one asked for, or for "auto" the one in
        which the most known pixels of its window precede it."""
        if orientation != "auto":
            return orientation or "identity"
        around = window_around(group, mask.shape, None, 1)
        return best_orientation(mask[around.rows, around.cols], self.model)

    @property
    def orientations(self) -> list[str]:
        """The orientation each group of holes is completed in, in the order they are filled."""
        return [fill.orientation for fill in self._fills]

    @property
    def orientation(self) -> str | None:
        """The orientation every group of holes is completed in ("identity" for an empty mask), or None
        when "auto" chose different ones for different groups (then see :attr:`orientations`)."""
        chosen = set(self.orientations) or {"identity"}
        return chosen.pop() if len(chosen) == 1 else None

    @property
    def done(self) -> bool:
        return self._next >= self.total

    @property
    def decided(self) -> int:
        """How many sub-pixels have been decided so far."""
        return self._next

    def _locate(self, index: int) -> tuple[WindowFill, int]:
        """The window the ``index``-th sub-pixel of the generation order lies in, and its index there."""
        number = int(np.searchsorted(self._starts, index, side="right")) - 1
        return self._fills[number], index - int(self._starts[number])

    @property
    def generation_order(self) -> np.ndarray:
        """(P, 2) int: the (row, col) in the caller's image of every pixel to fill, in the order they
        are decided (the raster order of the image as the job orients it, one window after another)."""
        positions = [np.stack(f.image_positions(f.pixels[:, 0], f.pixels[:, 1]), axis=1) for f in self._fills]
        return np.concatenate(positions) if positions else np.zeros((0, 2), dtype=np.int64)

    @property
    def generation_lines(self) -> np.ndarray:
        """(P,) int: the line of the generation order each pixel of :attr:`generation_order` lies on,
        numbered in the order they are decided: a row of its window as the job turns it (a row, a column
        or a reversed one in the caller's image); each window starts a new line."""
        lines, first = [], 0
        for fill in self._fills:
            rows = fill.pixels[:, 0]
            lines.append(np.unique(rows, return_inverse=True)[1].reshape(-1) + first)
            first = int(lines[-1].max()) + 1 if len(rows) else first
        return np.concatenate(lines) if lines else np.zeros(0, dtype=np.int64)

    def cancel(self) -> None:
        """Stop: :meth:`run` returns after the sub-pixel it is deciding (safe from any thread)."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def run(self) -> Iterator[CompletionStep]:
        """Decide the remaining sub-pixels, yielding each. Stop iterating to pause; call again to resume.

        A newer :meth:`run` (or :meth:`resample_from`) ends any older run's iteration.
        """
        self._run_token += 1
        token = self._run_token
        while self._next < self.total and not self._cancelled.is_set() and token == self._run_token:
            yield self._decide_next()
        if self.done and self.scores is None and token == self._run_token:
            self.scores = self._score()

    def _decide_next(self) -> CompletionStep:
        index = self._next
        fill, local = self._locate(index)
        row, col, channel = fill.position(local)
        with torch.no_grad():
            logits = fill.logits(row, col, channel)
        values, probs = choose_values(logits, self._uniforms[:, index], self.temperature, self.greedy)
        fill.decide(local, row, col, channel, values)
        self._next = index + 1
        source_row, source_col = fill.image_positions(row, col)
        return CompletionStep(index, self.total, int(source_row), int(source_col), channel, values.astype(np.uint8), probs)

    @property
    def ranks_candidates(self) -> bool:
        """Whether known sub-pixels follow the hole in the generation order, so that ``scores`` can rank
        the candidates; without any, every score is 0 and the order of the candidates means nothing."""
        return any(fill.known_after_hole().any() for fill in self._fills)

    def _score(self) -> np.ndarray:
        """log p(known sub-pixels after the hole | everything before them), nats, per candidate (§4):
        the sum over the windows, which are filled independently."""
        return sum((fill.score() for fill in self._fills), np.zeros(self.samples))

    def completed_region(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The first and last row, and column, of the caller's image that the model runs on (the box
        around its windows; an empty range for an empty mask)."""
        regions = [fill.region() for fill in self._fills]
        if not regions:
            return (0, -1), (0, -1)  # an empty mask: nothing is completed
        return ((min(r[0][0] for r in regions), max(r[0][1] for r in regions)),
                (min(r[1][0] for r in regions), max(r[1][1] for r in regions)))

    def _window_holding(self, row: int, col: int) -> int:
        """The number of the first window that holds the caller's pixel (row, col), or a ValueError."""
        for number, fill in enumerate(self._fills):
            (top, bottom), (left, right) = fill.region()
            if top <= row <= bottom and left <= col <= right:
                return number
        if len(self._fills) == 1:
            (top, bottom), (left, right) = self._fills[0].region()
            raise ValueError(f"pixel ({row}, {col}) is outside the part of the image being completed: "
                             f"rows {top} to {bottom}, columns {left} to {right}")
        raise ValueError(f"pixel ({row}, {col}) is outside the parts of the image being completed "
                         f"(the {len(self._fills)} windows around the holes)")

    def resample_from(self, row: int, col: int, channel: int) -> None:
        """Keep every sub-pixel decided before (row, col, channel) in the generation order; the next
        :meth:`run` redraws the rest with fresh randomness. Coordinates are the caller's image's."""
        if not 0 <= channel < self.channels:
            raise ValueError(f"channel must lie in [0, {self.channels}), got {channel}")
        if not self._fills:
            raise ValueError(f"pixel ({row}, {col}) is outside the part of the image being completed: the mask is empty")
        number = self._window_holding(row, col)
        fill = self._fills[number]
        start = int(self._starts[number]) + fill.index_of(*fill.window_position(row, col), channel)
        self._run_token += 1
        self._cancelled.clear()
        self.scores = None if self.total else self.scores
        for later, first in zip(self._fills[number:], self._starts[number:].tolist()):
            later.clear_from(max(start, first) - first, min(self._next, first + later.total) - first)
        self._next = min(self._next, start)
        self._draws += 1
        self._uniforms[:, start:] = draw_uniforms(self.seed, self._draws, self.samples, self.total - start)

    def snapshot(self) -> JobSnapshot:
        """A copy of what the job has decided, to :meth:`restore` it later (take one before
        :meth:`resample_from` to take the resample back)."""
        scores = None if self.scores is None else self.scores.copy()
        return JobSnapshot(tuple(fill.x.clone() for fill in self._fills), self._next, self._uniforms.copy(), self._draws, scores)

    def restore(self, snapshot: JobSnapshot) -> None:
        """Return to a :meth:`snapshot` of this job; any older run's iteration ends."""
        self._run_token += 1
        self._cancelled.clear()
        for fill, values in zip(self._fills, snapshot.values):
            fill.x.copy_(values)
            fill.forget_states()
        self._next, self._draws = snapshot.next, snapshot.draws
        self._uniforms = snapshot.uniforms.copy()
        self.scores = None if snapshot.scores is None else snapshot.scores.copy()

    @property
    def images(self) -> np.ndarray:
        """uint8 (K, H, W, C): the image with each candidate's decisions so far (undecided ones are 0)."""
        height, width = self._image.shape[:2]
        return self.images_within(slice(0, height), slice(0, width))

    def images_within(self, rows: slice, cols: slice) -> np.ndarray:
        """uint8 (K, h, w, C): :attr:`images` within ``rows`` and ``cols`` of the caller's image, built
        from that box alone (a hole's surroundings in a large photo, without K whole copies of it)."""
        rows, cols = (range(*box.indices(size)) for box, size in zip((rows, cols), self._image.shape[:2]))
        if rows.step != 1 or cols.step != 1:
            raise ValueError("images_within takes slices of consecutive rows and columns")
        candidates = np.repeat(self._image[None, rows.start : rows.stop, cols.start : cols.stop], self.samples, axis=0)
        for fill in self._fills:
            (top, bottom), (left, right) = fill.region()
            shared_rows = range(max(top, rows.start), min(bottom + 1, rows.stop))
            shared_cols = range(max(left, cols.start), min(right + 1, cols.stop))
            if shared_rows and shared_cols:
                decided = fill.x.permute(2, 3, 0, 1).cpu().numpy().astype(np.uint8)  # (h, w, K, C): turn it back as one image
                region = restore(decided, fill.orientation)[shifted(shared_rows, top), shifted(shared_cols, left)]
                candidates[:, shifted(shared_rows, rows.start), shifted(shared_cols, cols.start)] = region.transpose(2, 0, 1, 3)
        return candidates


def shifted(span: range, origin: int) -> slice:
    """``span`` as a slice of an array whose index 0 is ``origin``."""
    return slice(span.start - origin, span.stop - origin)


@dataclass(frozen=True)
class JobSnapshot:
    """What a :class:`CompletionJob` had decided (:meth:`CompletionJob.snapshot`): its candidates'
    sub-pixels, the next one to decide, the randomness of the draws to come, and the scores."""

    values: tuple[torch.Tensor, ...]  # per window
    next: int
    uniforms: np.ndarray
    draws: int
    scores: np.ndarray | None


def complete(model: torch.nn.Module, image: np.ndarray, mask: np.ndarray, *args: Any, **options: Any) -> np.ndarray:
    """Fill the masked pixels: uint8 (K, H, W, C), the K samples in the order drawn (candidate k uses
    the k-th row of the seeded randomness). Pixels outside the mask are returned unchanged. To rank or
    resample the candidates by how well they fit the pixels after the hole, use
    :class:`CompletionJob` and its ``scores``. The other arguments (samples, seed, engine, temperature,
    greedy, device, orientation, window) are :class:`CompletionJob`'s, with its defaults."""
    job = CompletionJob(model, image, mask, *args, **options)
    for _ in job.run():
        pass
    return job.images


# help(complete) and IDEs show the job's arguments, declared once.
complete.__signature__ = inspect.signature(CompletionJob).replace(return_annotation=np.ndarray)
