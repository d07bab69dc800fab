"""Image and mask files <-> the uint8 level arrays of completion (pixelrnn_core/images.py)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import pixelrnn_core as prc


def write_png(path, array):
    Image.fromarray(array).save(path)
    return path


def test_rgb_image_is_read_at_the_models_levels(tmp_path):
    pixels = np.array([[[0, 127, 128], [255, 64, 3]]], dtype=np.uint8)
    path = write_png(tmp_path / "a.png", pixels)
    np.testing.assert_array_equal(prc.read_image(path, 3, 256), pixels)
    np.testing.assert_array_equal(prc.read_image(path, 3, 4), pixels // 64)
    assert prc.read_image(path, 1, 2).shape == (1, 2, 1)


def test_grey_and_palette_images_are_converted(tmp_path):
    grey = write_png(tmp_path / "g.png", np.array([[0, 200]], dtype=np.uint8))
    np.testing.assert_array_equal(prc.read_image(grey, 3)[0, 1], [200, 200, 200])
    palette = tmp_path / "p.png"
    Image.fromarray(np.array([[[255, 0, 0], [0, 0, 255]]], dtype=np.uint8)).convert("P").save(palette)
    np.testing.assert_array_equal(prc.read_image(palette, 3)[0], [[255, 0, 0], [0, 0, 255]])


def test_mask_is_true_where_bright(tmp_path):
    path = write_png(tmp_path / "m.png", np.array([[0, 127, 128, 255]], dtype=np.uint8))
    np.testing.assert_array_equal(prc.read_mask(path), [[False, False, True, True]])
    with pytest.raises(prc.ImageFileError, match="m.png.*4x1.*2x2"):
        prc.read_mask(path, shape=(2, 2))
    image = np.zeros((1, 4, 3), np.uint8)
    assert prc.read_mask(path, shape=image.shape).shape == (1, 4)  # an image's own (H, W, C) shape


def test_unreadable_file_gets_a_one_line_message_naming_it(tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"not an image")
    with pytest.raises(prc.ImageFileError, match="broken.png") as error:
        prc.read_image(path)
    assert "\n" not in str(error.value)
    with pytest.raises(prc.ImageFileError, match="missing.png"):
        prc.read_mask(tmp_path / "missing.png")


@pytest.mark.parametrize("channels", [1, 3])
def test_save_then_read_round_trips_and_leaves_no_temporary_file(tmp_path, channels):
    image = np.random.default_rng(0).integers(0, 16, (5, 7, channels)).astype(np.uint8)
    path = tmp_path / "out.png"
    prc.save_image(path, image, levels=16)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]
    np.testing.assert_array_equal(prc.read_image(path, channels, 16), image)
    np.testing.assert_array_equal(prc.to_8bit(np.array([0, 15]), 16), [0, 255])


@pytest.mark.parametrize("suffix, channels", [
    (suffix, channels) for suffix in (".bmp", ".tif", ".webp", ".ppm", ".pgm", ".tga") for channels in (1, 3) if (suffix, channels) != (".pgm", 3)
])
def test_every_format_written_keeps_the_pixels_and_size(tmp_path, suffix, channels):
    image = np.random.default_rng(1).integers(0, 256, (5, 7, channels)).astype(np.uint8)
    prc.save_image(tmp_path / f"out{suffix}", image)
    np.testing.assert_array_equal(prc.read_image(tmp_path / f"out{suffix}", channels), image)


@pytest.mark.parametrize("suffix", [".psd", ".xpm", ".qoi", ".gif", ".avif", ".ico", ".icns", ".pdf", ".pbm", ".pfm"])
def test_formats_that_cannot_be_written_or_would_change_the_image_are_refused_before_any_work(tmp_path, suffix):
    """A Pillow format it can read but not write was a KeyError traceback after the whole sampling;
    GIF, AVIF, ICO, ICNS and PDF wrote another image (colours, pixels or size changed, or no image)."""
    with pytest.raises(prc.ImageFileError, match=f"cannot save .*{suffix}.*write .png"):
        prc.save_image(tmp_path / f"out{suffix}", np.zeros((2, 2, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_netpbm_files_hold_what_their_suffix_says(tmp_path):
    """A .pgm holds grey pixels and a .ppm colour ones: a colour .pgm is refused (it was written as a
    colour file under a grey name), and a grey image is written to a .ppm as colour."""
    grey = np.random.default_rng(2).integers(0, 256, (5, 7, 1)).astype(np.uint8)
    with pytest.raises(prc.ImageFileError, match=r"a \.pgm file holds grey pixels only; write a colour image as \.ppm or \.png"):
        prc.save_image(tmp_path / "colour.pgm", np.repeat(grey, 3, axis=2))
    assert list(tmp_path.iterdir()) == []
    prc.save_image(tmp_path / "grey.ppm", grey)
    assert (tmp_path / "grey.ppm").read_bytes()[:2] == b"P6"
    np.testing.assert_array_equal(prc.read_image(tmp_path / "grey.ppm", 3), np.repeat(grey, 3, axis=2))
    prc.save_image(tmp_path / "grey.pgm", grey)
    assert (tmp_path / "grey.pgm").read_bytes()[:2] == b"P5"


def test_save_refuses_an_unknown_format_and_a_missing_folder(tmp_path):
    image = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(prc.ImageFileError, match="unknown image format"):
        prc.save_image(tmp_path / "out.xyz", image)
    with pytest.raises(prc.ImageFileError, match="nowhere"):
        prc.save_image(tmp_path / "nowhere" / "out.png", image)


def test_grid_places_samples_row_by_row_with_gaps():
    images = np.stack([np.full((2, 3, 1), k + 1, np.uint8) for k in range(5)])
    grid = prc.sample_grid(images, gap=1)
    assert grid.shape == (2 * 2 + 1, 3 * 3 + 2, 1)
    assert grid[0, 0, 0] == 1 and grid[0, 4, 0] == 2 and grid[3, 0, 0] == 4 and grid[4, 6, 0] == 5
    assert (grid[3:, 8:] == 0).all()
    assert (grid[2] == 0).all() and (grid[:, 3] == 0).all()
    assert prc.sample_grid(images, columns=5, gap=0).shape == (2, 15, 1)
    shaded = prc.sample_grid(images, gap=1, fill=9)  # gaps seen against dark and light samples alike
    assert (shaded[2] == 9).all() and (shaded[:, 3] == 9).all() and (shaded[3:, 8:] == 9).all()


def test_a_mask_with_alpha_is_its_opaque_pixels(tmp_path):
    rgba = np.zeros((3, 4, 4), np.uint8)
    rgba[1:, 2:, 3] = 255  # opaque where the hole is; the colour (black) does not matter
    Image.fromarray(rgba).save(tmp_path / "mask.png")
    mask = prc.read_mask(tmp_path / "mask.png", shape=(3, 4))
    assert mask.tolist() == [[False] * 4, [False, False, True, True], [False, False, True, True]]


def test_saved_files_get_the_mode_the_umask_gives(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    prc.save_image(tmp_path / "out.png", np.zeros((2, 2, 3), np.uint8))
    assert (tmp_path / "out.png").stat().st_mode & 0o777 == 0o666 & ~umask


def test_reading_says_whether_the_file_had_see_through_pixels(tmp_path):
    rgba = np.full((4, 4, 4), 200, np.uint8)
    opaque = write_png(tmp_path / "opaque.png", rgba.copy() | np.array([0, 0, 0, 255], np.uint8))
    rgba[0, 0, 3] = 0
    read = prc.read_image_file(write_png(tmp_path / "hole.png", rgba))
    assert read.translucent and (read.pixels[0, 0] == 255).all()  # shown on white
    assert not prc.read_image_file(opaque).translucent
    np.testing.assert_array_equal(read.pixels, prc.read_image(tmp_path / "hole.png"))


def test_jpeg_is_written_at_high_quality_without_colour_subsampling(tmp_path):
    photo = np.asarray(Image.open(Path(__file__).resolve().parents[2] / "resources/samples/photos/cat.png").convert("RGB"))
    prc.save_image(tmp_path / "cat.jpg", photo)
    error = np.abs(prc.read_image(tmp_path / "cat.jpg").astype(int) - photo).mean()
    assert error < 2.0  # Pillow's default (quality 75, 4:2:0) was 4.2 on this photo


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif"])
def test_a_photos_exif_is_read_and_written_back_upright(tmp_path, suffix):
    """Saving a filled phone photo dropped its EXIF (camera, date, place): it is read with the pixels
    and written back, its orientation tag gone as the pixels are upright."""
    exif = Image.Exif()
    exif[0x0132] = "2026:12:04 01:02:03"  # DateTime
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # turned: shown upright by a quarter turn
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(tmp_path / "photo.jpg", exif=exif)
    read = prc.read_image_file(tmp_path / "photo.jpg")
    assert read.pixels.shape == (6, 4, 3)
    prc.save_image(tmp_path / f"out{suffix}", read.pixels, exif=read.exif)
    with Image.open(tmp_path / f"out{suffix}") as saved:
        tags = saved.getexif()
    assert tags[0x0132] == "2026:12:04 01:02:03" and tags[0x010F] == "PhoneMaker" and 0x0112 not in tags
    assert prc.read_image_file(tmp_path / f"out{suffix}").pixels.shape == (6, 4, 3)
