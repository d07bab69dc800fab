"""Everything a stopped run needs to continue exactly: model weights, optimizer state, grad-scaler
state, the moving average of the weights (if the run keeps one), RNG states and the run's progress,
in one safetensors file (tensors) with a JSON header (everything else). Written atomically; read
without unpickling."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..io.checkpoints import CheckpointError, cpu_tensors, header_value, read_tensors, write_safetensors

MODEL_PREFIX = "model."
OPTIMIZER_PREFIX = "optimizer."
AVERAGE_PREFIX = "average."
CPU_RNG = "rng.cpu"
CUDA_RNG_PREFIX = "rng.cuda."
STATE_KIND = "training-state"


def optimizer_tensors_and_header(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The optimizer's state tensors by name, and its non-tensor state and param groups as JSON data."""
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for param_id, values in state["state"].items():
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"{OPTIMIZER_PREFIX}{param_id}.{key}"] = value
            else:
                scalars.setdefault(str(param_id), {})[key] = value
    return cpu_tensors(tensors), {"param_groups": state["param_groups"], "scalars": scalars}


def optimizer_state(tensors: dict[str, torch.Tensor], header: dict[str, Any]) -> dict[str, Any]:
    """The optimizer state_dict rebuilt from :func:`optimizer_tensors_and_header`'s two halves."""
    state: dict[int, dict[str, Any]] = {}
    for name, tensor in tensors.items():
        if name.startswith(OPTIMIZER_PREFIX):
            param_id, key = name[len(OPTIMIZER_PREFIX):].split(".", 1)
            state.setdefault(int(param_id), {})[key] = tensor
    for param_id, values in header["scalars"].items():
        state.setdefault(int(param_id), {}).update(values)
    groups = [dict(group, betas=tuple(group["betas"])) if "betas" in group else group for group in header["param_groups"]]
    return {"state": state, "param_groups": groups}


def prefixed(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors whose names start with ``prefix``, by the rest of their names."""
    return {name[len(prefix):]: tensor for name, tensor in tensors.items() if name.startswith(prefix)}


def save_training_state(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    progress: dict[str, Any],
    scaler: torch.amp.GradScaler | None = None,
    average: nn.Module | None = None,
) -> None:
    """Write the resumable state of a run to ``path`` atomically; ``average`` is the run's moving
    average of the weights (:mod:`.averaging`), if it keeps one."""
    tensors = cpu_tensors(model.state_dict(), MODEL_PREFIX)
    if average is not None:
        tensors.update(cpu_tensors(average.state_dict(), AVERAGE_PREFIX))
    optimizer_tensors, optimizer_header = optimizer_tensors_and_header(optimizer)
    tensors.update(optimizer_tensors)
    tensors[CPU_RNG] = torch.get_rng_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for index, rng in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"{CUDA_RNG_PREFIX}{index}"] = rng
    header = {
        "kind": STATE_KIND,
        "config": model.config.to_dict(),
        "progress": progress,
        "optimizer": optimizer_header,
        "scaler": scaler.state_dict() if scaler is not None else {},
    }
    write_safetensors(path, tensors, header)


def load_training_state(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None = None,
    average: nn.Module | None = None,
) -> dict[str, Any]:
    """Restore ``model``, ``optimizer``, ``scaler``, ``average`` and the RNGs from ``path``; return
    the progress."""
    path = Path(path)
    tensors, header = read_tensors(path)
    weights = prefixed(tensors, MODEL_PREFIX)
    device = next(model.parameters()).device
    try:
        model.load_state_dict(weights, strict=True)
        if average is not None:
            average.load_state_dict(prefixed(tensors, AVERAGE_PREFIX), strict=True)
        optimizer.load_state_dict(optimizer_state(tensors, header_value(path, header, "optimizer")))
    except (ValueError, KeyError, RuntimeError) as error:
        raise CheckpointError(f"{path}: training state does not fit this run ({str(error).splitlines()[0]})") from None
    model.to(device)
    if scaler is not None and header_value(path, header, "scaler"):
        scaler.load_state_dict(header_value(path, header, "scaler"))
    torch.set_rng_state(tensors[CPU_RNG])
    cuda_states = [tensors[k] for k in sorted(tensors) if k.startswith(CUDA_RNG_PREFIX)]
    if cuda_states and torch.cuda.is_available() and len(cuda_states) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda_states)
    return header_value(path, header, "progress")
