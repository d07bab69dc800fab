"""The training preview hook: a sample and a completion of a fixed validation image, like prc.complete."""
from __future__ import annotations

import numpy as np

import pixelrnn_core as prc
from pixelrnn_core.training import preview as preview_module

from .datafiles import write_image_folder


def test_preview_completes_the_bottom_half_of_a_fixed_validation_image(tmp_path):
    write_image_folder(tmp_path / "images", 8, 6)
    spec = prc.DatasetSpec(str(tmp_path / "images"), size=6, levels=4, val_fraction=0.25)
    data = prc.load_training_data(spec)
    model = prc.build_model("pixelcnn", channels=3, levels=4, hidden=4, layers=1, out_hidden=4)
    hook = prc.preview_hook(data, size=4)
    preview = hook(model, 3)
    # the centre of the image, where its subject usually is (a corner of a Fashion-MNIST image is black)
    expected_image = (data.validation[0, :, 1:5, 1:5].permute(1, 2, 0).numpy().astype(np.int64) * 4 // 256)
    np.testing.assert_array_equal(preview.image, expected_image)
    assert preview.step == 3 and preview.mask[2:].all() and not preview.mask[:2].any()
    np.testing.assert_array_equal(preview.completion, prc.complete(model, preview.image, preview.mask, seed=3)[0])
    np.testing.assert_array_equal(preview.completion[:2], preview.image[:2])
    assert preview.sample.shape == (4, 4, 3) and preview.sample.max() < 4
    assert hook(model, 3).sample.tolist() == preview.sample.tolist()
    assert repr(preview) == "TrainingPreview(step=3, path=None)"  # not four arrays, for a print(event) loop


def test_a_trainer_yields_previews_from_the_hook(tmp_path):
    write_image_folder(tmp_path / "images", 8, 4)
    spec = prc.DatasetSpec(str(tmp_path / "images"), size=4, levels=4, val_fraction=0.25)
    data = prc.load_training_data(spec)
    config = prc.ModelConfig("pixelcnn", channels=3, levels=4, hidden=4, layers=1, out_hidden=4)
    settings = prc.TrainSettings(batch_size=2, epochs=1, preview_every=2)
    trainer = prc.new_run(tmp_path / "run", spec, config, settings, preview=prc.preview_hook(data), data=data)
    previews = [e for e in trainer.events() if isinstance(e, prc.Preview)]
    assert [p.step for p in previews] == [2] and isinstance(previews[0].result, prc.TrainingPreview)


def test_a_preview_in_progress_is_abandoned_when_the_run_stops(tmp_path):
    write_image_folder(tmp_path / "images", 4, 4)
    data = prc.load_training_data(prc.DatasetSpec(str(tmp_path / "images"), size=4, levels=4, val_fraction=0.25))
    model = prc.build_model("pixelcnn", channels=3, levels=4, hidden=4, layers=1, out_hidden=4)
    checks = []
    hook = prc.preview_hook(data, cancelled=lambda: checks.append(1) or len(checks) >= 3)
    assert hook(model, 1) is None and len(checks) == 3


def test_previews_run_on_the_cpu_whatever_device_trains(tmp_path, monkeypatch):
    write_image_folder(tmp_path / "images", 8, 6)
    data = prc.load_training_data(prc.DatasetSpec(str(tmp_path / "images"), size=6, levels=4, val_fraction=0.25))
    devices = []

    class RecordedJob(preview_module.CompletionJob):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            devices.append(kwargs.get("device"))  # None: the model's device

    monkeypatch.setattr(preview_module, "CompletionJob", RecordedJob)
    prc.preview_hook(data, size=4)(prc.build_model("pixelcnn", channels=3, levels=4, hidden=4, layers=1, out_hidden=4), 1)
    # on a GPU a fill is launch-bound: the bottom half of 32x32 RGB took 6-9 s on an H200, ~1 s on 2 CPU cores
    assert devices == ["cpu"] * 2
