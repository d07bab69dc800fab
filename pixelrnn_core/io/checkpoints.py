"""Model checkpoints as safetensors files: the weights, plus the model config and free-form metadata
as JSON strings in the safetensors header. Loading never unpickles: anything that is not such a file
(a torch.save pickle or zip, a foreign safetensors file, a damaged file) is refused with a
:class:`CheckpointError` that names the file."""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors_from_bytes
from safetensors.torch import save as tensors_to_bytes
from torch import nn

from ..models.config import ModelConfig
from ..models.registry import model_from_config
from .atomic import atomic_write_bytes

FORMAT = "pixelrnn-checkpoint"
FORMAT_VERSION = "1"
MAX_HEADER_BYTES = 100_000_000
MODEL_KIND = "model"


class CheckpointError(ValueError):
    """A file that is not a usable pixelrnn checkpoint; the message is one line naming the file."""


def cpu_tensors(state: dict[str, torch.Tensor], prefix: str = "") -> dict[str, torch.Tensor]:
    """Detached, contiguous CPU copies (safetensors refuses tensors that share memory)."""
    return {prefix + name: tensor.detach().to("cpu").contiguous().clone() for name, tensor in state.items()}


def write_safetensors(path: str | os.PathLike, tensors: dict[str, torch.Tensor], header: dict[str, Any]) -> None:
    """``tensors`` with each ``header`` value stored as a JSON string, written atomically."""
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION}
    metadata.update({key: json.dumps(value) for key, value in header.items()})
    atomic_write_bytes(path, tensors_to_bytes(tensors, metadata=metadata))


def describe_foreign(head: bytes) -> str:
    """Why a file with these first bytes is not a safetensors file."""
    if not head:
        return "it is empty"
    if head[:1] == b"\x80":
        return "it is a Python pickle (pixelrnn never unpickles files)"
    if head[:4] == b"PK\x03\x04":
        return "it is a zip archive, e.g. a torch.save file (pixelrnn never unpickles files)"
    return "it is not a safetensors file"


def read_header(path: Path) -> dict[str, Any]:
    """The safetensors JSON header of ``path``, checked to be a pixelrnn checkpoint."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            size = struct.unpack("<Q", head)[0] if len(head) == 8 else 0
            if not 2 <= size <= min(MAX_HEADER_BYTES, path.stat().st_size - 8):
                raise CheckpointError(f"{path}: not a pixelrnn checkpoint: {describe_foreign(head)}")
            text = handle.read(size)
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read checkpoint ({error.strerror or error})") from None
    try:
        header = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(f"{path}: not a pixelrnn checkpoint: {describe_foreign(head)}") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path}: a safetensors file, but not a pixelrnn checkpoint (no pixelrnn config)")
    return metadata


def header_value(path: Path, metadata: dict[str, str], key: str) -> Any:
    try:
        return json.loads(metadata[key])
    except (KeyError, json.JSONDecodeError):
        raise CheckpointError(f"{path}: damaged pixelrnn checkpoint (missing or bad {key!r})") from None


def read_tensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All tensors (on the CPU) and the header metadata of a pixelrnn safetensors file."""
    metadata = read_header(path)
    try:
        tensors = load_tensors_from_bytes(path.read_bytes())
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"{path}: damaged checkpoint ({str(error).splitlines()[0]})") from None
    return tensors, metadata


def save_checkpoint(path: str | os.PathLike, model: nn.Module, **metadata: Any) -> None:
    """Write ``model``'s weights with its config and ``metadata`` (JSON-able values: data spec, step,
    bits_per_dim, ...) to ``path`` as safetensors, atomically."""
    header = {"kind": MODEL_KIND, "config": model.config.to_dict(), "metadata": metadata}
    write_safetensors(path, cpu_tensors(model.state_dict()), header)


def check_model_kind(path: Path, header: dict[str, str]) -> None:
    """Refuse pixelrnn files that hold something other than a model (e.g. a run's training state)."""
    kind = header_value(path, header, "kind")
    if kind != MODEL_KIND:
        raise CheckpointError(f"{path}: a pixelrnn {kind} file, not a model checkpoint (use last.safetensors or best.safetensors)")


def checkpoint_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """``{"config": <ModelConfig dict>, **metadata}`` of a checkpoint, read without loading weights."""
    path = Path(path)
    header = read_header(path)
    check_model_kind(path, header)
    return {"config": header_value(path, header, "config"), **header_value(path, header, "metadata")}


def model_from_tensors(path: Path, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> nn.Module:
    """The model ``config`` describes, with ``tensors`` as its weights."""
    try:
        model = model_from_config(ModelConfig.from_dict(config))
        model.load_state_dict(tensors, strict=True)
    except (ValueError, TypeError, RuntimeError) as error:
        raise CheckpointError(f"{path}: weights do not fit the stored config ({str(error).splitlines()[0]})") from None
    return model


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """The model saved at ``path`` on ``device``, in eval mode. Never unpickles anything."""
    path = Path(path)
    tensors, header = read_tensors(path)
    check_model_kind(path, header)
    model = model_from_tensors(path, header_value(path, header, "config"), tensors)
    return model.to(device).eval()
