"""The completion controller: runs a ``prc.CompletionJob`` on the document's masked region and shows it
live, pixel by pixel; pause/resume, step a pixel or a row, cancel (keep or revert), rank and apply the
K candidates, resample from a chosen pixel. App state only; the panel owns the widgets.

A raster-order model sees only the pixels before each sub-pixel (paper §2, eq. 1-2); the job ranks
candidates by the likelihood of the known pixels after the hole (docs/design.md), so the best-scored
candidate is the one applied when the fill ends.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

import pixelrnn_core as prc

from .background import Paused, StepThread, WorkController, WorkState, describe_error
from .document import Box, Candidate, Document, Fill
from .levels import level_to_byte, to_levels, to_rgb

# A fill keeps every candidate's distributions of its masked sub-pixels for Export fill probabilities up to
# this size (a 300x300 hole of an RGB photo with 4 candidates needs 1.1 GB); a larger fill runs without them.
PROBABILITIES_KEPT_BYTES = 256 * 2**20
TOO_LARGE_TO_KEEP = (f"this fill's distributions were too large to keep for export (more than {PROBABILITIES_KEPT_BYTES // 2**20} MiB "
                     "for its candidates' masked sub-pixels): fill a smaller hole, or draw fewer candidates, to export them")


def context_warning(mask: np.ndarray, any_side: bool = False) -> str | None:
    """A warning when the mask leaves the model (almost) nothing to condition on: a raster-order model
    reads top to bottom, so a hole in the first row has no context before it; a model that fills from
    any side (trained under the 8 symmetries) lacks it only when a hole touches every edge (holes far
    apart are each filled from their own best side, ``prc.hole_groups``)."""
    if not mask.any():
        return None
    if mask.all():
        return "The mask covers the whole image: the model has no context and samples a new image."
    if any_side:
        height, width = mask.shape
        touches_every_edge = mask[0].any() and mask[-1].any() and mask[:, 0].any() and mask[:, -1].any()
        if touches_every_edge and any(g.height == height and g.width == width for g in prc.hole_groups(mask)):
            return ("The mask touches every edge: the model, which fills from the side with the most known pixels, "
                    "has almost no context before the hole from any side. Leave an edge unmasked.")
        return None
    if mask[0].any():
        return (
            "The mask starts in the first row: the model reads top to bottom, so it has almost no "
            "context before the hole. Leave some rows above it unmasked."
        )
    return None


def job_then_steps(make_job: Callable[[], "prc.CompletionJob"]) -> Iterator:
    """Build the job on the worker thread (copying the model and setting up its engine can take a
    while), hand it over, then yield its steps."""
    job = make_job()
    yield job
    yield from job.run()


def is_step(item: object) -> bool:
    return isinstance(item, prc.CompletionStep)


def redrawn_from(job: "prc.CompletionJob", shape: tuple[int, int], row: int, col: int) -> np.ndarray:
    """Bool (H, W): the pixels ``job`` decides at or after image pixel (row, col) in its generation order."""
    order = job.generation_order
    index = int(np.flatnonzero((order[:, 0] == row) & (order[:, 1] == col))[0])
    redrawn = np.zeros(shape, dtype=bool)
    redrawn[order[index:, 0], order[index:, 1]] = True
    return redrawn


def generation_line_ends(job: "prc.CompletionJob") -> set[tuple[int, int]]:
    """The image pixels that end a line of ``job``'s generation order (a row in the raster order)."""
    lines = job.generation_lines
    last = np.append(lines[1:] != lines[:-1], True)
    return {(int(row), int(col)) for row, col in job.generation_order[last]}


def after_line_end(job: "prc.CompletionJob | None", last_channel: int) -> Callable[[object], bool]:
    """A step thread's stop condition: true after the last sub-pixel of a line of the generation order.
    Without ``job`` (a fill paused before it began) the job is taken from the stream's first item."""
    ends = None if job is None else generation_line_ends(job)

    def stop_after(item: object) -> bool:
        nonlocal ends
        if isinstance(item, prc.CompletionJob):
            ends = generation_line_ends(item)
            return False
        return is_step(item) and item.channel == last_channel and (item.row, item.col) in ends

    return stop_after


