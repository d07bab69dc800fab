"""Typed checkpoint information: what the trainer writes comes back as a CheckpointInfo; the run
folder names the model a run leaves ("best, else last"); run.json reads back as a RunConfig."""
from __future__ import annotations

import pytest

import pixelrnn_core as prc

from .datafiles import write_image_folder

MODEL = dict(hidden=4, layers=1, out_hidden=4)


def run_in(tmp_path, val_fraction):
    write_image_folder(tmp_path / "images", 12, 6)
    spec = prc.DatasetSpec(str(tmp_path / "images"), size=6, levels=4, val_fraction=val_fraction)
    plan = prc.run_config("pixelcnn", spec, prc.TrainSettings(batch_size=4, epochs=1, seed=1), channels=3, **MODEL)
    trainer = prc.new_run(tmp_path / "run", plan.data, plan.model, plan.training)
    return plan, trainer, list(trainer.events())


def test_a_trained_checkpoint_reads_back_as_typed_information(tmp_path):
    plan, trainer, events = run_in(tmp_path, 0.25)
    info = prc.checkpoint_info(tmp_path / "run" / "last.safetensors")
    validation = [e for e in events if isinstance(e, prc.Validation)][-1]
    assert info.config == plan.model and info.data == plan.data
    assert info.image_size == (6, 6) and info.training_size == (6, 6)
    assert info.step == trainer.step and info.epoch == 1 and info.bits_per_dim == validation.bits_per_dim
    assert info.summary() == [
        "pixelcnn: 1 layers, h=4, 3 channel(s) × 4 levels", "data: images at 6×6",
        f"bits/dim: {validation.bits_per_dim:.3f}", f"steps: {trainer.step}",
    ]
    assert prc.RunFolder(tmp_path / "run").read_config() == plan


def test_a_hand_saved_model_has_no_data_spec_and_a_default_size(tmp_path):
    model = prc.build_model("row_lstm", channels=1, levels=2, **MODEL)
    prc.save_checkpoint(tmp_path / "m.safetensors", model, title="tiny", note={"any": "thing"})
    info = prc.checkpoint_info(tmp_path / "m.safetensors")
    assert info.data is None and info.image_size is None and info.training_size == (32, 32)
    assert info.title == "tiny" and info.metadata["note"] == {"any": "thing"} and info.step is None
    assert info.summary()[0] == "tiny"


def test_the_card_of_a_mixture_model_says_so(tmp_path):
    model = prc.build_model("pixelcnn", channels=3, levels=256, output="logistic_mixture", mixtures=5, **MODEL)
    prc.save_checkpoint(tmp_path / "m.safetensors", model)
    summary = prc.checkpoint_info(tmp_path / "m.safetensors").summary()
    assert summary[0] == "pixelcnn: 1 layers, h=4, 3 channel(s) × 256 levels, a mixture of 5 logistics per sub-pixel"


def test_a_damaged_data_spec_is_refused_with_the_file_named(tmp_path):
    model = prc.build_model("pixelcnn", channels=1, levels=2, **MODEL)
    path = tmp_path / "m.safetensors"
    prc.save_checkpoint(path, model, data={"path": "x", "colour": "yes"})
    with pytest.raises(prc.CheckpointError, match=f"{path}.*data spec"):
        prc.checkpoint_info(path)


@pytest.mark.parametrize("val_fraction, kind", [(0.25, "best"), (0.0, "last")])
def test_the_run_folder_names_its_best_checkpoint_else_its_last(tmp_path, val_fraction, kind):
    _, trainer, events = run_in(tmp_path, val_fraction)
    saved = [e for e in events if isinstance(e, prc.CheckpointSaved) and e.kind == kind]
    assert trainer.folder.model_checkpoint() == tmp_path / "run" / f"{kind}.safetensors"
    assert saved and saved[-1].path == str(trainer.folder.model_checkpoint())


def test_an_empty_folder_has_no_model(tmp_path):
    assert prc.RunFolder(tmp_path).model_checkpoint() is None


def test_run_config_merges_a_preset_with_chosen_sizes_at_the_data_levels(tmp_path):
    spec = prc.DatasetSpec(str(tmp_path), levels=16)
    plan = prc.run_config("mnist", spec, prc.TrainSettings(), hidden=8, layers=None)
    assert plan.model == prc.ModelConfig(**{**prc.PRESETS["mnist"], "levels": 16, "hidden": 8})
    assert prc.run_config("row_lstm", spec.replace(channels=1), prc.TrainSettings()).model.channels == 1
