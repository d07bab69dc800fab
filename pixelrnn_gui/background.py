"""The one place that runs long work (completion, inspection) off the GUI thread.

The core's long work is a plain generator that yields at every step (docs/design.md, "Principles").
``BackgroundWork`` iterates it on a QThread. It can pause between two steps (the generator simply stays suspended), run
until a condition holds (one pixel, one row), and stop. Steps reach the GUI thread in batches through
queued signals, at most one batch per ``FLUSH_SECONDS`` so a fast generator cannot flood the event
loop; the first step is sent at once so the user sees the work start. Widgets are never touched here.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

FLUSH_SECONDS = 0.02


def one_call(function: Callable[[], Any]) -> Iterable[Any]:
    """A generator of the single result of ``function()``, so one-shot work runs here too."""
    yield function()


class BackgroundWork(QThread):
    """Iterates ``steps`` on its own thread. Signals are delivered on the GUI thread."""

    produced = Signal(list)  # the steps made since the last batch, in order
    paused = Signal(int)  # how many resumes it had seen: a pause older than the last resume is stale
    completed = Signal()  # the generator ran out
    stopped = Signal()  # stop() ended it early
    failed = Signal(str)  # it raised; the message is one line

    def __init__(
        self, steps: Iterable[Any], on_stop: Callable[[], None] | None = None, paused: bool = False,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._steps = steps
        self._on_stop = on_stop
        self._condition = threading.Condition()
        self._advancing = not paused
        self.resumes = 0
        self._stop = False
        self._pause_when: Callable[[Any], bool] | None = None

    # ---- called from the GUI thread ---------------------------------------------------------
    def pause(self) -> None:
        """Stop after the current step, keeping the generator suspended."""
        with self._condition:
            self._advancing = False
            self._pause_when = None

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
            self._stop = True
            self._condition.notify_all()
        if self._on_stop is not None:
            self._on_stop()

    def stop_and_wait(self) -> None:
        self.stop()
        self.wait()

    # ---- the worker thread ------------------------------------------------------------------
    def run(self) -> None:
        batch: list[Any] = []
        last_flush = 0.0
        try:
            iterator = iter(self._steps)
            while True:
                with self._condition:
                    if not self._advancing and not self._stop:
                        if batch:
                            self.produced.emit(batch)
                            batch = []
                        self.paused.emit(self.resumes)
                        while not self._advancing and not self._stop:
                            self._condition.wait()
                    if self._stop:
                        break
                    pause_when = self._pause_when
                step = next(iterator, StopIteration)
                if step is StopIteration:
                    break
                batch.append(step)
                if pause_when is not None and pause_when(step):
                    with self._condition:
                        if self._pause_when is pause_when:
                            self._advancing = False
                            self._pause_when = None
                now = time.monotonic()
                if now - last_flush >= FLUSH_SECONDS:
                    self.produced.emit(batch)
                    batch, last_flush = [], now
        except Exception as error:  # noqa: BLE001 - every failure becomes a message in the window
            if batch:
                self.produced.emit(batch)
            self.failed.emit(describe_error(error))
            return
        if batch:
            self.produced.emit(batch)
        (self.stopped if self._stop else self.completed).emit()


def describe_error(error: BaseException) -> str:
    """A one-line message for an error raised by background work."""
    name = type(error).__name__
    text = str(error).strip().splitlines()[0] if str(error).strip() else name
    if name == "OutOfMemoryError" or "out of memory" in text.lower():
        return "The device ran out of memory. Try the CPU, fewer candidates or a smaller region."
    return text if isinstance(error, (ValueError, OSError)) else f"{name}: {text}"