def ranked_candidates(
    images: np.ndarray, scores: np.ndarray, mask: np.ndarray, box: Box, levels: int
) -> list[Candidate]:
    """The K finished draws (``images``: each the ``box`` alone) best first (rank 1 = the highest
    score), each as the values of its hole's pixels, with its share of the posterior over the K:
    softmax of the scores (they are log-likelihoods of the same known pixels, so their differences are
    log-odds between candidates)."""
    scores = np.asarray(scores, dtype=np.float64)
    shares = np.exp(scores - scores.max())
    shares /= shares.sum()
    hole = mask[box.slices]
    ranked = []
    for rank, index in enumerate(np.argsort(-scores, kind="stable"), start=1):
        values = to_rgb(images[index][hole][None], levels)[0]  # (P, 3), as a one-row image
        ranked.append(Candidate(rank, int(index), float(scores[index]), float(shares[index]), values))
    return ranked


@dataclass(frozen=True)
class FillState:
    """A fill at one moment (its job's decisions, candidates, distributions, progress and the candidate
    shown): what reverting a resample, and undoing or redoing one, brings back."""

    snapshot: prc.JobSnapshot
    candidates: list[Candidate]
    probs: np.ndarray | None
    decided: int
    shown: int


def fill_state(fill: Fill) -> FillState:
    return FillState(fill.job.snapshot(), fill.candidates, fill.probs, fill.decided, fill.shown)


# The undo history keeps a resample's distributions (before and after it) up to this size each;
# undoing to a larger one brings the fill back without them (Export then says so).
PROBABILITIES_UNDONE_BYTES = 32 * 2**20


def undoable(state: FillState) -> FillState:
    """``state`` as the undo history keeps it: without distributions larger than it keeps."""
    too_large = state.probs is not None and state.probs.nbytes > PROBABILITIES_UNDONE_BYTES
    return replace(state, probs=None) if too_large else state


