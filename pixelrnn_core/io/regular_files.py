"""Opening only regular files: a FIFO, socket or device given as a checkpoint, image or dataset would
block a read forever or never end, so it is refused before a byte is read."""
from __future__ import annotations

import os
import stat
from typing import BinaryIO


class NotARegularFile(OSError):
    """The path names a FIFO, socket, device or folder instead of a file."""


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def open_regular_file(path: str | os.PathLike) -> BinaryIO:
    """``path`` opened for binary reading, or :class:`NotARegularFile`. The file is opened without
    blocking and checked on the open descriptor, so it cannot be swapped for a FIFO in between."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(f"{os.fspath(path)}: {kind_of(mode)}, not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular_file(path: str | os.PathLike) -> bytes:
    """All bytes of the regular file ``path`` (see :func:`open_regular_file`)."""
    with open_regular_file(path) as handle:
        return handle.read()


def regular_file_size(path: str | os.PathLike) -> int:
    """The size of the regular file ``path``, read without opening it."""
    mode = os.stat(path)
    if not stat.S_ISREG(mode.st_mode):
        raise NotARegularFile(f"{os.fspath(path)}: {kind_of(mode.st_mode)}, not a regular file")
    return mode.st_size

