"""Data sources: every format read from small files, bad files skipped with reasons, the split and
the preprocessing the model sees."""
from __future__ import annotations

import json
import os
import pickle
import tracemalloc

import numpy as np
import pytest
import torch
from PIL import Image

import pixelrnn_core as prc
from pixelrnn_core import memory
from pixelrnn_core.data import folder_survey, load_evaluation_data, model_input, split_indices
from pixelrnn_core.io.images import read_image
from pixelrnn_core.pixels.dihedral import transform_tensor as dihedral

from .datafiles import (
    TouchPayload,
    gradient_images,
    write_broken_files,
    write_cifar_batch,
    write_idx,
    write_image_folder,
    write_npz,
)


def read(path, **settings) -> np.ndarray:
    return prc.load_images(prc.DatasetSpec(str(path), **settings)).images


# --- image folders ------------------------------------------------------------------------------
def test_folder_is_searched_recursively_in_a_stable_order(tmp_path):
    expected = write_image_folder(tmp_path, 4, 8)
    (tmp_path / "readme.txt").write_text("not an image and not an image extension: ignored")
    image_set = prc.load_images(prc.DatasetSpec(str(tmp_path), size=8))
    assert image_set.skipped == []
    np.testing.assert_array_equal(image_set.images, expected)


@pytest.mark.parametrize("suffix, options", [("bmp", {}), ("webp", {"lossless": True}), ("tiff", {}), ("gif", {})])
def test_lossless_formats_read_exactly(tmp_path, suffix, options):
    image = gradient_images(1, 8, 3)[0]
    source = Image.fromarray(image)
    if suffix == "gif":  # GIF is paletted: use an image that fits a palette exactly
        image = np.repeat(np.arange(0, 256, 4, dtype=np.uint8).reshape(8, 8)[..., None], 3, axis=-1)
        source = Image.fromarray(image)
    source.save(tmp_path / f"a.{suffix}", **options)
    np.testing.assert_array_equal(read(tmp_path, size=8, channels=3)[0], image)


def test_a_folder_of_grey_images_is_read_grey_unless_one_has_colour(tmp_path):
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    Image.fromarray(grey).save(tmp_path / "a.png")  # mode L
    Image.fromarray(np.repeat(grey[..., None], 3, axis=-1)).save(tmp_path / "b.png")  # grey content in RGB
    images = read(tmp_path, size=8)
    assert images.shape == (2, 8, 8, 1)
    np.testing.assert_array_equal(images[..., 0], np.stack([grey, grey]))
    assert read(tmp_path, size=8, channels=3).shape == (2, 8, 8, 3)
    Image.new("RGB", (8, 8), (200, 100, 50)).save(tmp_path / "c.png")
    assert read(tmp_path, size=8).shape == (3, 8, 8, 3)


