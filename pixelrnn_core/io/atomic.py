"""Atomic file writes: a file the user made is either the old one or the complete new one, never half."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Callable

# mkstemp creates files readable by their owner only; a file the user saves gets the usual mode.
# The umask can only be read by setting it, so it is read once, at import.
_UMASK = os.umask(0)
os.umask(_UMASK)
NEW_FILE_MODE = 0o666 & ~_UMASK


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(stream)`` on a temporary file beside ``path``, flush it to disk, then rename it over
    ``path``; on any failure the temporary file is removed and ``path`` is untouched. The folder must
    exist; ``path`` may not be a folder."""
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target}: a folder; give the name of a file to write (in it or elsewhere)")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(handle, NEW_FILE_MODE)
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """``data`` written to ``path`` atomically, creating its folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda out: out.write(data))


def atomic_write_json(path: str | os.PathLike, value: Any) -> None:
    """``value`` as indented JSON, written atomically."""
    atomic_write_bytes(path, (json.dumps(value, indent=2, sort_keys=True) + "\n").encode())
