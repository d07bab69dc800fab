"""Model checkpoints as safetensors files: the weights, plus the model config and free-form metadata
as JSON strings in the safetensors header. Loading never unpickles: anything that is not such a file
(a torch.save pickle or zip, a foreign safetensors file, a damaged file) is refused with a
:class:`CheckpointError` that names the file."""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, BinaryIO

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors_from_bytes
from safetensors.torch import save as tensors_to_bytes
from torch import nn

from ..devices import parse_device
from ..models.config import ModelConfig
from ..models.registry import model_from_config
from .atomic import atomic_write_bytes
from .model_limits import DEFAULT_LIMITS, ModelLimits
from .regular_files import NotARegularFile, open_regular_file

FORMAT = "pixelrnn-checkpoint"
FORMAT_VERSION = "1"
MAX_HEADER_BYTES = 100_000_000
MODEL_KIND = "model"
SAFETENSORS_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


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


def looks_like_pickle(head: bytes) -> bool:
    """Whether ``head`` starts like a pickle of protocol 2 or later (the PROTO opcode and its number)."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def describe_foreign(head: bytes) -> str:
    """Why a file with these first bytes is not a safetensors file."""
    if not head:
        return "it is empty"
    if looks_like_pickle(head):
        return "it is a Python pickle (pixelrnn never unpickles files)"
    if head[:4] == b"PK\x03\x04":
        return "it is a zip archive, e.g. a torch.save file (pixelrnn never unpickles files)"
    return "it is not a safetensors file"


def open_checkpoint_file(path: Path) -> BinaryIO:
    try:
        return open_regular_file(path)
    except NotARegularFile as error:
        raise CheckpointError(f"{path}: not a checkpoint: {str(error).split(': ', 1)[-1]}") from None
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read checkpoint ({error.strerror or error})") from None


def read_safetensors_header(path: Path) -> dict[str, Any]:
    """The whole JSON header of the safetensors file ``path`` (tensor names, dtypes, shapes and the
    ``__metadata__``), read without reading any tensor."""
    with open_checkpoint_file(path) as handle:
        try:
            head = handle.read(9)
            file_size = os.fstat(handle.fileno()).st_size
            size = struct.unpack("<Q", head[:8])[0] if len(head) >= 8 else 0
            if head[8:9] == b"{" and 2 <= size <= MAX_HEADER_BYTES and size > file_size - 8:
                raise CheckpointError(f"{path}: truncated checkpoint (its header alone needs {size + 8} bytes, the file has {file_size})")
            if not 2 <= size <= min(MAX_HEADER_BYTES, file_size - 8):
                raise CheckpointError(f"{path}: not a pixelrnn checkpoint: {describe_foreign(head)}")
            text = head[8:] + handle.read(size - 1)
        except OSError as error:
            raise CheckpointError(f"{path}: cannot read checkpoint ({error.strerror or error})") from None
    try:
        header = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(f"{path}: not a pixelrnn checkpoint: {describe_foreign(head)}") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: not a pixelrnn checkpoint: {describe_foreign(head)}")
    return header


def pixelrnn_metadata(path: Path, header: dict[str, Any]) -> dict[str, str]:
    """The pixelrnn part of a safetensors header, or a CheckpointError for a foreign file."""
    metadata = header.get("__metadata__")
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path}: a safetensors file, but not a pixelrnn checkpoint (no pixelrnn config)")
    return metadata


def read_header(path: Path) -> dict[str, Any]:
    """The safetensors header metadata of ``path``, checked to be a pixelrnn checkpoint."""
    return pixelrnn_metadata(path, read_safetensors_header(path))


def header_value(path: Path, metadata: dict[str, str], key: str, kind: type | None = None) -> Any:
    """The JSON value stored under ``key``; with ``kind``, it must be of that type."""
    try:
        value = json.loads(metadata[key])
    except (KeyError, TypeError, json.JSONDecodeError):
        raise CheckpointError(f"{path}: damaged pixelrnn checkpoint (missing or bad {key!r})") from None
    if kind is not None and not isinstance(value, kind):
        raise CheckpointError(f"{path}: damaged pixelrnn checkpoint ({key!r} is a {type(value).__name__}, not a {kind.__name__})")
    return value


def stored_config(path: Path, metadata: dict[str, str]) -> ModelConfig:
    """The model config a checkpoint stores, checked for types and sense (not yet for size)."""
    try:
        return ModelConfig.from_dict(header_value(path, metadata, "config", dict))
    except ValueError as error:
        raise CheckpointError(f"{path}: damaged pixelrnn checkpoint (bad config: {error})") from None


def bounded_layout(path: Path, config: ModelConfig, limits: ModelLimits) -> dict[str, tuple[str, list[int]]]:
    """The weights ``config`` needs (see :func:`expected_layout`), once its sizes are within ``limits``."""
    try:
        limits.check_config(config)
        return expected_layout(config, limits)
    except ValueError as error:
        raise CheckpointError(f"{path}: refused model config: {error}") from None


def expected_layout(config: ModelConfig, limits: ModelLimits = DEFAULT_LIMITS) -> dict[str, tuple[str, list[int]]]:
    """Name -> (safetensors dtype, shape) of every weight the model of ``config`` has, found by building
    it on the meta device: no memory is allocated for a single weight."""
    with torch.device("meta"):
        model = model_from_config(config)
    limits.check_parameters(sum(p.numel() for p in model.parameters()))
    return {name: (SAFETENSORS_DTYPES.get(t.dtype, str(t.dtype)), list(t.shape)) for name, t in model.state_dict().items()}


def file_layout(header: dict[str, Any], prefix: str = "") -> dict[str, tuple[Any, Any]]:
    """Name -> (dtype, shape) of the tensors a safetensors header declares (only names under ``prefix``)."""
    return {
        name[len(prefix):]: (entry.get("dtype"), entry.get("shape")) if isinstance(entry, dict) else (None, None)
        for name, entry in header.items()
        if name != "__metadata__" and name.startswith(prefix)
    }


def check_layout(path: Path, expected: dict[str, tuple[str, list[int]]], found: dict[str, tuple[Any, Any]]) -> None:
    """A CheckpointError unless the file declares exactly the weights the config needs."""
    missing, unexpected = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing or unexpected:
        detail = f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}"
        count = len(missing) + len(unexpected)
        raise CheckpointError(f"{path}: weights do not fit the stored config ({detail}{f' and {count - 1} more' if count > 1 else ''})")
    for name, (dtype, shape) in expected.items():
        if tuple(found[name]) != (dtype, shape):
            raise CheckpointError(
                f"{path}: weights do not fit the stored config ({name}: the file has {found[name][1]} {found[name][0]}, "
                f"the config needs {shape} {dtype})"
            )


def first_non_finite(tensors: dict[str, torch.Tensor]) -> str | None:
    """The name of the first floating-point tensor with NaN or infinite values, or None."""
    return next((name for name, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())), None)


def check_finite(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    """A CheckpointError naming the first weight with NaN or infinite values (a diverged training)."""
    name = first_non_finite(tensors)
    if name is not None:
        raise CheckpointError(f"{path}: weight {name} holds NaN or infinite values (a diverged training?); refusing it")


def read_tensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All tensors (on the CPU) and the header metadata of a pixelrnn safetensors file."""
    metadata = read_header(path)
    with open_checkpoint_file(path) as handle:
        try:
            tensors = load_tensors_from_bytes(handle.read())
        except (SafetensorError, OSError, ValueError, RuntimeError) as error:
            raise CheckpointError(f"{path}: damaged checkpoint ({str(error).splitlines()[0]})") from None
    return tensors, metadata


