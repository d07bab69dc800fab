"""The training controller: runs a ``prc.Trainer`` as a coroutine awaiting its events from a worker
thread (:mod:`background`), pauses, resumes and stops it, and announces the model a run leaves
behind; its :class:`FolderScanner` reads data folders the same way. App state only; the training
panel owns the widgets.

Stop asks the trainer to cancel: it finishes the current step, saves ``last.safetensors`` (atomically)
and ends with a ``Finished`` event, so a stopped run can be resumed and its model used at once.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pixelrnn_core as prc
from PySide6.QtCore import QObject, Signal

from .background import Paused, StepThread, WorkController, WorkState, describe_error, one_call

SMALLEST_SIZE = 2  # the Train panel's smallest image size (a folder proposing less is read at it)


class TrainerHandle:
    """The trainer of a run, once the worker thread has built it; a stop asked for before that is
    applied as soon as it exists. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.trainer: prc.Trainer | None = None
        self._cancelled = False

    def attach(self, trainer: prc.Trainer) -> None:
        with self._lock:
            self.trainer = trainer
            if self._cancelled:
                trainer.cancel()

    def is_cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self.trainer is not None:
                self.trainer.cancel()

    def pause(self) -> None:
        with self._lock:
            if self.trainer is not None:
                self.trainer.pause()

    def resume(self) -> None:
        with self._lock:
            if self.trainer is not None:
                self.trainer.resume()


@dataclass(frozen=True)
class RunStarted:
    """The trainer of a run, and the step it starts from (the trainer itself moves on at once)."""

    trainer: prc.Trainer
    step: int
    total_steps: int


def trainer_then_events(make_trainer: Callable[[], prc.Trainer], handle: TrainerHandle) -> Iterator:
    """Build the trainer on the worker thread (reading the data can take a while), hand it over, then
    yield its events. Its previews are abandoned as soon as the run is asked to stop."""
    trainer = make_trainer()
    trainer.preview = prc.preview_hook(trainer.data, cancelled=handle.is_cancelled, run_dir=trainer.folder.path)
    handle.attach(trainer)
    yield RunStarted(trainer, trainer.step, trainer.total_steps)
    yield from trainer.events()


def scan_folder(spec: prc.DatasetSpec, propose: bool) -> tuple[prc.Proposal | None, prc.ImageSet | prc.DataError]:
    """Read a folder as a run would, with the size and colour its images suggest when ``propose``;
    a folder without usable images gives its DataError (which lists every skipped file)."""
    proposal = prc.survey_folder(spec.path) if propose and Path(spec.path).expanduser().is_dir() else None
    if proposal is not None:
        proposal = replace(proposal, size=max(proposal.size, SMALLEST_SIZE))  # the panel's smallest
        spec = spec.replace(size=proposal.size, channels=proposal.channels)
    try:
        return proposal, prc.load_images(spec)
    except prc.DataError as error:
        return proposal, error


def workspace_problem(workspace: Path) -> str | None:
    """Why no run folder can be made in ``workspace``, in plain words; None when one can."""
    try:
        existing = next(path for path in (workspace, *workspace.parents) if path.exists())
    except OSError:  # a folder on the way may not be listed
        return f"cannot read {workspace}"
    if not existing.is_dir():
        return f"the workspace {workspace} is not a folder" + ("" if existing == workspace else f" ({existing} is a file)")
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write in {existing}"
    return None


