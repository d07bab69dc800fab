"""Malformed inputs for the fuzz tests: checkpoints with a rewritten header, and special files."""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, Callable

import pixelrnn_core as prc
from pixelrnn_core.io import checkpoints

BUNDLED = Path(__file__).resolve().parents[2] / "resources" / "models" / "fashion-mnist.safetensors"


def split_safetensors(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The JSON header and the tensor bytes of a safetensors file."""
    size = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8 : 8 + size]), data[8 + size :]


def join_safetensors(header: dict[str, Any], body: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def with_header_length_starting(source: Path, target: Path, first_byte: int) -> Path:
    """``source`` with its JSON header padded by spaces (which safetensors allows) until the header
    length's first (little-endian) byte is ``first_byte``."""
    header, body = split_safetensors(source.read_bytes())
    text = json.dumps(header).encode()
    text += b" " * ((first_byte - len(text)) % 256)
    target.write_bytes(struct.pack("<Q", len(text)) + text + body)
    return target


def rewrite_header(source: Path, target: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """``source`` copied to ``target`` with its header passed through ``change`` (in place)."""
    header, body = split_safetensors(source.read_bytes())
    change(header)
    target.write_bytes(join_safetensors(header, body))
    return target


def with_config(source: Path, target: Path, **changes: Any) -> Path:
    """``source`` with its stored model config updated by ``changes`` (the weights untouched)."""

    def change(header: dict[str, Any]) -> None:
        config = json.loads(header["__metadata__"]["config"])
        config.update(changes)
        header["__metadata__"]["config"] = json.dumps(config)

    return rewrite_header(source, target, change)


def with_metadata_value(source: Path, target: Path, key: str, value_json: str | None) -> Path:
    """``source`` with the JSON string stored under ``key`` replaced (None: removed)."""

    def change(header: dict[str, Any]) -> None:
        if value_json is None:
            header["__metadata__"].pop(key, None)
        else:
            header["__metadata__"][key] = value_json

    return rewrite_header(source, target, change)


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def png_declaring(path: Path, width: int, height: int) -> Path:
    """A PNG whose header declares ``width`` x ``height`` grey pixels but holds almost no data: the
    shape of a decompression bomb, without the bomb."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    path.write_bytes(data)
    return path


def diverged_checkpoint(target: Path, value: float, **metadata: Any) -> Path:
    """A tiny grey model's checkpoint whose first weight holds ``value`` (NaN or infinite), written as
    a training that diverged would have written it (save_checkpoint itself refuses such weights)."""
    model = prc.build_model("pixelcnn", channels=1, levels=4, hidden=4, layers=1, out_hidden=4)
    weights = checkpoints.cpu_tensors(model.state_dict())
    next(iter(weights.values()))[0].fill_(value)
    header = {"kind": checkpoints.MODEL_KIND, "config": model.config.to_dict(), "metadata": metadata}
    checkpoints.write_safetensors(target, weights, header)
    return target
