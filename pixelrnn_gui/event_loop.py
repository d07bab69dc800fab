"""The app's asyncio loop: qasync's ``QEventLoop``, which runs asyncio's callbacks and tasks inside
Qt's own event loop, so controllers can be coroutines and widgets stay on the GUI thread."""
from __future__ import annotations

import asyncio

import qasync
from PySide6.QtWidgets import QApplication


def app_loop(app: QApplication) -> asyncio.AbstractEventLoop:
    """The running qasync loop if Qt's loop already runs one (an app embedded in a host or a test),
    else a new one, set as asyncio's loop; run it with ``run_forever`` (that runs ``app.exec()``)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        return loop


def loop_inside_qt(app: QApplication) -> asyncio.AbstractEventLoop:
    """A qasync loop that counts as running from now on, for code that spins Qt's event loop itself
    (pytest-qt's waits): asyncio tasks then run whenever Qt processes events."""
    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    return loop
