"""Requests the machine cannot hold are refused up front with the figure they would need, library
arguments are checked in our words, and a completion with nothing to fill returns at once."""
from __future__ import annotations

import gzip
import io
import struct
import zipfile

import numpy as np
import pytest

import pixelrnn_core as prc
from pixelrnn_core import memory
from pixelrnn_core.cli import main

from .datafiles import write_idx, write_image_folder

TINY = dict(channels=3, levels=4, hidden=3, layers=1, out_hidden=3)


def one_line_refusal(capsys, command) -> str:
    assert main(command) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("pixelrnn ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["sample", "fashion-mnist", "--size", "100000", "100000"],
        ["sample", "fashion-mnist", "--samples", "1000000"],
        ["complete", "fashion-mnist", "IMAGE", "--mask", "MASK", "--samples", "100000000"],
    ],
)
def test_huge_samples_are_refused_with_the_memory_they_need(tmp_path, capsys, command):
    image, mask = tmp_path / "image.png", tmp_path / "mask.png"
    prc.save_image(image, np.zeros((28, 28, 1), np.uint8))
    prc.save_image(mask, np.full((28, 28, 1), 255, np.uint8))
    files = {"IMAGE": str(image), "MASK": str(mask)}
    command = [files.get(part, part) for part in command] + ["--out", str(tmp_path / "o.png")]
    line = one_line_refusal(capsys, command)
    assert "would need about" in line and "iB" in line


def test_a_checkpoint_claiming_a_huge_training_size_is_refused_by_sample(tmp_path, capsys):
    model = prc.build_model("pixelcnn", **TINY)
    for size in ([10**6, 10**6], [0, 4], "big", [1.5, 2], [3]):
        prc.save_checkpoint(tmp_path / "m.safetensors", model, image_size=size)
        line = one_line_refusal(capsys, ["sample", str(tmp_path / "m.safetensors"), "--out", str(tmp_path / "o.png")])
        assert "would need" in line or "image_size" in line


def test_training_at_a_huge_size_is_refused_before_reading(tmp_path, capsys):
    write_image_folder(tmp_path / "images", 2, 4)
    line = one_line_refusal(capsys, ["train", str(tmp_path / "images"), "--arch", "pixelcnn", "--size", "100000",
                                     "--small", "upscale", "--out", str(tmp_path / "run")])
    assert "2 image(s) of 100000x100000x3 would need about" in line
    assert not (tmp_path / "run").exists()


def idx_bomb(path, promised_images, side, written_images):
    """A gzipped IDX file whose header promises far more images than its (zero) data holds."""
    with gzip.open(path, "wb") as out:
        out.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", promised_images, side, side))
        out.write(bytes(written_images * side * side))
    return path


def test_an_idx_gzip_bomb_is_refused_from_its_header_and_limit_reads_only_what_it_needs(tmp_path, monkeypatch):
    path = idx_bomb(tmp_path / "bomb-idx3-ubyte.gz", 10**9, 100, 20)
    with pytest.raises(ValueError, match="1000000000 image"):
        prc.load_images(prc.DatasetSpec(str(path)))
    read = []
    original = gzip.GzipFile.read
    monkeypatch.setattr(gzip.GzipFile, "read", lambda self, size=-1: read.append(size) or original(self, size))
    assert prc.load_images(prc.DatasetSpec(str(path), limit=10)).images.shape == (10, 100, 100, 1)
    assert sum(read) < 11 * 100 * 100 and -1 not in read


def test_an_npz_whose_header_declares_a_huge_array_is_refused_before_unpacking(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10**9, 3072)})
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.npy", header.getvalue())
    with pytest.raises(ValueError, match=r"shape \(1000000000, 3072\) would need about 2.8 TiB"):
        prc.load_images(prc.DatasetSpec(str(tmp_path / "bomb.npz")))


