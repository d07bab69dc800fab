"""The files of one training run: its config, metrics (JSON lines), checkpoints and training state.

    RUN_DIR/run.json                    data spec, model config, training settings, data report
    RUN_DIR/metrics.jsonl               one JSON object per line: {"kind": "train"|"validation", ...}
    RUN_DIR/last.safetensors            latest weights        (prc.load_checkpoint reads these)
    RUN_DIR/best.safetensors            best validation bits/dim so far (the run's model; "last" without
                                        a validation set)
    RUN_DIR/checkpoints/step-N.safetensors   every checkpoint_every steps
    RUN_DIR/training-state.safetensors  optimizer, RNG and progress for --resume
    RUN_DIR/.lock                       held by the process training into the folder (see .run_lock)
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..io.atomic import atomic_write_bytes, atomic_write_json
from ..io.model_limits import DEFAULT_LIMITS
from .run_config import RunConfig

SECTIONS = ("data", "model", "training")


class RunFolderError(ValueError):
    """A run folder whose run.json is missing parts, of the wrong shape or not JSON at all."""


class RunFolder:
    """Paths and small files of a run folder."""

    def __init__(self, path: str | Path) -> None:
        if not str(path):  # Path("") is the working folder: an unset shell variable would train into it
            raise ValueError("the run folder's path is empty")
        self.path = Path(path).expanduser()

    def enclosing_run(self) -> Path | None:
        """The run folder this folder lies inside, if any."""
        return next((parent for parent in self.path.absolute().parents if RunFolder(parent).holds_run()), None)

    @property
    def config_path(self) -> Path:
        return self.path / "run.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def state_path(self) -> Path:
        return self.path / "training-state.safetensors"

    def checkpoint_path(self, kind: str, step: int = 0) -> Path:
        """``last``/``best`` weights, or the ``step`` checkpoint of the given step."""
        if kind == "step":
            return self.path / "checkpoints" / f"step-{step:08d}.safetensors"
        return self.path / f"{kind}.safetensors"

    def model_checkpoint(self) -> Path | None:
        """The checkpoint the run leaves to use: its best (validation) weights, else its last ones; None
        before the first save."""
        for kind in ("best", "last"):
            path = self.checkpoint_path(kind)
            if path.is_file():
                return path
        return None

    def holds_run(self) -> bool:
        return self.config_path.is_file()

    def write_config(self, config: RunConfig, data_report: dict[str, Any]) -> None:
        """run.json: what the run trains, and what was read from the data (counts, skipped files)."""
        atomic_write_json(self.config_path, {**config.to_dict(), "data_report": data_report})

    def read_config(self) -> RunConfig:
        """run.json, checked: JSON objects for the data, model and training sections, values of the
        right types, and model sizes within the default :class:`ModelLimits`."""
        if not self.holds_run():
            raise FileNotFoundError(f"{self.path}: not a run folder (no run.json)")
        try:
            config = json.loads(self.config_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RunFolderError(f"{self.config_path}: damaged run file, not JSON ({error})") from None
        if not isinstance(config, dict):
            raise RunFolderError(f"{self.config_path}: damaged run file (a {type(config).__name__}, not a JSON object)")
        for section in SECTIONS:
            if not isinstance(config.get(section), dict):
                found = "missing" if section not in config else f"a {type(config[section]).__name__}"
                raise RunFolderError(f"{self.config_path}: damaged run file ({section!r} is {found}, not a JSON object)")
        try:
            run_config = RunConfig.from_dict(config)
            DEFAULT_LIMITS.check_config(run_config.model)
        except ValueError as error:
            raise RunFolderError(f"{self.config_path}: damaged run file ({error})") from None
        return run_config

    def read_data_report(self) -> dict[str, Any]:
        """What run.json says was read from the data when the run started (empty if it says nothing)."""
        report = json.loads(self.config_path.read_text(encoding="utf-8")).get("data_report")
        return report if isinstance(report, dict) else {}

    def append_metrics(self, record: dict[str, Any]) -> None:
        with self.metrics_path.open("a") as out:
            out.write(json.dumps(record) + "\n")

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every complete metrics record (a line cut short by a kill is ignored)."""
        if not self.metrics_path.is_file():
            return []
        records = []
        for line in self.metrics_path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return records

    def remove_partial_writes(self) -> None:
        """Delete temporary files a killed run left behind mid-write (see :mod:`.files`)."""
        for folder in (self.path, self.path / "checkpoints"):
            if folder.is_dir():
                for partial in folder.glob(".*.tmp"):
                    partial.unlink(missing_ok=True)

    def keep_metrics_until(self, step: int, validated: bool) -> None:
        """Drop records a resumed run will write again: those after ``step``, and a validation at
        ``step`` itself unless the saved state includes it (``validated``)."""
        kept = [
            r
            for r in self.read_metrics()
            if r.get("step", 0) < step
            or (r.get("step", 0) == step and (validated or r.get("kind") != "validation"))
        ]
        atomic_write_bytes(self.metrics_path, "".join(json.dumps(r) + "\n" for r in kept).encode())
