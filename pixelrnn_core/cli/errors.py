"""How every command reports what it refuses: one line on stderr, exit code 2, never a traceback."""
from __future__ import annotations

import sys

from ..io.checkpoints import CheckpointError
from ..io.images import ImageFileError

# ValueError covers DataError, RunFolderError and every argument the library refuses; OSError covers
# unreadable or unwritable files, a full disk, special files and a run folder another process holds;
# MemoryError is the allocation an estimate did not foresee (numpy says how much it wanted).
USER_ERRORS = (OSError, ValueError, MemoryError, CheckpointError, ImageFileError)
EXIT_REFUSED = 2
EXIT_INTERRUPTED = 130  # what a shell reports for a command Ctrl-C stopped (128 + SIGINT)
EXIT_BROKEN_PIPE = 141  # ... and for one whose reader went away (128 + SIGPIPE)


def error_line(error: BaseException) -> str:
    """One line saying what went wrong: an OSError as "FILE: reason", anything else by its message."""
    if isinstance(error, OSError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def fail(command: str, error: BaseException) -> int:
    """Print ``error`` as the one-line refusal of ``command``; returns the exit code. A broken pipe is
    no refusal: it goes on to the command line's quiet exit."""
    if isinstance(error, BrokenPipeError):
        raise error
    print(f"pixelrnn {command}: error: {error_line(error)}", file=sys.stderr)
    return EXIT_REFUSED