def test_gif_uses_its_first_frame(tmp_path):
    frames = [Image.new("L", (8, 8), value) for value in (10, 200, 90)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    assert (read(tmp_path, size=8, channels=1) == 10).all()


def test_jpeg_reads_close_to_the_original(tmp_path):
    Image.new("RGB", (8, 8), (200, 100, 50)).save(tmp_path / "a.jpg", quality=95)
    assert np.abs(read(tmp_path, size=8).astype(int) - [200, 100, 50]).max() <= 3


def test_transparency_is_composited_on_the_background(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:4] = (255, 0, 0, 255)  # opaque red top half, fully transparent bottom half
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    images = read(tmp_path, size=8, background=(0, 0, 255))[0]
    assert (images[:4] == (255, 0, 0)).all() and (images[4:] == (0, 0, 255)).all()


def test_palette_sixteen_bit_cmyk_and_gray_are_converted(tmp_path):
    Image.new("RGB", (8, 8), (0, 255, 0)).convert("P").save(tmp_path / "a_palette.png")
    Image.fromarray(np.full((8, 8), 65535, np.uint16)).save(tmp_path / "b_sixteen.png")
    Image.new("CMYK", (8, 8), (0, 0, 0, 0)).save(tmp_path / "c_cmyk.tiff")
    Image.new("L", (8, 8), 77).save(tmp_path / "d_gray.png")
    images = read(tmp_path, size=8)
    assert (images[0] == (0, 255, 0)).all()
    assert (images[1] == 255).all()  # full-scale 16-bit is full-scale 8-bit, not clipped garbage
    assert (images[2] == 255).all()  # CMYK no ink is white
    assert (images[3] == 77).all()
    assert read(tmp_path, size=8, channels=1).shape == (4, 8, 8, 1)


def test_exif_orientation_is_applied(tmp_path):
    image = np.zeros((8, 8), np.uint8)
    image[0, :] = 255  # white top row as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(image).save(tmp_path / "photo.png", exif=exif)
    shown = read(tmp_path, size=8, channels=1)[0, ..., 0]
    assert (shown[:, -1] == 255).all() and (shown[:, 0] == 0).all()


def test_larger_images_are_cropped_or_resized_and_smaller_skipped_or_upscaled(tmp_path):
    big = np.zeros((16, 32), np.uint8)
    big[:, 16:] = 255  # left half black, right half white
    Image.fromarray(big).save(tmp_path / "big.png")
    Image.new("L", (4, 4), 50).save(tmp_path / "small.png")
    cropped = prc.load_images(prc.DatasetSpec(str(tmp_path), size=8, channels=1))
    assert cropped.images.shape == (1, 8, 8, 1)
    assert [s.reason.split(" (")[0] for s in cropped.skipped] == ["smaller than 8x8"]
    resized = read(tmp_path, size=8, channels=1, fit="resize", small="upscale")
    assert resized.shape == (2, 8, 8, 1)
    assert resized[0, :, :2].max() < 30 and resized[0, :, -2:].min() > 225  # the whole width, scaled
    assert (resized[1] == 50).all()


def test_tiles_cut_every_part_of_an_image_into_training_examples(tmp_path):
    photo = np.random.default_rng(0).integers(0, 256, (21, 38, 3), dtype=np.uint8)  # 4 x 2 tiles of 8, 2 + 3 rows/cols spare
    Image.fromarray(photo).save(tmp_path / "a.png")
    Image.new("RGB", (8, 8), (9, 9, 9)).save(tmp_path / "b.png")
    Image.new("RGB", (5, 5)).save(tmp_path / "tiny.png")
    image_set = prc.load_images(prc.DatasetSpec(str(tmp_path), size=8, fit="tiles"))
    top, left = 2, 3  # the grid is centred: the spare rows and columns are shared by both edges
    expected = [photo[top + 8 * row:top + 8 * row + 8, left + 8 * col:left + 8 * col + 8] for row in range(2) for col in range(4)]
    np.testing.assert_array_equal(image_set.images, np.stack([*expected, np.full((8, 8, 3), 9, np.uint8)]))
    assert [s.reason.split(" (")[0] for s in image_set.skipped] == ["smaller than 8x8"]
    assert image_set.tiles_line() == ", tiles of 2 image(s)"
    upscaled = read(tmp_path, size=8, fit="tiles", small="upscale")
    assert upscaled.shape == (10, 8, 8, 3)
    assert read(tmp_path, size=8, fit="tiles", limit=1).shape == (8, 8, 8, 3)  # the tiles of the first image


def test_tiles_that_would_not_fit_in_memory_are_refused_before_they_are_read(tmp_path, monkeypatch):
    Image.new("L", (64, 64)).save(tmp_path / "a.png")
    monkeypatch.setattr(memory, "physical_memory", lambda: 40 * 8 * 8)  # 40 tiles of 8x8; the folder holds 64
    with pytest.raises(memory.MemoryRequestError, match="64 image"):
        read(tmp_path, size=8, fit="tiles")


def test_tiny_tiles_of_a_large_image_cost_about_the_image_in_memory(tmp_path):
    """Each tile was a Pillow image: 1x1 tiles of a 3000x3000 photo took 10.6 GB for 27 MB of pixels."""
    photo = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    Image.fromarray(photo).save(tmp_path / "a.png")
    tracemalloc.start()
    tiles = read(tmp_path, size=1, fit="tiles")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_array_equal(tiles.reshape(200, 300, 3), photo)
    assert peak < 10 * photo.nbytes


def test_dataset_files_are_cut_into_tiles_too(tmp_path):
    images = gradient_images(3, 12, 1)[..., 0]
    path = write_idx(tmp_path / "images-idx3-ubyte", images)
    tiles = read(path, size=6, fit="tiles")
    assert tiles.shape == (12, 6, 6, 1)
    np.testing.assert_array_equal(tiles[5, ..., 0], images[1, :6, 6:])


def test_random_crops_are_the_same_on_every_rebuild(tmp_path):
    Image.fromarray(gradient_images(1, 40, 3)[0]).save(tmp_path / "a.png")
    first, again = read(tmp_path, size=8, seed=3), read(tmp_path, size=8, seed=3)
    np.testing.assert_array_equal(first, again)


def test_broken_files_are_skipped_with_reasons(tmp_path):
    write_image_folder(tmp_path, 2, 8)
    reasons = write_broken_files(tmp_path / "bad", 8)
    image_set = prc.load_images(prc.DatasetSpec(str(tmp_path), size=8, max_pixels=10_000))
    assert len(image_set.images) == 2
    found = {os.path.basename(s.path): s.reason for s in image_set.skipped}
    assert set(found) == set(reasons)
    for name, reason in reasons.items():
        assert found[name].startswith(reason), (name, found[name])


def test_pillow_decompression_bomb_limit_is_the_default(tmp_path, monkeypatch):
    Image.new("L", (64, 64)).save(tmp_path / "bomb.png")
    Image.new("L", (8, 8)).save(tmp_path / "fine.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    image_set = prc.load_images(prc.DatasetSpec(str(tmp_path), size=8))
    assert len(image_set.images) == 1 and "too large" in image_set.skipped[0].reason


def test_one_image_file_is_read_like_a_folder_that_holds_only_it(tmp_path):
    write_image_folder(tmp_path / "folder", 1, 12)
    file = tmp_path / "folder" / "img000.png"
    for settings in ({"size": 12}, {"size": 8, "channels": 1}):
        np.testing.assert_array_equal(read(file, **settings), read(tmp_path / "folder", **settings))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(prc.DataError, match="no usable image found; skipped 1 file"):
        read(tmp_path / "broken.png")


def test_empty_folder_and_folder_without_usable_images_are_clear_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(prc.DataError, match="no usable image"):
        prc.load_images(prc.DatasetSpec(str(tmp_path / "empty")))
    write_broken_files(tmp_path / "broken", 8)
    with pytest.raises(prc.DataError, match="no usable image.*skipped 4"):
        prc.load_images(prc.DatasetSpec(str(tmp_path / "broken"), size=8, max_pixels=10_000))
    with pytest.raises(prc.DataError, match="no such file"):
        prc.load_images(prc.DatasetSpec(str(tmp_path / "missing")))


# --- dataset files ------------------------------------------------------------------------------
@pytest.mark.parametrize("gzipped", [False, True])
def test_idx_images_plain_and_gzipped(tmp_path, gzipped):
    images = gradient_images(5, 6, 1)[..., 0]
    path = write_idx(tmp_path / "images-idx3-ubyte", images, gzipped)
    np.testing.assert_array_equal(read(path)[..., 0], images)
    assert read(path, channels=3).shape == (5, 6, 6, 3)


def test_idx_labels_and_truncated_files_are_refused(tmp_path):
    labels = write_idx(tmp_path / "labels-idx1-ubyte", np.arange(5, dtype=np.uint8))
    with pytest.raises(prc.DataError, match="labels or vectors"):
        read(labels)
    images = write_idx(tmp_path / "images-idx3-ubyte", gradient_images(5, 6, 1)[..., 0])
    images.write_bytes(images.read_bytes()[:-7])
    with pytest.raises(prc.DataError, match="promises"):
        read(images)
    broken_gzip = tmp_path / "broken.gz"
    broken_gzip.write_bytes(write_idx(tmp_path / "x.gz", gradient_images(5, 6, 1)[..., 0], True).read_bytes()[:40])
    with pytest.raises(prc.DataError, match="broken gzip"):
        read(broken_gzip)


def test_cifar_batch_file_and_folder(tmp_path):
    images = gradient_images(3, 32, 3)
    batch = write_cifar_batch(tmp_path / "data_batch_1", images)
    np.testing.assert_array_equal(read(batch), images)
    write_cifar_batch(tmp_path / "test_batch", images[:1])
    (tmp_path / "batches.meta").write_bytes(pickle.dumps({b"label_names": []}, protocol=2))
    assert read(tmp_path).shape == (4, 32, 32, 3)


def test_cifar_reader_never_runs_code_from_a_pickle(tmp_path):
    control, marker = tmp_path / "control", tmp_path / "marker"
    pickle.loads(pickle.dumps(TouchPayload(control)))
    assert control.exists()  # the payload does run when unpickled normally
    evil = tmp_path / "data_batch_1"
    evil.write_bytes(pickle.dumps({b"data": TouchPayload(marker)}, protocol=2))
    with pytest.raises(prc.DataError, match="refusing to load"):
        read(evil)
    assert not marker.exists()


def test_imagenet_npz_and_refusal_of_pickled_arrays(tmp_path):
    images = gradient_images(4, 8, 3)
    np.testing.assert_array_equal(read(write_npz(tmp_path / "train_data_batch_1.npz", images)), images)
    np.savez(tmp_path / "objects.npz", data=np.array([{"a": 1}], dtype=object))
    with pytest.raises(prc.DataError, match="unreadable .npz"):
        read(tmp_path / "objects.npz")


def test_unknown_file_is_a_clear_error(tmp_path):
    (tmp_path / "random.bin").write_bytes(b"\x01\x02\x03\x04 not a dataset")
    with pytest.raises(prc.DataError, match="not a folder of images or a dataset file"):
        read(tmp_path / "random.bin")


def test_dataset_files_are_resized_to_the_requested_size(tmp_path):
    path = write_idx(tmp_path / "images-idx3-ubyte", gradient_images(3, 12, 1)[..., 0])
    assert read(path, size=6, fit="resize").shape == (3, 6, 6, 1)
    with pytest.raises(prc.DataError, match="smaller than the size 20x20 they are read at"):
        read(path, size=20)


# --- split and preprocessing --------------------------------------------------------------------
def test_split_is_fixed_by_the_seed_and_partitions_the_images():
    train, val = split_indices(50, 0.2, seed=1)
    again_train, again_val = split_indices(50, 0.2, seed=1)
    np.testing.assert_array_equal(train, again_train)
    assert len(val) == 10 and sorted(np.concatenate([train, val]).tolist()) == list(range(50))
    assert not np.array_equal(val, split_indices(50, 0.2, seed=2)[1])
    assert len(split_indices(3, 0.01, seed=0)[1]) == 1


@pytest.mark.parametrize("count, fraction", [(10, -0.1), (10, 1.0), (-5, 0.1), (10.5, 0.1), (True, 0.1)])
def test_split_sizes_refuse_what_no_split_has(count, fraction):
    with pytest.raises(ValueError):
        prc.split_sizes(count, fraction)


def test_a_runs_steps_need_training_images():
    assert prc.TrainSettings(epochs=2, batch_size=4).total_steps(9) == 6
    for count in (0, 2.5):
        with pytest.raises(ValueError, match="a whole number of training images, at least one"):
            prc.TrainSettings(epochs=2).total_steps(count)


@pytest.mark.parametrize(
    "settings, message",
    [(dict(background=(300, 0, 0)), "background"), (dict(max_pixels=0), "max_pixels"), (dict(levels=2.5), "levels must be int")],
)
def test_spec_refuses_values_no_image_has(settings, message):
    with pytest.raises(prc.DataError, match=message):
        prc.DatasetSpec("x", **settings)


def test_surveying_a_folder_that_is_not_there_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        prc.survey_folder(tmp_path / "nope")
    assert prc.survey_folder(tmp_path) is None  # there, but holding no image


def test_a_few_tiny_images_do_not_set_a_folders_size(tmp_path):
    """One 6x6 icon among 30 photos made the whole folder train at 6x6: images under half the side nine
    in ten of them reach do not count (they are skipped and listed); a folder of mixed sizes keeps all."""
    write_image_folder(tmp_path / "photos", 30, 40)
    Image.fromarray(np.zeros((6, 6, 3), np.uint8) + 90).save(tmp_path / "photos" / "favicon.png")
    assert prc.survey_folder(tmp_path / "photos") == prc.Proposal(40, 3)
    write_image_folder(tmp_path / "mixed", 10, 28)
    for index in range(5):  # a third of the folder is small: that is the folder's size, not an outlier
        Image.fromarray(np.zeros((12, 12, 3), np.uint8) + index).save(tmp_path / "mixed" / f"small{index}.png")
    assert prc.survey_folder(tmp_path / "mixed").size == 12
    (tmp_path / "sizes").mkdir()
    for side in range(28, 48):  # 20 sizes: the smallest is the folder's, none left out
        Image.fromarray(np.zeros((side, side, 3), np.uint8)).save(tmp_path / "sizes" / f"{side}.png")
    assert prc.survey_folder(tmp_path / "sizes").size == 28


def test_a_survey_decodes_only_images_that_could_show_colour_until_one_does(tmp_path, monkeypatch):
    """64 phone photos took 11 s to survey, every one decoded. Headers give the sizes, and a grey file
    (its mode) needs no decoding; an RGB file does, until one shows colour."""
    write_image_folder(tmp_path / "photos", 12, 40)
    Image.fromarray(np.zeros((30, 50), np.uint8)).save(tmp_path / "photos" / "sub" / "small-grey.png")
    (tmp_path / "photos" / "sub" / "broken.png").write_bytes(b"not an image")
    decoded = []
    monkeypatch.setattr(folder_survey, "read_image", lambda path, channels: decoded.append(path) or read_image(path, channels))
    assert prc.survey_folder(tmp_path / "photos") == prc.Proposal(30, 3)
    assert len(decoded) == 1
    (tmp_path / "grey").mkdir()
    for index in range(3):
        Image.fromarray(np.full((20, 20), 40 * index, np.uint8)).save(tmp_path / "grey" / f"{index}.png")
    Image.fromarray(np.full((24, 20, 3), 90, np.uint8)).save(tmp_path / "grey" / "rgb-but-grey.png")
    assert prc.survey_folder(tmp_path / "grey") == prc.Proposal(20, 1)
    assert [path.name for path in decoded[1:]] == ["rgb-but-grey.png"]


@pytest.mark.parametrize("settings", [dict(columns=0), dict(gap=-1), dict(fill=300)])
def test_a_grid_refuses_settings_it_cannot_draw(settings):
    with pytest.raises(ValueError):
        prc.sample_grid(np.zeros((2, 3, 3, 1), np.uint8), **settings)


def test_spec_round_trips_through_json(tmp_path):
    spec = prc.DatasetSpec(str(tmp_path), size=16, channels=1, levels=2, binarize="dynamic", augment=True, background=(1, 2, 3))
    assert prc.DatasetSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    with pytest.raises(prc.DataError, match="needs levels=2"):
        prc.DatasetSpec(str(tmp_path), binarize="threshold")


def test_quantization_and_binarization():
    batch = torch.tensor([0, 63, 64, 127, 128, 255], dtype=torch.uint8).view(1, 1, 1, 6)
    generator = torch.Generator().manual_seed(0)
    quantized = model_input(batch, prc.DatasetSpec("x", levels=4), generator)
    assert quantized.flatten().tolist() == [0, 0, 1, 1, 2, 3]
    thresholded = model_input(batch, prc.DatasetSpec("x", levels=2, binarize="threshold", threshold=0.25), generator)
    assert thresholded.flatten().tolist() == [0, 0, 1, 1, 1, 1]
    gray = torch.full((1, 1, 100, 100), 64, dtype=torch.uint8)
    dynamic = model_input(gray, prc.DatasetSpec("x", levels=2, binarize="dynamic"), generator)
    assert set(dynamic.unique().tolist()) == {0, 1} and abs(dynamic.float().mean().item() - 64 / 255) < 0.03
    again = model_input(gray, prc.DatasetSpec("x", levels=2, binarize="dynamic"), generator)
    assert not torch.equal(dynamic, again)  # a fresh draw every time the image is used


def test_dihedral_symmetries_are_the_eight_distinct_ones():
    image = torch.arange(9).view(1, 3, 3)
    variants = {tuple(dihedral(image, s).flatten().tolist()) for s in range(8)}
    assert len(variants) == 8
    augmented = model_input(image.to(torch.uint8).expand(64, 1, 3, 3), prc.DatasetSpec("x"), torch.Generator().manual_seed(0), augment=True)
    assert {tuple(a.flatten().tolist()) for a in augmented} == variants


def test_training_data_split_and_evaluation_data(tmp_path):
    write_image_folder(tmp_path, 10, 8)
    spec = prc.DatasetSpec(str(tmp_path), size=8, val_fraction=0.3)
    data = prc.load_training_data(spec)
    assert data.train.shape == (7, 3, 8, 8) and data.validation.shape == (3, 3, 8, 8)
    assert data.train.dtype == torch.uint8
    images, _ = load_evaluation_data(spec)
    assert images.shape == (10, 3, 8, 8)


def test_a_folder_of_only_small_images_says_how_many_and_what_would_use_them(tmp_path):
    write_image_folder(tmp_path, 3, 8)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(prc.DataError) as refused:
        read(tmp_path)
    message = str(refused.value)
    assert "skipped 4 file(s): 3 smaller than 32x32, 1 not an image Pillow can read" in message
    assert "a smaller image size would use them (in training, so would upscaling small images: --small upscale)" in message
