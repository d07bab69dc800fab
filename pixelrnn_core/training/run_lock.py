"""A run folder belongs to one process at a time: an exclusive OS lock on ``RUN_DIR/.lock``.

The lock is an advisory ``flock`` on an open file, so the operating system drops it when the holder
exits in any way, kill -9 included: a file a killed holder leaves behind is simply locked again. The
file holds the holder's process id, so a refused process can say who has the folder. A second attempt
from the same process (say, the app's Train panel twice) is refused too: flock locks belong to one
open file each. The holder removes the file when it releases the lock; whoever locked a file that was
removed meanwhile tries again on the new one, so two processes never hold two different files.
"""
from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

LOCK_NAME = ".lock"


class RunFolderBusy(OSError):
    """Another process (or another run in this one) is training into the folder."""


class RunLock:
    """The held lock of one run folder; :meth:`release` (or closing the process) frees it."""

    def __init__(self, folder: str | os.PathLike) -> None:
        """Take the lock of ``folder`` (created if needed), or raise :class:`RunFolderBusy` at once."""
        self._descriptor: int | None = None
        self.path = Path(folder) / LOCK_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._descriptor = lock_current_file(self.path)
        os.ftruncate(self._descriptor, 0)
        os.write(self._descriptor, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        """Free the folder: remove the lock file while still holding it, then let go."""
        if self._descriptor is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._descriptor)
            self._descriptor = None

    def __del__(self) -> None:
        self.release()


def lock_current_file(path: Path) -> int:
    """A descriptor of the file at ``path`` (created if needed) holding its exclusive lock."""
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(descriptor)
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise RunFolderBusy(f"{path.parent}: {holder_description(path)} is training into this run folder") from None
        if same_file(descriptor, path):
            return descriptor
        os.close(descriptor)  # its holder removed it while we waited for it: lock the new one


def same_file(descriptor: int, path: Path) -> bool:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (opened.st_dev, opened.st_ino) == (found.st_dev, found.st_ino)


def holder_description(path: Path) -> str:
    """"process 1234" from the lock file, or "another process" while the holder is still writing it."""
    try:
        pid = path.read_text().strip()
    except OSError:
        pid = ""
    if not pid.isdigit():
        return "another process"
    return "this process (another run)" if int(pid) == os.getpid() else f"process {pid}"