class CompletionController(WorkController):
    """Runs fills, each as a coroutine on the app's asyncio loop awaiting the job's steps from a
    worker thread. State: idle, running or paused."""

    progressed = Signal(int, int, float)  # sub-pixels done, total, sub-pixels per second (0 until a row is done)
    cursorMoved = Signal(int, int)  # image pixel just decided; (-1, -1) when no fill runs
    finished = Signal()  # a fill ran to its end and was applied
    cancelled = Signal(bool)  # True: the partial fill was kept; False: reverted
    failed = Signal(str)
    modelChanged = Signal(str, object)  # checkpoint path, its prc.CheckpointInfo

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.model = None
        self.model_path: Path | None = None
        self.info: prc.CheckpointInfo | None = None
        self.device = "cpu"
        self._keep_partial = True
        self._resampling = False  # a resample ends on the candidate it redrew, not on the best-ranked one
        self._before_resample: FillState | None = None  # what a reverted resample brings back
        self._rate_start: tuple[float, int] | None = None

    # ---- model ------------------------------------------------------------------------------
    def load_model(self, path: str | Path) -> bool:
        """Load a checkpoint; on failure emit ``failed`` with a clear message and keep the old model."""
        path = Path(path)
        try:
            info = prc.checkpoint_info(path)
            model = prc.load_checkpoint(path, device="cpu")
        except (prc.CheckpointError, OSError, ValueError) as error:
            self.failed.emit(str(error).splitlines()[0] if str(error) else f"cannot load {path.name}")
            return False
        model.eval()
        self.model, self.model_path, self.info = model, path, info
        self.modelChanged.emit(str(path), info)
        return True

    def set_device(self, device: str) -> None:
        self.device = device

    @property
    def fill(self) -> Fill | None:
        """The document's last fill (the document owns it; a new image starts without one)."""
        return self.document.fill

    @property
    def job(self) -> "prc.CompletionJob | None":
        return self.fill.job if self.fill is not None else None

    @property
    def candidates(self) -> list[Candidate]:
        return self.fill.candidates if self.fill is not None else []

    # ---- running ----------------------------------------------------------------------------
    def start(
        self, samples: int = 1, seed: int = 0, temperature: float = 1.0, greedy: bool = False, paused: bool = False
    ) -> bool:
        """Start filling the document's mask (``paused``: ready, waiting for a step or resume);
        False (with ``failed`` emitted) if it cannot start."""
        if self.busy:
            return False
        if self.model is None:
            self.failed.emit("Choose a model first (Model: Open checkpoint…).")
            return False
        mask = self.document.mask
        if not mask.any():
            self.failed.emit("Nothing to fill: paint a mask over the pixels the model should complete.")
            return False
        config = self.model.config
        box = Box.around(mask)
        try:
            image = to_levels(self.document.image, config.channels, config.levels)
        except ValueError as error:
            self.failed.emit(str(error))
            return False
        make_job = partial(
            prc.CompletionJob, self.model, image, mask.copy(), samples=samples, seed=seed,
            temperature=temperature, greedy=greedy, device=self.device,
            orientation=self.info.completion_orientation if self.info is not None else None,
        )
        kept = (samples, int(mask.sum()), config.channels, config.levels)  # every candidate's distributions, for export
        self.document.begin_fill(Fill(
            mask=mask.copy(), before=self.document.image.copy(), box=box, total=int(mask.sum()) * config.channels,
            probs=np.zeros(kept, dtype=np.float32) if 4 * math.prod(kept) <= PROBABILITIES_KEPT_BYTES else None,
            pending=mask.copy(),
        ))
        self._resampling, self._before_resample = False, None
        self._run(job_then_steps(make_job), paused)
        return True

    def resample_from(self, row: int, col: int) -> bool:
        """Redraw every sub-pixel of the last fill from image pixel (row, col) on."""
        fill = self.fill
        if self.busy or fill is None or fill.job is None:
            return False
        if self.document.shown_candidate() is None:
            self.failed.emit("The last fill is no longer on the canvas (undone, painted over or its mask changed): nothing to resample.")
            return False
        if not fill.mask[row, col]:
            self.failed.emit("Pick a pixel inside the last fill to resample from it.")
            return False
        before = fill_state(fill)
        try:
            fill.job.resample_from(row, col, 0)
        except ValueError as error:
            self.failed.emit(str(error))
            return False
        self._before_resample = before
        fill.probs = None if fill.probs is None else fill.probs.copy()  # the resample writes its own: the state keeps the one before
        fill.pending = redrawn_from(fill.job, fill.mask.shape, row, col)
        fill.before = self.document.image.copy()
        fill.candidates, fill.decided = [], fill.job.decided
        self.document.fillChanged.emit()
        self._resampling = True
        self._run(fill.job.run())
        return True

    def _run(self, steps: Iterator, paused: bool = False) -> None:
        self._rate_start = None
        work = StepThread(steps, on_stop=self._cancel_job, paused=paused)
        self.launch(work, self._fill, WorkState.PAUSED if paused else WorkState.RUNNING)

    async def _fill(self, work: StepThread) -> None:
        """The life of one fill: show its steps as they come, then apply, keep or revert it."""
        try:
            completed = await work.run_steps(self._batch)
        except Exception as error:  # noqa: BLE001 - the job's failure becomes a message
            self._failed(describe_error(error))
            return
        (self._completed if completed else self._stopped)()

    def _batch(self, items: list) -> None:
        steps = []
        for item in items:
            if isinstance(item, Paused):
                self._show_steps(steps)
                steps = []
                if self.is_current_pause(item):
                    self._set_state(WorkState.PAUSED)
            else:
                steps.append(item)
        self._show_steps(steps)

    def _cancel_job(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def pause(self) -> Callable[[], None] | None:
        """Pause after the current sub-pixel; returns what lets the fill go on as it was (a step's
        stop included; nothing once the fill has ended meanwhile), or None when it was not advancing."""
        work = self.work
        go_on = work.pause() if work is not None else None
        if go_on is None:
            return None

        def resume() -> None:
            if self.work is not work:  # paused after its last sub-pixel, it finished while the user chose
                return
            self._rate_start = None
            go_on()
            self._set_state(WorkState.RUNNING)

        return resume

    def resume(self) -> None:
        if self.work is not None:
            self._rate_start = None
            self.work.resume()
            self._set_state(WorkState.RUNNING)

    def step_pixel(self) -> None:
        """Decide the sub-pixels up to the end of the next pixel, then pause."""
        if self.work is not None:
            self._rate_start = None
            last_channel = self._drawing()[0] - 1
            self.work.resume(lambda step: is_step(step) and step.channel == last_channel)
            self._set_state(WorkState.RUNNING)

    def step_row(self) -> None:
        """Decide the sub-pixels up to the end of the current line of the generation order (a row of the
        image, or a column when the model completes it in another orientation), then pause."""
        if self.work is not None and self.fill is not None:
            self._rate_start = None
            last_channel = self._drawing()[0] - 1
            self.work.resume(after_line_end(self.fill.job, last_channel))
            self._set_state(WorkState.RUNNING)

    def cancel(self, keep_partial: bool) -> None:
        """Stop the fill; keep what was drawn (one undoable edit) or put the original back."""
        if self.work is not None:
            self._keep_partial = keep_partial
            self.work.stop()

    # ---- results arriving on the GUI thread -------------------------------------------------
    def _show_steps(self, steps: list) -> None:
        fill = self.fill
        if fill is None:
            return
        if steps and isinstance(steps[0], prc.CompletionJob):
            fill.job, steps = steps[0], steps[1:]
        if not steps:
            return
        channels, levels = self._drawing()
        image = self.document.image
        for step in steps:
            if step.channel == channels - 1 and fill.pending is not None:
                fill.pending[step.row, step.col] = False
            shown = level_to_byte(int(step.values[fill.shown]), levels)
            if channels == 1:
                image[step.row, step.col] = shown
            else:
                image[step.row, step.col, step.channel] = shown
            if fill.probs is not None:
                fill.probs[:, step.index // channels, step.channel] = step.probs  # pixels in the order filled
        last = steps[-1]
        fill.decided = last.index + 1
        self.document.imageChanged.emit()
        now = time.monotonic()
        if self._rate_start is None:
            self._rate_start = (now - 1e-3, fill.decided - len(steps))
        started, done_at_start = self._rate_start
        # the first steps also pay for setting up the engine: a rate is given once a row is done
        row = int(fill.mask[fill.box.slices].sum(axis=1).max()) * channels  # the box: the whole mask cost 10 ms a batch
        rate = (fill.decided - done_at_start) / max(now - started, 1e-3) if fill.decided - done_at_start >= row else 0.0
        self.progressed.emit(fill.decided, last.total, rate)
        self.cursorMoved.emit(last.row, last.col)

    def _completed(self) -> None:
        fill = self.fill
        drawn = fill.job.images_within(*fill.box.slices)
        fill.candidates = ranked_candidates(drawn, fill.job.scores, fill.mask, fill.box, fill.job.levels)
        self._end_work()
        shown = fill.candidate(fill.shown) if self._resampling else fill.candidates[0]
        fill.shown = shown.index
        self.document.write("image", fill.box, shown.in_box(fill.before, fill.mask, fill.box))
        self._record(fill, "Resample" if self._resampling else "Fill")
        self.document.fillChanged.emit()
        self.finished.emit()

    def _stopped(self) -> None:
        fill = self.fill
        self._end_work()
        if self._keep_partial:
            self._record(fill, "Partial resample" if self._resampling else "Partial fill")
        else:
            self._revert(fill)
        self.cancelled.emit(self._keep_partial)

    def _record(self, fill: Fill, text: str) -> None:
        """Record a fill's pixels as one undoable edit; a resample's also brings back, on undo, the fill it
        redrew (candidates and job), and on redo what it drew."""
        before, self._before_resample = self._before_resample, None
        restores = None
        if before is not None:
            after = fill_state(fill)
            restores = (partial(self._bring_back, fill, undoable(before)), partial(self._bring_back, fill, undoable(after)))
        self.document.record(text, "image", fill.before, restores, always=True)

    def _bring_back(self, fill: Fill, state: FillState) -> None:
        """Return ``fill`` to ``state`` if it is still the document's last fill and nothing runs."""
        if fill is not self.fill or self.busy:
            return
        fill.job.restore(state.snapshot)
        fill.candidates, fill.probs, fill.decided, fill.shown = state.candidates, state.probs, state.decided, state.shown
        self.document.fillChanged.emit()

    def _failed(self, message: str) -> None:
        self._end_work()
        self._revert(self.fill)
        self.failed.emit(f"The fill stopped: {message}")

    def _revert(self, fill: Fill) -> None:
        """Put the image back as it was before the fill; a reverted fill is dropped, a reverted resample
        leaves its fill as it was before it (job, candidates and probabilities)."""
        self.document.write("image", Box(0, 0, self.document.height, self.document.width), fill.before)
        resampled, self._before_resample = self._before_resample, None  # set only while a resample runs
        if resampled is None:
            self.document.drop_fill()
            return
        self._bring_back(fill, resampled)

    def reverted_a_resample(self) -> bool:
        """Whether the last fill stopped was a resample, taken back (its fill is on the canvas again)."""
        return self._resampling and self.fill is not None and bool(self.fill.candidates)

    def _end_work(self) -> None:
        if self.fill is not None:
            self.fill.pending = None
        self.cursorMoved.emit(-1, -1)
        super()._end_work()

    def _drawing(self) -> tuple[int, int]:
        """(channels, levels) of what the last fill draws: its job's model's, once there is a job (the
        model chosen since may have others), else the chosen model's."""
        job = self.job
        return (job.channels, job.levels) if job is not None else (self.model.config.channels, self.model.config.levels)

    @property
    def ranking(self) -> bool:
        """Whether a fill has decided every sub-pixel and its candidates are being scored: one call of
        the model, which nothing stops, so there is nothing left to pause or cancel."""
        fill = self.fill
        return self.state == "running" and fill is not None and fill.total > 0 and fill.decided == fill.total and not fill.candidates

    def known_pixels_after_hole(self) -> bool:
        """Whether the last fill has known pixels after its hole to score candidates by; without them
        every score is 0 and the order means nothing."""
        return self.job is not None and self.job.ranks_candidates

    def apply_candidate(self, index: int) -> None:
        """Put the candidate drawn as ``index`` (of K) into the fill's hole as one undoable edit, named
        by its rank as the strip numbers it; nothing outside the hole changes. Refused while the hole
        holds none of the candidates or the mask changed (see :meth:`Document.shown_candidate`)."""
        fill = self.fill
        candidate = fill.candidate(index) if fill is not None else None
        if candidate is None or self.busy or self.document.shown_candidate() is None:
            return
        before = self.document.image.copy()
        fill.shown = candidate.index
        self.document.write("image", fill.box, candidate.in_box(before, fill.mask, fill.box))
        self.document.record(f"Apply candidate #{candidate.rank}", "image", before)

    def export_probabilities(self, path: str | Path) -> None:
        """Save the last fill's distributions as .npz (atomic): ``probs`` (K, P, C, L) of its P masked
        pixels in the order they were filled, at image ``rows`` and ``cols`` (P,), and each draw's
        ``scores`` and ``ranks`` (the number the strip gives it, 1 = best), in the order drawn."""
        fill = self.fill
        if fill is None:
            raise ValueError("there is no fill to export yet")
        if fill.probs is None:
            raise ValueError(TOO_LARGE_TO_KEEP)
        drawn = sorted(fill.candidates, key=lambda c: c.index)
        order = fill.job.generation_order
        scores, ranks = np.array([c.score for c in drawn]), np.array([c.rank for c in drawn])
        prc.atomic_write(
            path,
            lambda stream: np.savez_compressed(
                stream, probs=fill.probs, rows=order[:, 0], cols=order[:, 1], scores=scores, ranks=ranks,
            ),
        )