def resumed_trainer(run_dir: Path, device: str, data_path: Path | None = None, epochs: int | None = None) -> prc.Trainer:
    """The trainer of the run in ``run_dir`` (on its data, moved to ``data_path`` if given; extended to
    ``epochs`` if given); a one-line ValueError saying why it cannot be resumed."""
    try:
        trainer = prc.resume_run(run_dir, device, data_path=data_path, epochs=epochs)
    except (OSError, ValueError, KeyError, prc.CheckpointError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        for named in (f"{run_dir}: ", f"{Path(run_dir).resolve()}: "):  # the folder is named once, in front
            reason = reason.removeprefix(named)
        raise ValueError(f"Cannot resume {run_dir}: {reason}") from None
    return trainer


class FolderScanner(WorkController):
    """Reads image folders as a run would, one at a time, as coroutines; a scan asked for while one
    runs replaces any waiting one and starts when it ends."""

    proposed = Signal(object)  # the Proposal a folder's images suggest, before its scan result
    scanned = Signal(object)  # prc.ImageSet of the folder scanned last
    scanFailed = Signal(str, list)  # why, and the files skipped (prc.SkippedFile)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scan_again: tuple[prc.DatasetSpec, bool] | None = None

    def scan(self, spec: prc.DatasetSpec, propose: bool = False) -> None:
        if self.busy:
            self._scan_again = (spec, propose)
            return
        self.launch(StepThread(one_call(lambda: scan_folder(spec, propose))), self._scan, WorkState.RUNNING)

    async def _scan(self, work: StepThread) -> None:
        results: list = []
        try:
            await work.run_steps(results.extend)
        except Exception as error:  # noqa: BLE001 - an unreadable folder becomes a message
            outcome: tuple | str = describe_error(error)
        else:
            outcome = results[-1]
        self._end_work()
        again, self._scan_again = self._scan_again, None
        if again is not None:
            self.scan(*again)  # a newer scan was asked for: this result is stale
        elif isinstance(outcome, str):
            self.scanFailed.emit(outcome, [])
        else:
            self._report(*outcome)

    def _report(self, proposal: prc.Proposal | None, result: prc.ImageSet | prc.DataError) -> None:
        if proposal is not None:
            self.proposed.emit(proposal)
        if isinstance(result, prc.DataError):
            self.scanFailed.emit(str(result), result.skipped)
        else:
            self.scanned.emit(result)


class TrainingController(WorkController):
    """Runs one training run at a time as a coroutine awaiting the trainer's events from a worker
    thread; its :attr:`scanner` reads folders. State: idle, starting, running, paused or stopping."""

    started = Signal(str, int, int)  # run folder, step it starts from, total steps
    progressed = Signal(object)  # prc.TrainStep
    validated = Signal(object)  # prc.Validation
    previewed = Signal(object)  # prc.TrainingPreview
    finished = Signal(object)  # prc.Finished
    modelReady = Signal(str, bool)  # the checkpoint a finished or stopped run left; whether it is worth switching to
    checkpointSaved = Signal(object)  # prc.CheckpointSaved
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.handle: TrainerHandle | None = None
        self.trainer: prc.Trainer | None = None
        self.run_dir: Path | None = None
        self.finished_reason: str | None = None  # how the last run ended: "completed", "cancelled", ...
        self.scanner = FolderScanner(self)
        self.proposed, self.scanned, self.scanFailed = self.scanner.proposed, self.scanner.scanned, self.scanner.scanFailed

    def scan(self, spec: prc.DatasetSpec, propose: bool = False) -> None:
        """Read the folder as the run would (usable images and skipped files), off the GUI thread;
        with ``propose``, first find the size and colour its images suggest and read it with those."""
        self.scanner.scan(spec, propose)

    # ---- running ----------------------------------------------------------------------------
    def start(self, run_dir: Path, plan: prc.RunConfig, device: str) -> bool:
        """Start a new run in ``run_dir``; False if one is already running."""
        if self.busy:
            return False
        self._run(run_dir, lambda: prc.new_run(run_dir, plan.data, plan.model, plan.training, device))
        return True

    def resume_run(self, run_dir: Path, device: str, data_path: Path | None = None, epochs: int | None = None) -> bool:
        """Continue the run in ``run_dir`` from its last saved state (its data moved to ``data_path``; to
        ``epochs`` in all if given)."""
        if self.busy:
            return False
        self._run(run_dir, lambda: resumed_trainer(run_dir, device, data_path, epochs))
        return True

    def _run(self, run_dir: Path, make_trainer: Callable[[], prc.Trainer]) -> None:
        self.run_dir, self.trainer, self.finished_reason = Path(run_dir), None, None
        self.handle = TrainerHandle()
        self.launch(StepThread(trainer_then_events(make_trainer, self.handle)), self._train, WorkState.STARTING)

    async def _train(self, work: StepThread) -> None:
        """The life of one run: report its events as they come, then offer the model it left."""
        try:
            await work.run_steps(self._events)
        except Exception as error:  # noqa: BLE001 - the run's failure becomes a message
            self._failed(describe_error(error))
            return
        self._end_work()
        run = prc.RunFolder(self.run_dir)
        model = run.model_checkpoint()
        if model is not None:  # worth switching to once the run completed or validated it
            self.modelReady.emit(str(model), self.finished_reason == "completed" or model == run.checkpoint_path("best"))

    def pause(self) -> None:
        """Pause after the current step (the trainer waits; nothing is lost)."""
        if self.work is not None and self.state in (WorkState.STARTING, WorkState.RUNNING):
            self.handle.pause()
            self.work.pause()

    def resume(self) -> None:
        if self.work is not None and self.state == WorkState.PAUSED:
            self.handle.resume()
            self.work.resume()
            self._set_state(WorkState.RUNNING)

    def stop(self) -> None:
        """Finish the current step, save the last checkpoint and end the run."""
        if self.work is not None and self.state != WorkState.STOPPING:
            self.handle.cancel()
            self.work.resume()
            self._set_state(WorkState.STOPPING)

    def shutdown(self) -> Path | None:
        """Stop the run (its last checkpoint is saved) and any scan, and wait for them: the window is
        closing. The checkpoint the stopped run leaves to use (no signal says it), or None."""
        self.blockSignals(True)
        stopped = self.handle is not None
        if stopped:
            self.handle.cancel()
        if self.work is not None:
            self.work.resume()
            self.work.wait()  # the trainer ends its step and saves; stopping the thread would skip that
        self.scanner.shutdown()
        super().shutdown()
        return prc.RunFolder(self.run_dir).model_checkpoint() if stopped else None

    # ---- events arriving on the GUI thread --------------------------------------------------
    def _events(self, events: list) -> None:
        for event in events:
            if isinstance(event, Paused):
                if self.is_current_pause(event) and self.state in (WorkState.STARTING, WorkState.RUNNING):
                    self._set_state(WorkState.PAUSED)
            elif isinstance(event, RunStarted):
                self.trainer = event.trainer
                if self.state == WorkState.STARTING:
                    self._set_state(WorkState.RUNNING)
                self.started.emit(str(self.run_dir), event.step, event.total_steps)
            elif isinstance(event, prc.TrainStep):
                self.progressed.emit(event)
            elif isinstance(event, prc.Validation):
                self.validated.emit(event)
            elif isinstance(event, prc.Preview) and isinstance(event.result, prc.TrainingPreview):
                self.previewed.emit(event.result)
            elif isinstance(event, prc.CheckpointSaved):
                self.checkpointSaved.emit(event)
            elif isinstance(event, prc.Finished):
                self.finished_reason = event.reason
                self.finished.emit(event)

    def _failed(self, message: str) -> None:
        started = self.trainer is not None
        self._end_work()
        if message.startswith("Cannot resume"):
            self.failed.emit(message)
        else:
            self.failed.emit(f"Training stopped: {message}" if started else f"Cannot start training: {message}")

    def _end_work(self) -> None:
        self.handle = None
        super()._end_work()
