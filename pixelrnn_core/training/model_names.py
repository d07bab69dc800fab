"""What a model argument names, in the library as in every command: a checkpoint file, a run folder
(its best checkpoint, else its last) or a bundled model's name."""
from __future__ import annotations

import os
from pathlib import Path

from ..io.bundled import bundled_models
from .run_folder import RunFolder


def find_checkpoint(name_or_path: str | os.PathLike) -> Path:
    """The checkpoint file ``name_or_path`` names: a file as given; a run folder's best checkpoint, else
    its last; else the bundled model of that name (also when a folder of that name that is not a run,
    such as a dataset's, is in the way)."""
    if not os.fspath(name_or_path):  # Path("") is the working folder
        raise ValueError("the model's name or path is empty")
    path, models, run = Path(name_or_path), bundled_models(), RunFolder(name_or_path)
    if path.is_dir() and run.holds_run():
        found = run.model_checkpoint()
        if found is None:
            raise FileNotFoundError(f"{os.fspath(name_or_path)}: the run has saved no checkpoint yet")
        return found
    if path.exists() and not path.is_dir():
        return path
    if os.fspath(name_or_path) in models:
        return models[os.fspath(name_or_path)]
    names = ", ".join(models) or "none installed"
    if path.is_dir():
        raise FileNotFoundError(f"{os.fspath(name_or_path)}: a folder, but neither a run folder nor a bundled model ({names})")
    raise FileNotFoundError(f"{os.fspath(name_or_path)!r} is neither a file nor a bundled model ({names})")
