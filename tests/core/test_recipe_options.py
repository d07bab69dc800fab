"""Training-recipe options: a moving average of the weights (--ema) and dropout (--dropout)."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

import pixelrnn_core as prc
from pixelrnn_core.cli import main
from pixelrnn_core.training.settings import autocast_dtype

from .datafiles import write_image_folder

MODEL = dict(hidden=4, layers=1, out_hidden=4)
TINY = ["--hidden", "4", "--layers", "1", "--out-hidden", "4"]


@pytest.fixture
def folder(tmp_path):
    write_image_folder(tmp_path / "images", 24, 6)
    return tmp_path / "images"


def start(run_dir, folder, dropout=0.0, **settings):
    spec = prc.DatasetSpec(str(folder), size=6, levels=4, val_fraction=0.25)
    config = prc.ModelConfig("pixelcnn", channels=3, levels=4, dropout=dropout, **MODEL)
    defaults = dict(batch_size=4, epochs=2, log_every=1, checkpoint_every=3, seed=1, lr=0.05)
    return prc.new_run(run_dir, spec, config, prc.TrainSettings(**{**defaults, **settings}))


def test_the_saved_and_validated_model_is_the_moving_average_of_the_weights(tmp_path, folder):
    decay = 0.75
    trainer = start(tmp_path / "run", folder, ema=decay, batch_size=9, epochs=1)  # 18 training images: 2 steps
    raw = {}
    for event in trainer.events():
        if isinstance(event, prc.TrainStep):
            raw[event.step] = {name: value.clone() for name, value in trainer.model.state_dict().items()}
        if isinstance(event, prc.Validation):
            validation = event
    assert sorted(raw) == [1, 2]
    saved = load_file(tmp_path / "run" / "last.safetensors")
    parameters = dict(trainer.model.named_parameters())
    for name in parameters:
        expected = decay * raw[1][name] + (1 - decay) * raw[2][name]  # the first step starts the average
        assert torch.allclose(saved[name], expected, atol=1e-6), name
    assert any(not torch.allclose(saved[name], raw[2][name]) for name in parameters)
    model = prc.load_checkpoint(tmp_path / "run" / "last.safetensors")
    data = trainer.data
    again = prc.evaluate_images(model, data.validation, data.spec, trainer.settings.eval_batch_size, seed=data.spec.seed)
    assert validation.bits_per_dim == pytest.approx(again.bits_per_dim, rel=1e-6)
    assert json.loads((tmp_path / "run" / "run.json").read_text())["training"]["ema"] == decay


def test_resume_keeps_the_moving_average(tmp_path, folder):
    start(tmp_path / "whole", folder, ema=0.9).run()
    interrupted = start(tmp_path / "split", folder, ema=0.9)
    for event in interrupted.events():
        if isinstance(event, prc.CheckpointSaved) and event.step == 6:
            interrupted.cancel()
    resumed = prc.resume_run(tmp_path / "split")
    assert resumed.step == 6 and resumed.average is not None
    assert resumed.run().step == 10
    whole, split = load_file(tmp_path / "whole" / "last.safetensors"), load_file(tmp_path / "split" / "last.safetensors")
    assert all(torch.equal(whole[name], split[name]) for name in whole)
    raw = resumed.model.state_dict()
    assert any(not torch.equal(split[name], raw[name]) for name in raw)


def test_dropout_changes_outputs_only_in_training_mode():
    torch.manual_seed(0)
    plain = prc.build_model("row_lstm", channels=1, levels=8, **MODEL)
    torch.manual_seed(0)
    dropped = prc.build_model("row_lstm", channels=1, levels=8, dropout=0.5, **MODEL)
    x = torch.randint(0, 8, (2, 1, 5, 5))
    plain.train()
    dropped.train()
    assert not torch.allclose(dropped(x), plain(x))
    plain.eval()
    dropped.eval()
    assert torch.equal(dropped(x), plain(x))


def test_old_configs_load_without_dropout_and_bad_values_are_refused():
    old = prc.ModelConfig("pixelcnn").to_dict()
    del old["dropout"]
    assert prc.ModelConfig.from_dict(old).dropout == 0.0
    with pytest.raises(ValueError, match="dropout"):
        prc.ModelConfig("pixelcnn", dropout=1.0)
    with pytest.raises(ValueError, match="ema"):
        prc.TrainSettings(ema=1.0)


def test_cli_records_ema_and_dropout_and_keeps_them_on_resume(tmp_path, folder, capsys):
    run = tmp_path / "run"
    code = main(["train", str(folder), "--arch", "pixelcnn", *TINY, "--size", "6", "--levels", "4", "--batch-size", "9",
                 "--epochs", "1", "--ema", "0.5", "--dropout", "0.2", "--preview-every", "0", "--out", str(run)])
    assert code == 0
    config = json.loads((run / "run.json").read_text())
    assert config["training"]["ema"] == 0.5 and config["model"]["dropout"] == 0.2
    assert prc.load_checkpoint(run / "last.safetensors").config.dropout == 0.2
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--ema", "0.9"]) == 2
    assert "--ema cannot change" in capsys.readouterr().err


@pytest.mark.parametrize("amx", [True, False])
def test_auto_precision_trains_in_bf16_on_cpus_with_amx_and_validates_in_fp32(tmp_path, folder, monkeypatch, amx):
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    cpu = torch.device("cpu")
    assert autocast_dtype("auto", cpu, training=True) == (torch.bfloat16 if amx else None)
    assert autocast_dtype("auto", cpu) is None
    assert autocast_dtype("fp32", cpu, training=True) is None
    trainer = start(tmp_path / "run", folder)
    assert (trainer.autocast, trainer.validation_autocast) == (torch.bfloat16 if amx else None, None)
