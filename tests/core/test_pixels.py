"""The pixel conventions: levels and grey agree with image files; the 8 symmetries agree between
names, codes, numpy and torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import pixelrnn_core as prc
from pixelrnn_core.pixels.dihedral import SYMMETRIES, inverse, transform_array, transform_position, transform_tensor
from pixelrnn_core.pixels.levels import check_levels, grey, quantize, quantize_tensor


def test_grey_of_an_array_equals_the_file_read_as_grey(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "colour.png")
    np.testing.assert_array_equal(grey(rgb)[..., 0], np.asarray(Image.open(tmp_path / "colour.png").convert("L")))
    np.testing.assert_array_equal(prc.read_image(tmp_path / "colour.png", channels=1, levels=16), quantize(grey(rgb), 16))


@pytest.mark.parametrize("levels", [2, 3, 16, 255, 256])
def test_a_shown_level_reads_back_as_itself_in_numpy_and_torch(levels):
    values = np.arange(levels, dtype=np.uint8)
    shown = prc.to_8bit(values, levels)
    assert shown[0] == 0 and shown[-1] == 255
    np.testing.assert_array_equal(quantize(shown, levels), values)
    np.testing.assert_array_equal(quantize_tensor(torch.from_numpy(shown), levels).numpy(), values)


@pytest.mark.parametrize("levels", [1, 257])
def test_levels_outside_2_to_256_are_refused_everywhere(levels, tmp_path):
    with pytest.raises(ValueError, match="levels must be between 2 and 256"):
        check_levels(levels)
    with pytest.raises(ValueError, match="levels must be between 2 and 256"):
        prc.ModelConfig("pixelcnn", levels=levels)
    with pytest.raises(prc.DataError, match="levels must be between 2 and 256"):
        prc.DatasetSpec(str(tmp_path), levels=levels)
    for convert in (prc.quantize, prc.to_8bit):
        with pytest.raises(ValueError, match="levels must be between 2 and 256"):
            convert(np.zeros(3, np.uint8), levels)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: prc.quantize(np.array([300]), 16), "8-bit values"),
        (lambda: prc.quantize(np.array([0.5]), 16), "8-bit values"),
        (lambda: prc.to_8bit(np.array([20], np.uint8), 16), r"levels 0 to 15, got values up to 20"),
        (lambda: prc.to_channels(np.zeros((4, 4), np.uint8), 3), r"\(\.\.\., C\).*\(4, 4\)"),
    ],
)
def test_the_pixel_helpers_refuse_values_they_would_mangle(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("symmetry", sorted(SYMMETRIES))
def test_a_pixel_position_moves_as_the_pixel_does(symmetry):
    array = np.arange(3 * 5).reshape(3, 5)
    turned = transform_array(array, symmetry)
    rows, cols = np.indices(array.shape)
    new_rows, new_cols = transform_position(rows, cols, array.shape, symmetry)
    np.testing.assert_array_equal(turned[new_rows, new_cols], array)
    assert transform_position(2, 1, array.shape, symmetry) == (new_rows[2, 1], new_cols[2, 1])


def test_each_symmetry_is_the_same_in_numpy_and_torch_and_undone_by_its_inverse():
    array = np.arange(12).reshape(3, 4)
    images = {tuple(transform_array(array, name).ravel()) for name in SYMMETRIES}
    assert len(images) == 8
    for name, code in SYMMETRIES.items():
        np.testing.assert_array_equal(transform_array(array, name), transform_array(array, code))
        np.testing.assert_array_equal(transform_tensor(torch.from_numpy(array), code).numpy(), transform_array(array, name))
        np.testing.assert_array_equal(transform_array(transform_array(array, code), inverse(code)), array)
    np.testing.assert_array_equal(transform_array(array, "rotate_90"), np.rot90(array))