def test_idx_data_beyond_what_the_header_promises_is_refused(tmp_path):
    path = write_idx(tmp_path / "images-idx3-ubyte", np.zeros((3, 4, 4), np.uint8))
    path.write_bytes(path.read_bytes() + b"\0" * 16)
    with pytest.raises(prc.DataError, match="promises"):
        prc.load_images(prc.DatasetSpec(str(path)))


def test_memory_estimates_grow_with_the_request():
    config = prc.ModelConfig("row_lstm", channels=1, levels=256, hidden=24, layers=3, out_hidden=64)
    memory.check_completion_memory(config, 8, [(28, 28)])
    memory.check_completion_memory(config, 8, [(64, 64)] * 1000, (3000, 4000))  # many small windows of a photo
    with pytest.raises(prc.MemoryRequestError, match="TiB"):
        memory.check_completion_memory(config, 8, [(10**5, 10**5)])
    with pytest.raises(prc.MemoryRequestError, match="10000000 sample"):
        memory.check_completion_memory(config, 10**7, [(1, 1)], (1000, 1000))
    with pytest.raises(prc.MemoryRequestError, match="training batches of 16"):
        memory.check_training_memory(config, 16, 10**5, 10**5)


@pytest.fixture(scope="module")
def model():
    return prc.build_model("pixelcnn", **TINY)


BAD_CALLS = [
    (dict(seed=-1), "seed must be a non-negative integer"),
    (dict(seed=1.5), "seed"),
    (dict(seed="0"), "seed"),
    (dict(image=np.zeros((0, 0, 3), np.uint8), mask=np.zeros((0, 0), bool)), "at least 1x1"),
    (dict(window=5), "window must be None or (height, width)"),
    (dict(window=(2, 3, 4)), "window"),
    (dict(window=("a", 3)), "window"),
    (dict(temperature="hot"), "temperature must be a positive number"),
    (dict(temperature=None), "temperature"),
    (dict(temperature=float("nan")), "temperature"),
    (dict(samples=10**12), "would need about"),
    (dict(samples=2.0), "samples"),
    (dict(greedy="no"), "greedy must be True or False"),  # a string is true: it would take the argmax silently
]


@pytest.mark.parametrize("change,message", BAD_CALLS, ids=lambda v: str(v)[:40])
def test_library_arguments_are_checked_in_our_words(model, change, message):
    arguments = dict(image=np.zeros((4, 4, 3), np.uint8), mask=np.ones((4, 4), bool)) | change
    with pytest.raises(ValueError) as error:
        prc.complete(model, **arguments)
    assert message in str(error.value)


def test_inspecting_an_empty_image_is_refused_in_our_words(model):
    with pytest.raises(ValueError, match="at least 1x1"):
        prc.inspect(model, np.zeros((0, 0, 3), np.uint8))


def test_inspecting_an_image_beyond_memory_is_refused_before_the_model_runs(model, monkeypatch):
    monkeypatch.setattr(memory, "physical_memory", lambda: 2**20)
    prc.inspect(model, np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(prc.MemoryRequestError, match="inspecting 300x300 pixels would need about"):
        prc.inspect(model, np.zeros((300, 300, 3), np.uint8))


def test_eval_refuses_a_batch_size_below_one(tmp_path, capsys):
    write_image_folder(tmp_path / "images", 2, 4)
    for size in ("0", "-5"):
        line = one_line_refusal(capsys, ["eval", "fashion-mnist", str(tmp_path / "images"), "--batch-size", size])
        assert "batch_size must be a positive integer" in line


@pytest.mark.parametrize("arch", ["pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale"])
def test_an_empty_mask_returns_the_input_without_building_an_engine(arch, monkeypatch):
    network = prc.build_model(arch, **TINY)
    monkeypatch.setattr(prc.completion.window_fill, "make_engine", lambda *args: pytest.fail("an engine was built"))
    image = np.random.default_rng(0).integers(0, 4, (1500, 1000, 3), dtype=np.uint8)
    out = prc.complete(network, image, np.zeros((1500, 1000), bool), samples=8, orientation="auto")
    assert out.shape == (8, 1500, 1000, 3) and all(np.array_equal(sample, image) for sample in out)
