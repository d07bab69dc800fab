"""One image reader for every path: training, completion images and masks read every kind of file the
same way, and every malformed or hostile file is refused with one line (completion) or skipped with a
reason (training), never a traceback or a hang."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import pixelrnn_core as prc
from pixelrnn_core.cli import main

from .crafted import make_fifo, png_declaring

SIZE = 8


def gradient16(path):
    values = np.linspace(0, 65535, SIZE * SIZE).reshape(SIZE, SIZE).astype(np.uint16)
    Image.fromarray(values).save(path)
    return path


def palette_with_transparency(path):
    picture = Image.new("P", (SIZE, SIZE), 1)
    picture.putpalette([0, 0, 0, 200, 30, 10] + [0] * 762)
    for x in range(SIZE // 2):
        for y in range(SIZE):
            picture.putpixel((x, y), 0)
    picture.save(path, transparency=0)  # the left half is transparent (its hidden colour: black)
    return path


def rotated_by_exif(path):
    values = np.zeros((SIZE, SIZE), np.uint8)
    values[0] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(values).save(path, exif=exif)
    return path


def grey_alpha(path):
    values = np.zeros((SIZE, SIZE, 2), np.uint8)
    values[..., 0], values[: SIZE // 2, :, 1] = 90, 255
    Image.fromarray(values, "LA").save(path)
    return path


def float_grey(path):
    Image.fromarray(np.linspace(0, 1, SIZE * SIZE, dtype=np.float32).reshape(SIZE, SIZE), "F").save(path)
    return path


def cmyk(path):
    Image.new("CMYK", (SIZE, SIZE), (0, 255, 0, 0)).save(path)
    return path


def one_bit(path):
    Image.fromarray(np.indices((SIZE, SIZE)).sum(0) % 2 == 0).save(path)
    return path


KINDS = {
    "grey16.png": gradient16,
    "palette-transparent.png": palette_with_transparency,
    "exif.png": rotated_by_exif,
    "grey-alpha.png": grey_alpha,
    "float.tiff": float_grey,
    "cmyk.tiff": cmyk,
    "one-bit.png": one_bit,
}


def test_a_sixteen_bit_gradient_is_scaled_not_clipped(tmp_path):
    values = prc.read_image(gradient16(tmp_path / "g.png"), channels=1)[..., 0].ravel()
    assert values[0] == 0 and values[-1] == 255
    assert (np.diff(values.astype(int)) >= 0).all() and len(np.unique(values)) > SIZE * SIZE // 2


def test_transparent_palette_pixels_are_white_in_completion_too(tmp_path):
    image = prc.read_image(palette_with_transparency(tmp_path / "p.png"))
    assert (image[:, : SIZE // 2] == 255).all() and (image[:, SIZE // 2 :] == (200, 30, 10)).all()


def test_exif_orientation_is_applied_to_images_and_masks(tmp_path):
    path = rotated_by_exif(tmp_path / "photo.png")
    assert (prc.read_image(path, channels=1)[:, -1] == 255).all()
    assert prc.read_mask(path)[:, -1].all() and not prc.read_mask(path)[:, 0].any()


@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize("channels", [1, 3])
def test_training_and_completion_read_the_same_pixels(tmp_path, name, channels):
    folder = tmp_path / "data"
    folder.mkdir()
    path = KINDS[name](folder / name)
    trained = prc.load_images(prc.DatasetSpec(str(folder), size=SIZE, channels=channels)).images[0]
    np.testing.assert_array_equal(prc.read_image(path, channels=channels), trained)


def test_the_mask_of_a_transparent_palette_is_its_opaque_pixels(tmp_path):
    mask = prc.read_mask(palette_with_transparency(tmp_path / "p.png"))
    assert not mask[:, : SIZE // 2].any() and mask[:, SIZE // 2 :].all()


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_the_mask_of_an_opaque_file_with_an_alpha_channel_is_its_white_pixels(tmp_path, mode):
    """Editors export black-and-white masks as RGBA: read by their alpha alone, every pixel was filled."""
    values = np.zeros((4, 6), np.uint8)
    values[:, 3:] = 255
    Image.fromarray(values).convert(mode).save(tmp_path / "mask.png")
    mask = prc.read_mask(tmp_path / "mask.png")
    assert mask[:, 3:].all() and not mask[:, :3].any()


def hostile_files(folder):
    """name -> path of files no reader may choke on."""
    folder.mkdir(exist_ok=True)
    whole = folder / "whole.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(whole)
    data = whole.read_bytes()
    files = {
        "declared-bomb": png_declaring(folder / "bomb.png", 100_000, 100_000),
        "declared-wide": png_declaring(folder / "wide.png", 2**31 - 1, 1),
        "fifo": make_fifo(folder / "pipe.png"),
        "folder": folder / "dir.png",
        "empty": folder / "empty.png",
        "text": folder / "notes.png",
        "jpeg-header-only": folder / "cut.jpg",
    }
    files["folder"].mkdir()
    files["empty"].write_bytes(b"")
    files["text"].write_text("not an image")
    files["jpeg-header-only"].write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    for cut in (8, 16, 33, 40, len(data) // 2):
        files[f"cut-{cut}"] = folder / f"cut-{cut}.png"
        files[f"cut-{cut}"].write_bytes(data[:cut])
    rng = np.random.default_rng(1)
    for index in range(6):
        files[f"noise-{index}"] = folder / f"noise-{index}.png"
        files[f"noise-{index}"].write_bytes(b"\x89PNG\r\n\x1a\n" + rng.bytes(int(rng.integers(1, 300))))
    return files


def test_hostile_files_are_refused_by_completion_and_skipped_by_training(tmp_path):
    files = hostile_files(tmp_path / "data")
    for name, path in files.items():
        for read in (prc.read_image, prc.read_mask):
            with pytest.raises(prc.ImageFileError) as error:
                read(path)
            assert "\n" not in str(error.value) and str(path) in str(error.value), name
    image_set = prc.load_images(prc.DatasetSpec(str(tmp_path / "data"), size=SIZE))
    assert len(image_set.images) == 1
    assert sorted(s.path for s in image_set.skipped) == sorted(str(p) for n, p in files.items() if n != "folder")
    reasons = {s.path: s.reason for s in image_set.skipped}
    assert "decompression bomb" in reasons[str(files["declared-bomb"])] and "FIFO" in reasons[str(files["fifo"])]


def test_a_real_image_beyond_the_pixel_limit_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("L", (200, 100)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(prc.ImageFileError, match="200x100 pixels; limit 10000"):
        prc.read_image(path)


@pytest.mark.parametrize("role", ["image", "mask"])
def test_complete_refuses_hostile_images_and_masks_in_one_line(tmp_path, capsys, role):
    good = tmp_path / "good.png"
    Image.new("L", (SIZE, SIZE), 255).save(good)
    for name, path in hostile_files(tmp_path / "data").items():
        image, mask = (path, good) if role == "image" else (good, path)
        code = main(["complete", "fashion-mnist", str(image), "--mask", str(mask), "--out", str(tmp_path / "o.png")])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("pixelrnn complete: error: ") and err.count("\n") == 1, (name, err)
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize(
    "array,levels,phrase",
    [
        (np.full((2, 2, 3), 0.5), 256, "float64"),
        (np.full((2, 2, 1), 300, np.int64), 256, "0..300"),
        (np.full((2, 2, 1), 4, np.uint8), 4, "[0, 4)"),
        (np.full((2, 2, 1), -1, np.int16), 256, "-1..-1"),
        (np.zeros((2, 2), np.uint8), 256, "(height, width, 1 or 3)"),
        (np.zeros((0, 0, 3), np.uint8), 256, "non-empty"),
        (np.zeros((2, 2, 2), np.uint8), 256, "1 or 3"),
        (np.zeros((2, 2, 3), bool), 256, "bool"),
        ([[0, 1]], 256, "list"),
    ],
)
def test_save_image_checks_what_it_writes(tmp_path, array, levels, phrase):
    with pytest.raises(ValueError, match=None) as error:
        prc.save_image(tmp_path / "out.png", array, levels)
    assert phrase in str(error.value)
    assert not (tmp_path / "out.png").exists()


def test_sample_grid_of_nothing_is_refused():
    with pytest.raises(ValueError, match="non-empty"):
        prc.sample_grid(np.zeros((0, 2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="non-empty"):
        prc.sample_grid([])
