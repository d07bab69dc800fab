"""Every command turns bad arguments, missing, special and damaged files into one line on stderr and
exit code 2 (never a traceback), and leaves no output behind."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pixelrnn_core.cli import main

from .crafted import make_fifo
from .datafiles import write_image_folder

TINY = ["--arch", "pixelcnn", "--hidden", "4", "--layers", "1", "--out-hidden", "4", "--size", "4", "--levels", "4"]

TRAIN_CASES = {
    "missing data": ["train", "{missing}", *TINY],
    "fifo data": ["train", "{fifo}", *TINY],
    "noise data": ["train", "{noise}", *TINY],
    "empty data": ["train", "{empty}", *TINY],
    "size 0": ["train", "{images}", *TINY, "--size", "0"],
    "size -3": ["train", "{images}", *TINY, "--size", "-3"],
    "levels 1": ["train", "{images}", *TINY, "--levels", "1"],
    "levels 999": ["train", "{images}", *TINY, "--levels", "999"],
    "batch 0": ["train", "{images}", *TINY, "--batch-size", "0"],
    "epochs 0": ["train", "{images}", *TINY, "--epochs", "0"],
    "max steps 0": ["train", "{images}", *TINY, "--max-steps", "0"],
    "val fraction 1.5": ["train", "{images}", *TINY, "--val-fraction", "1.5"],
    "val fraction nan": ["train", "{images}", *TINY, "--val-fraction", "nan"],
    "threshold 2": ["train", "{images}", *TINY, "--threshold", "2"],
    "limit 0": ["train", "{images}", *TINY, "--limit", "0"],
    "checkpoint every 0": ["train", "{images}", *TINY, "--checkpoint-every", "0"],
    "warmup -1": ["train", "{images}", *TINY, "--warmup", "-1"],
    "grad clip nan": ["train", "{images}", *TINY, "--grad-clip", "nan"],
    "grad clip inf": ["train", "{images}", *TINY, "--grad-clip", "inf"],
    "hidden 0": ["train", "{images}", *TINY, "--hidden", "0"],
    "layers -1": ["train", "{images}", *TINY, "--layers", "-1"],
    "unknown device": ["train", "{images}", *TINY, "--device", "toaster"],
    "device torch has no backend for": ["train", "{images}", *TINY, "--device", "mps"],
    "binarize with 4 levels": ["train", "{images}", *TINY, "--binarize", "threshold"],
    "resume missing": ["train", "--resume", "{missing}"],
    "resume a file": ["train", "--resume", "{noise}"],
    "resume a fifo": ["train", "--resume", "{fifo}"],
    "out is a file": ["train", "{images}", *TINY, "--out-file"],
}
GENERATE_CASES = {
    "missing checkpoint": ["sample", "{missing}"],
    "noise checkpoint": ["sample", "{noise}"],
    "folder checkpoint": ["sample", "{folder}"],
    "temperature nan": ["sample", "fashion-mnist", "--temperature", "nan"],
    "temperature 0": ["sample", "fashion-mnist", "--temperature", "0"],
    "temperature -1": ["sample", "fashion-mnist", "--temperature", "-1"],
    "samples -1": ["sample", "fashion-mnist", "--samples", "-1"],
    "seed -1": ["sample", "fashion-mnist", "--seed", "-1", "--size", "2", "2"],
    "size -2": ["sample", "fashion-mnist", "--size", "-2", "4"],
    "unknown device": ["sample", "fashion-mnist", "--device", "toaster", "--size", "2", "2"],
    "mps device": ["sample", "fashion-mnist", "--device", "mps", "--size", "2", "2"],
    "meta device": ["sample", "fashion-mnist", "--device", "meta", "--size", "2", "2"],
    "out folder not writable": ["sample", "fashion-mnist", "--size", "2", "2", "--out-unwritable"],
    "unknown suffix": ["sample", "fashion-mnist", "--size", "2", "2", "--out-suffix"],
    "missing out folder": ["sample", "fashion-mnist", "--size", "2", "2", "--out-missing-folder"],
    "missing image": ["complete", "fashion-mnist", "{missing}", "--mask", "{mask}"],
    "fifo image": ["complete", "fashion-mnist", "{fifo}", "--mask", "{mask}"],
    "folder image": ["complete", "fashion-mnist", "{folder}", "--mask", "{mask}"],
    "mask of another size": ["complete", "fashion-mnist", "{image}", "--mask", "{small_mask}"],
    "noise mask": ["complete", "fashion-mnist", "{image}", "--mask", "{noise}"],
    "eval missing data": ["eval", "fashion-mnist", "{missing}"],
    "eval fifo data": ["eval", "fashion-mnist", "{fifo}"],
    "eval size 0": ["eval", "fashion-mnist", "{images}", "--size", "0"],
    "eval limit 0": ["eval", "fashion-mnist", "{images}", "--limit", "0"],
    "eval unknown device": ["eval", "fashion-mnist", "{images}", "--device", "toaster"],
    "eval meta device": ["eval", "fashion-mnist", "{images}", "--device", "meta"],
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    write_image_folder(base / "images", 4, 4)
    (base / "noise").write_bytes(np.random.default_rng(0).bytes(5000))
    (base / "empty").write_bytes(b"")
    (base / "a-file").write_text("")
    (base / "folder").mkdir()
    Image.new("L", (28, 28), 0).save(base / "image.png")
    mask = np.zeros((28, 28), np.uint8)
    mask[20:] = 255
    Image.fromarray(mask).save(base / "mask.png")
    Image.new("L", (5, 5), 255).save(base / "small_mask.png")
    make_fifo(base / "fifo")
    return base


def expand(argv, files, out):
    names = {name: str(files / name) for name in ("images", "noise", "empty", "folder", "fifo")}
    names.update(missing=str(files / "missing"), mask=str(files / "mask.png"), image=str(files / "image.png"),
                 small_mask=str(files / "small_mask.png"))
    expanded = [part.format(**names) for part in argv]
    if "--out-file" in expanded:
        return [part for part in expanded if part != "--out-file"] + ["--out", str(files / "a-file" / "run")]
    if "--out-suffix" in expanded:
        return [part for part in expanded if part != "--out-suffix"] + ["--out", str(out.with_suffix(".xyz"))]
    if "--out-unwritable" in expanded:  # /proc takes no new files, even from root
        return [part for part in expanded if part != "--out-unwritable"] + ["--out", "/proc/pixelrnn-test.png"]
    if "--out-missing-folder" in expanded:
        return [part for part in expanded if part != "--out-missing-folder"] + ["--out", str(out.parent / "no" / "o.png")]
    if argv[0] == "train" and "--resume" not in argv:
        return expanded + ["--out", str(out)]
    return expanded + (["--out", str(out)] if argv[0] in ("sample", "complete") else [])


@pytest.mark.parametrize("case", [*TRAIN_CASES, *GENERATE_CASES])
def test_bad_requests_are_one_line_refusals(files, tmp_path, capsys, case):
    argv = expand({**TRAIN_CASES, **GENERATE_CASES}[case], files, tmp_path / "out.png")
    assert main(argv) == 2, case
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("pixelrnn ")]
    assert len(lines) == 1 and lines[0].startswith(f"pixelrnn {argv[0]}: error: ") and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []

