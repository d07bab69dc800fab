"""The one place that runs long work (completion, training, folder scans, inspection) off the GUI thread.

The core's long work is a plain generator that yields at every step. A :class:`StepThread` iterates it
on its own thread; it can pause between two steps (the generator simply stays suspended), run until a
condition holds (one pixel, one row), and stop. The GUI side is a coroutine on the app's asyncio loop
(qasync's ``QEventLoop``, which runs inside Qt's event loop): :meth:`StepThread.run` awaits the
steps and hands them over in batches, at most one batch per ``FLUSH_SECONDS`` so a fast generator
cannot flood the event loop, the first one at once so the user sees the work start. Widgets are
never touched on the worker thread.

:class:`WorkController` is the life cycle every controller shares: one :class:`WorkState`, start a
coroutine, pause/resume/stop, and a shutdown that stops the thread before the loop closes (closing a
loop waits for work still running, and a coroutine cancelled then must not touch a closing window).
"""
from __future__ import annotations

import asyncio
import enum
import functools
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

FLUSH_SECONDS = 0.02


class WorkState(str, enum.Enum):
    """Where a controller's work stands (a str, so it reads and compares as its value)."""

    IDLE = "idle"
    STARTING = "starting"  # building the job or the trainer on the worker thread
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"


class Paused:
    """Marks, in a batch, the point where the thread paused; ``resumes`` tells a stale pause (one from
    before the latest resume) from a current one."""

    def __init__(self, resumes: int) -> None:
        self.resumes = resumes


def one_call(function: Callable[[], Any]) -> Iterable[Any]:
    """A generator of the single result of ``function()``, so one-shot work runs here too."""
    yield function()


class StepThread(QThread):
    """Iterates ``steps`` on its own thread; :meth:`run_steps` is the coroutine that receives them."""

    def __init__(self, steps: Iterable[Any], on_stop: Callable[[], None] | None = None, paused: bool = False):
        super().__init__()
        self._steps = steps
        self._on_stop = on_stop
        self._condition = threading.Condition()
        self._advancing = not paused
        self.resumes = 0
        self.stopped = False
        self._pause_when: Callable[[Any], bool] | None = None
        self._buffer: list[Any] = []
        self._error: BaseException | None = None
        self._done = False
        self._wake: Callable[[], None] = lambda: None

    # ---- called from the GUI thread ---------------------------------------------------------
    def pause(self) -> Callable[[], None] | None:
        """Stop after the current step, keeping the generator suspended; returns what lets it go on as
        it was (its ``pause_when`` included), or None when it was not advancing."""
        with self._condition:
            advancing, pause_when = self._advancing, self._pause_when
            self._advancing = False
            self._pause_when = None
        return functools.partial(self.resume, pause_when) if advancing else None

    def resume(self, pause_when: Callable[[Any], bool] | None = None) -> None:
        """Go on; with ``pause_when``, pause again right after the first step for which it is true."""
        with self._condition:
            self._advancing = True
            self._pause_when = pause_when
            self.resumes += 1
            self._condition.notify_all()

    def stop(self) -> None:
        """End the work after the current step (``on_stop`` lets the generator end mid-step)."""
        with self._condition:
            self.stopped = True
            self._condition.notify_all()
        if self._on_stop is not None:
            self._on_stop()

    def stop_and_wait(self) -> None:
        self.stop()
        self.wait()

    async def run_steps(self, on_batch: Callable[[list], None]) -> bool:
        """Start the thread and pass its steps to ``on_batch`` in batches (a :class:`Paused` marks a
        pause) until the generator ends: True if it ran out, False if :meth:`stop` ended it. The
        generator's exception is raised here. Cancelling this coroutine stops the thread."""
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()

        def wake() -> None:
            try:
                loop.call_soon_threadsafe(ready.set)
            except RuntimeError:  # the loop closed meanwhile; nobody waits any more
                pass

        self._wake = wake
        self.start()
        try:
            while True:
                await ready.wait()
                ready.clear()
                finished = self._done
                batch = self._take()
                if batch:
                    on_batch(batch)
                if finished:
                    if self._error is not None:
                        raise self._error
                    return not self.stopped
                await asyncio.sleep(FLUSH_SECONDS)
        except asyncio.CancelledError:
            self.stop()
            raise

    def _take(self) -> list:
        with self._condition:
            batch, self._buffer = self._buffer, []
        return batch

    def _put(self, item: Any) -> None:
        with self._condition:
            first = not self._buffer
            self._buffer.append(item)
        if first:
            self._wake()

    # ---- the worker thread ------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._iterate()
        except Exception as error:  # noqa: BLE001 - every failure becomes a message in the window
            self._error = error
        finally:
            with self._condition:
                self._done = True
            self._wake()

    def _iterate(self) -> None:
        iterator = iter(self._steps)
        while True:
            with self._condition:
                if not self._advancing and not self.stopped:
                    self._put(Paused(self.resumes))
                    while not self._advancing and not self.stopped:
                        self._condition.wait()
                if self.stopped:
                    return
                pause_when = self._pause_when
            step = next(iterator, StopIteration)
            if step is StopIteration:
                return
            self._put(step)
            if pause_when is not None and pause_when(step):
                with self._condition:
                    if self._pause_when is pause_when:
                        self._advancing = False
                        self._pause_when = None


def describe_error(error: BaseException) -> str:
    """A one-line message for an error raised by background work."""
    name = type(error).__name__
    text = str(error).strip().splitlines()[0] if str(error).strip() else name
    if name == "OutOfMemoryError" or "out of memory" in text.lower():
        return "The device ran out of memory. Try the CPU, fewer candidates or a smaller region."
    return text if isinstance(error, (ValueError, OSError)) else f"{name}: {text}"


class WorkController(QObject):
    """One piece of background work at a time, as a coroutine, with one :class:`WorkState`."""

    stateChanged = Signal(str)  # a WorkState value

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = WorkState.IDLE
        self.work: StepThread | None = None
        self.task: asyncio.Task | None = None

    @property
    def busy(self) -> bool:
        return self.work is not None

    def _set_state(self, state: WorkState) -> None:
        self.state = state
        self.stateChanged.emit(state.value)

    def launch(self, work: StepThread, body: Callable[[StepThread], Coroutine[Any, Any, None]], state: WorkState) -> None:
        """Run ``body(work)`` as a task; the controller is busy until the body calls :meth:`_end_work`
        (before it reports its outcome) or ends, whatever happens."""
        self.work = work
        self._set_state(state)

        async def life_cycle() -> None:
            try:
                await body(work)
            finally:
                if self.work is work:
                    self._end_work()

        self.task = asyncio.ensure_future(life_cycle())

    def _end_work(self) -> None:
        """The work is over: its thread has ended, the controller is idle again."""
        if self.work is not None:
            self.work.wait()
        self.work = self.task = None
        self._set_state(WorkState.IDLE)

    def is_current_pause(self, marker: Paused) -> bool:
        return self.work is not None and marker.resumes == self.work.resumes

    def shutdown(self) -> None:
        """Stop the work and wait for its thread (the window is closing); nothing reaches the window
        afterwards."""
        self.blockSignals(True)
        work, task = self.work, self.task
        if work is not None:
            work.stop_and_wait()
        if task is not None:
            task.cancel()
        self.work = self.task = None
