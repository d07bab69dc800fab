"""Multi-process training under ``torchrun``: the process group, this process's rank, and sums over
processes. Without torchrun everything here is the single-process identity."""
from __future__ import annotations

import os

import torch
import torch.distributed as dist

from ..devices import parse_device


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_environment(device: torch.device) -> None:
    """Join the process group torchrun describes: NCCL on CUDA, gloo on the CPU."""
    if launched_by_torchrun() and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")


def local_device(requested: str | None) -> torch.device:
    """The device this process trains on: ``requested``, or CUDA when available, else the CPU; under
    torchrun each process takes the GPU of its LOCAL_RANK."""
    if requested in (None, "auto"):
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    device = parse_device(requested)
    if device.type == "cuda" and device.index is None and launched_by_torchrun():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main_process() -> bool:
    return rank() == 0


def sum_over_processes(values: torch.Tensor) -> torch.Tensor:
    """``values`` summed over all processes (a copy on one process)."""
    if not dist.is_initialized():
        return values.clone()
    total = values.clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
