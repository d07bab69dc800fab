"""The public model contract: shapes, any image size, clear errors, presets and switches."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import pixelrnn_core as prc
from pixelrnn_core import memory

ARCHS = ["pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale"]


def tiny(arch: str, **settings) -> torch.nn.Module:
    torch.manual_seed(0)
    return prc.build_model(arch, **{"channels": 3, "levels": 256, "hidden": 6, "layers": 1, **settings})


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("size", [(1, 1), (3, 11), (12, 2), (17, 17)])
def test_any_image_size_gives_logits_of_the_contract_shape(arch, size):
    model = tiny(arch)
    x = torch.randint(0, 256, (2, 3, *size))
    logits = model(x)
    assert logits.shape == (2, 256, 3, *size)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("levels", [2, 4, 256])
def test_levels_set_the_softmax_size(levels):
    model = tiny("row_lstm", channels=1, levels=levels)
    assert model(torch.randint(0, levels, (1, 1, 4, 4))).shape == (1, levels, 1, 4, 4)


@pytest.mark.parametrize(
    "x, message",
    [
        (torch.zeros(1, 3, 4, 4), "integer"),
        (torch.zeros(1, 1, 4, 4, dtype=torch.long), "shape"),
        (torch.zeros(3, 4, 4, dtype=torch.long), "shape"),
        (torch.full((1, 3, 4, 4), 256), r"\[0, 256\)"),
        (torch.full((1, 3, 4, 4), -1), r"\[0, 256\)"),
    ],
)
@pytest.mark.parametrize("arch", ["pixelcnn", "multiscale"])
def test_bad_input_is_a_clear_error(arch, x, message):
    with pytest.raises((TypeError, ValueError), match=message):
        tiny(arch)(x)


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(arch="transformer"), "unknown architecture"),
        (dict(arch="row_lstm", levels=1), "levels"),
        (dict(arch="row_lstm", levels=300), "levels"),
        (dict(arch="row_lstm", hidden=2), "colour groups"),
        (dict(arch="pixelcnn", kernel=4), "odd"),
        (dict(arch="multiscale", base_arch="multiscale"), "base_arch"),
        (dict(arch="row_lstm", depth=3), "depth"),
        (dict(arch="row_lstm", hidden=8.5), "hidden must be int, got 8.5"),
        (dict(arch="row_lstm", hidden="8"), "hidden must be int, got '8'"),
        (dict(arch="pixelcnn", residual="yes"), "residual must be bool"),
    ],
)
def test_bad_settings_are_clear_errors(settings, message):
    with pytest.raises((TypeError, ValueError), match=message):
        prc.build_model(**settings)


@pytest.mark.parametrize(
    "name, arch, channels, levels, hidden, layers, residual",
    [
        ("mnist", "diagonal_bilstm", 1, 2, 16, 7, True),
        ("cifar10-pixelcnn", "pixelcnn", 3, 256, 128, 15, True),
        ("cifar10-row-lstm", "row_lstm", 3, 256, 128, 12, True),
        ("cifar10-diagonal-bilstm", "diagonal_bilstm", 3, 256, 128, 12, True),
        ("imagenet32", "row_lstm", 3, 256, 384, 12, True),
        ("imagenet64", "row_lstm", 3, 256, 512, 4, False),
    ],
)
def test_presets_have_the_papers_sizes(name, arch, channels, levels, hidden, layers, residual):
    cfg = prc.build_model(name).config
    assert (cfg.arch, cfg.channels, cfg.levels, cfg.hidden, cfg.layers, cfg.residual) == (
        arch, channels, levels, hidden, layers, residual
    )


def test_a_model_whose_weights_exceed_the_memory_is_refused_before_any_is_allocated(monkeypatch):
    monkeypatch.setattr(memory, "physical_memory", lambda: 2**20)
    with monkeypatch.context() as patched:
        patched.setattr(torch.nn.Conv2d, "reset_parameters", lambda self: self.weight.is_meta or pytest.fail("a weight was made"))
        with pytest.raises(prc.MemoryRequestError, match=r"weights of a pixelcnn of [\d,]+ parameters would need about [\d.]+ MiB"):
            prc.build_model("pixelcnn", hidden=128, layers=4)
    assert prc.build_model("pixelcnn", hidden=4, layers=1, out_hidden=4)  # 4 KiB of weights fit


def test_numpy_numbers_are_taken_as_python_numbers():
    cfg = prc.build_model("row_lstm", hidden=np.int64(8), layers=np.int32(1)).config
    assert cfg.hidden == 8 and type(cfg.hidden) is int and cfg.to_dict()["layers"] == 1
    spec = prc.DatasetSpec("x", background=tuple(np.array([1, 2, 3])))  # a colour picked from an image's pixel
    assert spec.background == (1, 2, 3) and all(type(value) is int for value in spec.background)


def test_preset_settings_can_be_overridden():
    cfg = prc.build_model("cifar10-row-lstm", layers=2, hidden=8, out_hidden=16).config
    assert (cfg.arch, cfg.layers, cfg.hidden) == ("row_lstm", 2, 8)


def test_preset_model_runs():
    model = prc.build_model("mnist")
    assert model(torch.randint(0, 2, (1, 1, 6, 5))).shape == (1, 2, 1, 6, 5)


@pytest.mark.parametrize("arch", ["pixelcnn", "row_lstm", "diagonal_bilstm"])
def test_skip_and_residual_switches_change_the_network(arch):
    x = torch.randint(0, 256, (1, 3, 5, 5))
    outputs = {}
    for residual in (True, False):
        for skip in (True, False):
            model = tiny(arch, layers=2, residual=residual, skip=skip)
            assert (model.skips is not None) == skip
            outputs[residual, skip] = model(x)
    assert not torch.allclose(outputs[True, True], outputs[False, True])
    assert not torch.allclose(outputs[True, True], outputs[True, False])


def test_config_round_trips_through_a_dict():
    model = tiny("multiscale", base_arch="diagonal_bilstm", scale=3)
    rebuilt = prc.model_from_config(prc.ModelConfig.from_dict(model.config.to_dict()))
    rebuilt.load_state_dict(model.state_dict())
    x = torch.randint(0, 256, (1, 3, 6, 7))
    assert torch.equal(model(x), rebuilt(x))


@pytest.mark.parametrize("channels", [2, 4])
def test_models_are_of_grey_or_rgb_images(channels):
    """A 4-channel model was built and trained, and `pixelrnn sample` drew a whole image before it
    found it could not save it."""
    with pytest.raises(ValueError, match="channels must be 1 .grey. or 3 .RGB."):
        prc.build_model("pixelcnn", channels=channels, hidden=4, layers=1)
