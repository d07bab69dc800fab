"""Checkpoints: safetensors round trips, metadata, atomic writes, and refusal of anything else."""
from __future__ import annotations

import pickle

import pytest
import torch
from safetensors.torch import save_file

import pixelrnn_core as prc
from pixelrnn_core.io import checkpoints
from pixelrnn_core.training.settings import TrainSettings, make_optimizer
from pixelrnn_core.training.state import load_training_state, save_training_state

from .datafiles import TouchPayload

TINY = dict(channels=3, levels=8, hidden=6, layers=1, out_hidden=6)


@pytest.mark.parametrize("arch", ["pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale"])
def test_round_trip_gives_identical_logits(tmp_path, arch):
    torch.manual_seed(0)
    model = prc.build_model(arch, **TINY).eval()
    x = torch.randint(0, 8, (2, 3, 6, 6))
    prc.save_checkpoint(tmp_path / "m.safetensors", model, step=12, bits_per_dim=2.5)
    loaded = prc.load_checkpoint(tmp_path / "m.safetensors")
    assert loaded.config == model.config
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))


def test_metadata_is_read_without_weights(tmp_path):
    model = prc.build_model("pixelcnn", **TINY)
    prc.save_checkpoint(tmp_path / "m.safetensors", model, step=7, data={"path": "x", "levels": 8})
    meta = prc.checkpoint_metadata(tmp_path / "m.safetensors")
    assert meta == {"config": model.config.to_dict(), "step": 7, "data": {"path": "x", "levels": 8}}


def test_metadata_named_config_is_refused_and_never_hides_the_models_config(tmp_path):
    model = prc.build_model("pixelcnn", **TINY)
    with pytest.raises(ValueError, match="'config'"):
        prc.save_checkpoint(tmp_path / "m.safetensors", model, config={"arch": "x"})
    assert not (tmp_path / "m.safetensors").exists()
    header = {"kind": checkpoints.MODEL_KIND, "config": model.config.to_dict(), "metadata": {"config": {"arch": "x"}}}
    checkpoints.write_safetensors(tmp_path / "m.safetensors", checkpoints.cpu_tensors(model.state_dict()), header)
    assert prc.checkpoint_metadata(tmp_path / "m.safetensors")["config"] == model.config.to_dict()
    assert prc.checkpoint_info(tmp_path / "m.safetensors").config == model.config


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_a_model_in_another_precision_is_saved_as_float32_and_loads(tmp_path, dtype):
    model = prc.build_model("row_lstm", **TINY).to(dtype)
    prc.save_checkpoint(tmp_path / "m.safetensors", model)
    loaded = prc.load_checkpoint(tmp_path / "m.safetensors")
    for name, weight in loaded.state_dict().items():
        assert weight.dtype == torch.float32 and torch.equal(weight, model.state_dict()[name].float())


def test_weights_a_load_would_refuse_are_not_saved(tmp_path):
    model = prc.build_model("pixelcnn", **TINY)
    with torch.no_grad():
        model.stem.weight[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="weight stem.weight holds NaN or infinite values; not saved"):
        prc.save_checkpoint(tmp_path / "m.safetensors", model)
    with pytest.raises(TypeError, match="a Linear is not a pixelrnn model"):
        prc.save_checkpoint(tmp_path / "m.safetensors", torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="metadata 'scores' is not JSON"):
        prc.save_checkpoint(tmp_path / "m.safetensors", prc.build_model("pixelcnn", **TINY), scores=torch.zeros(3))
    assert not (tmp_path / "m.safetensors").exists()


def test_a_checkpoint_loads_on_the_cpu_when_no_device_is_named(tmp_path):
    prc.save_checkpoint(tmp_path / "m.safetensors", prc.build_model("pixelcnn", **TINY))
    assert next(prc.load_checkpoint(tmp_path / "m.safetensors", device=None).parameters()).device.type == "cpu"


def test_saving_onto_a_folder_names_the_folder(tmp_path):
    (tmp_path / "ck").mkdir()
    with pytest.raises(IsADirectoryError, match="ck: a folder; give the name of a file to write"):
        prc.save_checkpoint(tmp_path / "ck", prc.build_model("pixelcnn", **TINY))
    assert list((tmp_path / "ck").iterdir()) == []


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    model = prc.build_model("pixelcnn", **TINY)
    path = tmp_path / "m.safetensors"
    prc.save_checkpoint(path, model, step=1)
    prc.save_checkpoint(path, model, step=2)
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
    assert prc.checkpoint_metadata(path)["step"] == 2


def assert_refused(path, *phrases):
    for read in (prc.load_checkpoint, prc.checkpoint_metadata):
        with pytest.raises(prc.CheckpointError) as error:
            read(path)
        message = str(error.value)
        assert "\n" not in message and str(path) in message
        for phrase in phrases:
            assert phrase in message


def test_pickle_posing_as_checkpoint_is_refused_and_never_executed(tmp_path):
    control, marker = tmp_path / "control", tmp_path / "marker"
    pickle.loads(pickle.dumps(TouchPayload(control)))
    assert control.exists()  # the payload does run when unpickled normally
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps({"state_dict": TouchPayload(marker)}))
    assert_refused(path, "pickle")
    assert not marker.exists()


def test_torch_save_file_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(prc.build_model("pixelcnn", **TINY).state_dict(), path)
    assert_refused(path, "zip archive")


def test_foreign_damaged_empty_and_missing_files_are_refused(tmp_path):
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, foreign)
    assert_refused(foreign, "not a pixelrnn checkpoint")
    truncated = tmp_path / "truncated.safetensors"
    prc.save_checkpoint(truncated, prc.build_model("pixelcnn", **TINY))
    truncated.write_bytes(truncated.read_bytes()[:-100])
    with pytest.raises(prc.CheckpointError, match="damaged"):
        prc.load_checkpoint(truncated)
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    assert_refused(empty, "empty")
    assert_refused(tmp_path / "missing.safetensors", "cannot read")


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    prc.save_checkpoint(path, prc.build_model("pixelcnn", **TINY))
    tensors, header = checkpoints.read_tensors(path)
    bigger = {**prc.checkpoint_metadata(path)["config"], "hidden": 12}
    checkpoints.write_safetensors(path, tensors, {"kind": "model", "config": bigger, "metadata": {}})
    with pytest.raises(prc.CheckpointError, match="do not fit"):
        prc.load_checkpoint(path)


def test_training_state_restores_weights_and_optimizer(tmp_path):
    torch.manual_seed(0)
    model = prc.build_model("row_lstm", **TINY)
    optimizer = make_optimizer(TrainSettings(optimizer="adam"), model.parameters())
    x = torch.randint(0, 8, (2, 3, 5, 5))
    torch.nn.functional.cross_entropy(model(x), x).backward()
    optimizer.step()
    save_training_state(tmp_path / "state.safetensors", model, optimizer, {"step": 1})
    fresh = prc.build_model("row_lstm", **TINY)
    fresh_optimizer = make_optimizer(TrainSettings(optimizer="adam"), fresh.parameters())
    assert load_training_state(tmp_path / "state.safetensors", fresh, fresh_optimizer) == {"step": 1}
    assert_refused(tmp_path / "state.safetensors", "training-state file, not a model checkpoint")
    for a, b in zip(model.parameters(), fresh.parameters()):
        assert torch.equal(a, b)
    saved, restored = optimizer.state_dict(), fresh_optimizer.state_dict()
    assert saved["param_groups"] == restored["param_groups"]
    for key in saved["state"]:
        for name, value in saved["state"][key].items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(restored["state"][key][name]))
