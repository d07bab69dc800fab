"""What a command's CHECKPOINT argument names: a checkpoint file, a bundled model's name, or a run
folder, whose model is its best checkpoint (else its last)."""
from __future__ import annotations

from pathlib import Path

from ..io.bundled import find_checkpoint
from ..training.run_folder import RunFolder

CHECKPOINT_HELP = "a checkpoint file, a run folder (its best checkpoint) or a bundled model's name"


def checkpoint_file(value: str) -> Path:
    """The checkpoint file ``value`` names; a run folder without a checkpoint yet is refused."""
    path = find_checkpoint(value)
    folder = RunFolder(path)
    if path.is_dir() and folder.holds_run():
        found = folder.model_checkpoint()
        if found is None:
            raise FileNotFoundError(f"{value}: the run has saved no checkpoint yet")
        return found
    return path