def json_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` as JSON values (settings objects as their dicts); a ValueError names a value that is not."""
    if "config" in metadata:
        raise ValueError("checkpoint metadata may not be named 'config': that name holds the model's config")
    values = {key: value.to_dict() if hasattr(value, "to_dict") else value for key, value in metadata.items()}
    for key, value in values.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise ValueError(f"checkpoint metadata {key!r} is not JSON (a {type(value).__name__})") from None
    return values


def save_checkpoint(path: str | os.PathLike, model: nn.Module, **metadata: Any) -> None:
    """Write ``model``'s weights (as float32, whatever precision the model is in) with its config and
    ``metadata`` (JSON-able values: data spec, step, bits_per_dim, ...; any name but ``config``, which
    names the model's) to ``path`` as safetensors, atomically. Weights with NaN or infinite values are
    refused, as loading would refuse them."""
    config = getattr(model, "config", None)
    if not isinstance(config, ModelConfig):
        raise TypeError(f"a {type(model).__name__} is not a pixelrnn model (make one with build_model or load_checkpoint)")
    header = {"kind": MODEL_KIND, "config": config.to_dict(), "metadata": json_metadata(metadata)}
    weights = {name: t.float() if t.is_floating_point() else t for name, t in cpu_tensors(model.state_dict()).items()}
    name = first_non_finite(weights)
    if name is not None:
        raise ValueError(f"weight {name} holds NaN or infinite values; not saved (a load would refuse it)")
    write_safetensors(path, weights, header)


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
    config = stored_config(path, header)
    return {**header_value(path, header, "metadata", dict), "config": config.to_dict()}


def load_checkpoint(
    path: str | os.PathLike, device: str | torch.device | None = "cpu", limits: ModelLimits = DEFAULT_LIMITS
) -> nn.Module:
    """The model saved at ``path`` on ``device``, in eval mode. Never unpickles anything. Before a weight
    is read or built, the stored config is checked against ``limits`` and the shapes and dtypes the
    file declares against the ones that config needs; weights with NaN or infinite values are refused."""
    path = Path(path)
    header = read_safetensors_header(path)
    metadata = pixelrnn_metadata(path, header)
    check_model_kind(path, metadata)
    header_value(path, metadata, "metadata", dict)
    config = stored_config(path, metadata)
    check_layout(path, bounded_layout(path, config, limits), file_layout(header))
    tensors, _ = read_tensors(path)
    check_finite(path, tensors)
    model = model_from_config(config)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as error:  # the file changed since its header was checked
        raise CheckpointError(f"{path}: weights do not fit the stored config ({str(error).splitlines()[0]})") from None
    return model.to(parse_device("cpu" if device is None else device)).eval()
