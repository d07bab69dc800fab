"""The model fits the picture: a colour image selects a colour model, a grayscale image a grayscale
one; a mismatch the user chooses is shown before Complete, with a way out; a newly trained model
becomes the active one only if it fits the open image."""
import numpy as np
import pixelrnn_core as prc
from PySide6.QtCore import Qt

CAT = prc.sample_images()["cat"][0]


def model_name(window) -> str:
    return window.controller.model_path.name


def test_a_colour_photo_selects_the_colour_model_and_a_grey_image_a_grey_one(window, grey_image_file):
    window.load_checkpoint(str(prc.bundled_models()["fashion-mnist"]))
    assert window.files.open_image(CAT)
    assert window.controller.model.config.channels == 3
    assert window.controller.model_path == prc.bundled_models()["photo-patches"]
    assert not window.panel.fit_box.isVisibleTo(window.panel)
    assert window.files.open_image(grey_image_file)
    assert window.controller.model.config.channels == 1


def test_the_last_colour_model_used_is_chosen_again(window, grey_image_file, rgb_model_file):
    window.files.open_image(CAT)
    window.load_checkpoint(str(rgb_model_file))
    window.files.open_image(grey_image_file)
    assert window.controller.model.config.channels == 1
    window.files.open_image(CAT)
    assert window.controller.model_path == rgb_model_file


def test_a_mismatch_is_shown_before_complete_and_can_be_converted(window, qtbot):
    window.files.open_image(CAT)
    window.load_checkpoint(str(prc.bundled_models()["fashion-mnist"]))
    panel = window.panel
    assert panel.fit_box.isVisibleTo(panel)
    assert "grayscale" in panel.fit_label.text() and "colour" in panel.fit_label.text()
    colour = window.document.image.copy()
    qtbot.mouseClick(panel.convert_button, Qt.MouseButton.LeftButton)
    image = window.document.image
    assert (image[..., 0] == image[..., 1]).all() and (image[..., 1] == image[..., 2]).all()
    assert not panel.fit_box.isVisibleTo(panel)
    window.undo_action.trigger()
    np.testing.assert_array_equal(window.document.image, colour)
    assert panel.fit_box.isVisibleTo(panel)
    qtbot.mouseClick(panel.switch_model_button, Qt.MouseButton.LeftButton)
    assert window.controller.model.config.channels == 3
    assert not panel.fit_box.isVisibleTo(panel)


def test_a_newly_trained_model_becomes_active_only_if_it_fits(window, grey_model_file, rgb_model_file):
    window.files.open_image(CAT)
    active = window.controller.model_path
    window.add_trained_model(str(grey_model_file))
    assert window.controller.model_path == active
    assert window.panel.model_picker.findData(str(grey_model_file)) >= 0
    window.add_trained_model(str(rgb_model_file))
    assert window.controller.model_path == rgb_model_file


def test_a_model_of_fewer_levels_than_the_image_says_so_before_complete(window):
    dress = prc.sample_images()["fashion-dress"][0]
    window.files.open_image(dress)
    window.load_checkpoint(str(prc.bundled_models()["fashion-mnist-binary"]))
    panel = window.panel
    assert panel.fit_box.isVisibleTo(panel)
    assert panel.fit_label.text() == ("This model has 2 levels per sub-pixel: it reads the image quantized to them "
                                      "and fills the hole with them.")
    assert not panel.switch_model_button.isVisibleTo(panel) and not panel.convert_button.isVisibleTo(panel)
    window.load_checkpoint(str(prc.bundled_models()["fashion-mnist"]))
    assert not panel.fit_box.isVisibleTo(panel)
