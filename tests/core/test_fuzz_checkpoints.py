"""Malformed checkpoints of every kind are refused with one clean line, before anything is allocated:
crafted configs, declared tensors that do not fit them, truncations, damaged metadata, NaN weights and
special files (issue: a crafted config made the loader build a 47 GiB model)."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import pixelrnn_core as prc
from pixelrnn_core.cli import main

from .crafted import (
    BUNDLED,
    diverged_checkpoint,
    make_fifo,
    rewrite_header,
    split_safetensors,
    with_config,
    with_header_length_starting,
    with_metadata_value,
)

HUGE_CONFIGS = [
    {"hidden": 10**4, "layers": 10**6, "kernel": 100001},
    {"hidden": 10**4},
    {"layers": 10**6},
    {"kernel": 100001},
    {"first_kernel": 100001},
    {"out_hidden": 10**7},
    {"hidden": 10**5, "out_hidden": 10**5},
    {"arch": "multiscale", "scale": 10**6},
    {"arch": "multiscale", "upsample_features": 10**7},
    {"cond_features": 10**7},
    {"output": "logistic_mixture", "mixtures": 10**8},
]
BAD_CONFIGS = [
    {"hidden": "24"},
    {"hidden": None},
    {"hidden": 24.5},
    {"hidden": -1},
    {"hidden": 0},
    {"layers": True},
    {"layers": 0},
    {"kernel": 4},
    {"levels": 10**6},
    {"levels": 1},
    {"arch": "transformer"},
    {"arch": ["row_lstm"]},
    {"residual": "yes"},
    {"channels": 0},
    {"channels": 4},
    {"channels": 10**5},
    {"surprise": 1},
    {"output": "mixture"},
    {"output": "logistic_mixture", "mixtures": 0},
]
BAD_METADATA = [
    ("config", "[1, 2]"),
    ("config", '"row_lstm"'),
    ("config", "null"),
    ("config", "{"),
    ("config", None),
    ("metadata", "[1, 2]"),
    ("metadata", "null"),
    ("metadata", '"text"'),
    ("kind", '"training-state"'),
    ("kind", None),
    ("format", None),
]


def refused(read, path, *phrases):
    with pytest.raises(prc.CheckpointError) as error:
        read(path)
    message = str(error.value)
    assert "\n" not in message and str(path) in message and "Traceback" not in message
    for phrase in phrases:
        assert phrase in message, message
    return message


@pytest.mark.parametrize("changes", HUGE_CONFIGS, ids=lambda c: ",".join(c))
def test_crafted_config_is_refused_before_the_model_is_built(tmp_path, changes, monkeypatch):
    path = with_config(BUNDLED, tmp_path / "crafted.safetensors", **changes)
    built = []
    monkeypatch.setattr(prc.io.checkpoints, "model_from_config", lambda config: built.append(config))
    refused(prc.load_checkpoint, path, "beyond the limit", "ModelLimits(")
    assert built == []


def test_a_user_can_raise_the_limits(tmp_path):
    path = tmp_path / "wide.safetensors"
    prc.save_checkpoint(path, prc.build_model("pixelcnn", channels=1, levels=4, hidden=12, layers=1, out_hidden=4))
    refused(lambda p: prc.load_checkpoint(p, limits=prc.ModelLimits(max_hidden=8)), path, "hidden=12")
    assert prc.load_checkpoint(path, limits=prc.ModelLimits(max_hidden=12)).config.hidden == 12
    refused(lambda p: prc.load_checkpoint(p, limits=prc.ModelLimits(max_parameters=100)), path, "parameters")


@pytest.mark.parametrize("changes", BAD_CONFIGS, ids=lambda c: ",".join(c))
def test_config_of_the_wrong_type_or_sense_is_refused(tmp_path, changes):
    path = with_config(BUNDLED, tmp_path / "bad.safetensors", **changes)
    refused(prc.load_checkpoint, path)
    refused(prc.checkpoint_metadata, path)


def test_config_within_limits_but_not_fitting_the_weights_is_refused_before_reading_them(tmp_path, monkeypatch):
    path = with_config(BUNDLED, tmp_path / "wider.safetensors", hidden=48)
    monkeypatch.setattr(prc.io.checkpoints, "read_tensors", lambda path: pytest.fail("weights were read"))
    refused(prc.load_checkpoint, path, "do not fit", "[96, 1, 7, 7]")


@pytest.mark.parametrize("edit", ["shape", "dtype", "drop", "extra", "not-an-entry"])
def test_declared_tensors_must_match_the_config(tmp_path, edit):
    def change(header):
        name = sorted(k for k in header if k != "__metadata__")[0]
        if edit == "shape":
            header[name]["shape"] = [1] + header[name]["shape"]
        elif edit == "dtype":
            header[name]["dtype"] = "F16"
        elif edit == "drop":
            del header[name]
        elif edit == "extra":
            header["surprise.weight"] = dict(header[name])
        else:
            header[name] = [1, 2]

    refused(prc.load_checkpoint, rewrite_header(BUNDLED, tmp_path / "edited.safetensors", change))


@pytest.mark.parametrize("key,value", BAD_METADATA, ids=lambda v: str(v))
def test_damaged_metadata_is_refused(tmp_path, key, value):
    path = with_metadata_value(BUNDLED, tmp_path / "damaged.safetensors", key, value)
    refused(prc.load_checkpoint, path)
    refused(prc.checkpoint_metadata, path)


def truncation_points(size: int, header: int) -> list[int]:
    return sorted({0, 1, 7, 8, 9, 100, header - 1, header + 7, header + 8, header + 9, (header + size) // 2, size - 1})


def test_truncated_checkpoints_are_called_truncated_or_damaged_never_a_pickle(tmp_path):
    data = with_header_length_starting(BUNDLED, tmp_path / "padded.safetensors", 0x80).read_bytes()
    header_size = len(data) - len(split_safetensors(data)[1])
    assert data[0] == 0x80  # the header length starts with the pickle opcode's byte, as it did in earlier bundled files
    for cut in truncation_points(len(data), header_size):
        path = tmp_path / f"cut-{cut}.safetensors"
        path.write_bytes(data[:cut])
        message = refused(prc.load_checkpoint, path)
        assert "pickle" not in message
        if cut >= 9:
            assert "truncated" in message or "damaged" in message, message


def test_random_bytes_and_flipped_header_bytes_are_refused(tmp_path):
    data = BUNDLED.read_bytes()
    header_size = len(data) - len(split_safetensors(data)[1])
    rng = np.random.default_rng(0)
    for index in range(12):
        path = tmp_path / f"noise-{index}.safetensors"
        path.write_bytes(rng.integers(0, 256, int(rng.integers(1, 4000)), dtype=np.uint8).tobytes())
        refused(prc.load_checkpoint, path)
    for index, position in enumerate(rng.integers(8, header_size, 12)):
        flipped = bytearray(data)
        flipped[position] ^= 0x5A
        path = tmp_path / f"flip-{index}.safetensors"
        path.write_bytes(bytes(flipped))
        try:
            prc.load_checkpoint(path)
        except prc.CheckpointError as error:
            assert "\n" not in str(error)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_weights_are_refused(tmp_path, value):
    refused(prc.load_checkpoint, diverged_checkpoint(tmp_path / "diverged.safetensors", value), "NaN or infinite")


def test_special_files_are_refused_without_blocking(tmp_path):
    refused(prc.load_checkpoint, make_fifo(tmp_path / "pipe.safetensors"), "FIFO")
    refused(prc.checkpoint_metadata, tmp_path / "pipe.safetensors", "FIFO")
    refused(prc.load_checkpoint, tmp_path, "folder")
    if os.path.exists("/dev/zero"):
        with pytest.raises(prc.CheckpointError, match="device"):
            prc.load_checkpoint("/dev/zero")


@pytest.mark.parametrize("command", ["sample", "complete", "eval"])
def test_cli_refuses_crafted_checkpoints_in_one_line(tmp_path, capsys, command):
    image = tmp_path / "image.png"
    prc.save_image(image, np.zeros((4, 4, 1), np.uint8))
    cases = [
        with_config(BUNDLED, tmp_path / "crafted.safetensors", hidden=10**4, layers=10**6, kernel=100001),
        with_metadata_value(BUNDLED, tmp_path / "list-metadata.safetensors", "metadata", "[1, 2]"),
        make_fifo(tmp_path / "pipe.safetensors"),
    ]
    cases.append(diverged_checkpoint(tmp_path / "nan.safetensors", math.nan, image_size=[4, 4]))
    for path in cases:
        argv = {
            "sample": ["sample", str(path), "--out", str(tmp_path / "out.png")],
            "complete": ["complete", str(path), str(image), "--mask", str(image), "--out", str(tmp_path / "out.png")],
            "eval": ["eval", str(path), str(image)],
        }[command]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err
    assert not (tmp_path / "out.png").exists()


def test_header_metadata_is_json_strings(tmp_path):
    """The crafted files above are valid safetensors files: only their pixelrnn metadata was changed."""
    path = with_config(BUNDLED, tmp_path / "crafted.safetensors", hidden=10**4)
    header, _ = split_safetensors(path.read_bytes())
    assert json.loads(header["__metadata__"]["config"])["hidden"] == 10**4
