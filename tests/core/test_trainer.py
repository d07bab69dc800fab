"""The training loop: events, files, cancel, pause, preview, exact resume, evaluation."""
from __future__ import annotations

import json
import math
import threading

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import pixelrnn_core as prc
from pixelrnn_core.training.settings import autocast_dtype, learning_rate

from .datafiles import write_broken_files, write_image_folder

MODEL = dict(hidden=4, layers=1, out_hidden=4)


@pytest.fixture
def folder(tmp_path):
    write_image_folder(tmp_path / "images", 24, 6)
    return tmp_path / "images"


def start(run_dir, folder, arch="pixelcnn", preview=None, device="cpu", **settings):
    spec = prc.DatasetSpec(str(folder), size=6, levels=4, val_fraction=0.25, augment=True)
    config = prc.ModelConfig(arch, channels=3, levels=4, **MODEL)
    defaults = dict(batch_size=4, epochs=2, log_every=2, checkpoint_every=3, seed=1)
    return prc.new_run(run_dir, spec, config, prc.TrainSettings(**{**defaults, **settings}), device, preview)


def test_a_run_reports_events_and_writes_its_files(tmp_path, folder):
    trainer = start(tmp_path / "run", folder)
    events = list(trainer.events())
    steps = [e for e in events if isinstance(e, prc.TrainStep)]
    validations = [e for e in events if isinstance(e, prc.Validation)]
    assert [e.step for e in steps] == [2, 4, 6, 8, 10]
    assert [(e.step, e.total_steps) for e in events if isinstance(e, prc.StepDone)] == [(n, 10) for n in range(1, 11)]
    assert all(e.total_steps == 10 and e.images_per_second > 0 and e.bits_per_dim > 0 for e in steps)
    assert steps[-1].eta_seconds == 0 and [v.epoch for v in validations] == [0, 1]
    assert events[-1] == prc.Finished(10, 2, "completed", min(v.bits_per_dim for v in validations))
    saved = {(e.kind, e.step) for e in events if isinstance(e, prc.CheckpointSaved)}
    assert {("step", 3), ("step", 6), ("step", 9), ("last", 5), ("last", 10), ("best", 5)} <= saved
    run = tmp_path / "run"
    assert (run / "checkpoints" / "step-00000003.safetensors").is_file()
    meta = prc.checkpoint_metadata(run / "last.safetensors")
    assert meta["step"] == 10 and meta["data"]["path"] == str(folder) and meta["bits_per_dim"] == validations[-1].bits_per_dim
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "train"] == [2, 4, 6, 8, 10]
    assert json.loads((run / "run.json").read_text())["data_report"]["train_images"] == 18


@pytest.mark.parametrize("argument", range(3))
def test_a_new_run_given_the_wrong_kind_of_settings_says_which(tmp_path, folder, argument):
    given = [prc.DatasetSpec(str(folder), size=6, levels=4), prc.ModelConfig("pixelcnn", channels=3, levels=4, **MODEL),
             prc.TrainSettings()]
    given[argument] = str(folder)  # e.g. the data's path instead of its spec
    expected = ("DatasetSpec", "ModelConfig", "TrainSettings")[argument]
    with pytest.raises(TypeError, match=f"must be a {expected}, got a str"):
        prc.new_run(tmp_path / "run", *given)
    assert not (tmp_path / "run").exists()


def test_paths_are_taken_where_settings_hold_a_path(tmp_path, folder):
    spec = prc.DatasetSpec(folder, size=6, levels=4)
    assert spec.path == str(folder) and prc.TrainSettings(init=tmp_path / "m.safetensors").init == str(tmp_path / "m.safetensors")
    assert len(prc.load_images(spec).images) == 24


def test_training_lowers_the_loss(tmp_path, folder):
    events = list(start(tmp_path / "run", folder, epochs=6, lr=3e-3).events())
    validations = [e.bits_per_dim for e in events if isinstance(e, prc.Validation)]
    assert validations[-1] < validations[0] < 2.0 + 0.5  # 4 levels: 2 bits/dim is the uniform model


def test_folder_with_broken_files_trains_and_reports_the_skips(tmp_path, folder):
    write_broken_files(folder / "broken", 6)
    spec = prc.DatasetSpec(str(folder), size=6, levels=4, max_pixels=10_000)
    config = prc.ModelConfig("row_lstm", channels=3, levels=4, **MODEL)
    trainer = prc.new_run(tmp_path / "run", spec, config, prc.TrainSettings(batch_size=8, epochs=1))
    assert trainer.run().reason == "completed"
    skipped = json.loads((tmp_path / "run" / "run.json").read_text())["data_report"]["skipped"]
    assert len(skipped) == 4


def test_cancel_stops_cleanly_and_keeps_the_last_state(tmp_path, folder):
    trainer = start(tmp_path / "run", folder, log_every=1)
    for event in trainer.events():
        if isinstance(event, prc.TrainStep) and event.step == 2:
            trainer.cancel()
    assert event == prc.Finished(2, 0, "cancelled", None)
    assert prc.checkpoint_metadata(tmp_path / "run" / "last.safetensors")["step"] == 2


def test_a_run_cancelled_before_its_first_step_saves_no_untrained_model_and_resumes_from_the_start(tmp_path, folder):
    trainer = start(tmp_path / "run", folder)
    trainer.cancel()
    assert list(trainer.events()) == [prc.Finished(0, 0, "cancelled", None)]
    assert prc.RunFolder(tmp_path / "run").model_checkpoint() is None
    resumed = prc.resume_run(tmp_path / "run")
    assert resumed.step == 0 and resumed.run().step == 10


def test_a_run_extended_on_resume_keeps_its_new_length_for_later_resumes(tmp_path, folder):
    start(tmp_path / "run", folder).run()  # 2 epochs of 5 steps
    extended = prc.resume_run(tmp_path / "run", epochs=3)
    for event in extended.events():
        if isinstance(event, prc.StepDone) and event.step == 12:
            extended.cancel()
    later = prc.resume_run(tmp_path / "run")
    assert (later.step, later.total_steps) == (12, 15) and later.run().step == 15
    assert prc.resume_run(tmp_path / "run", max_steps=16, epochs=4).run().step == 16
    assert prc.resume_run(tmp_path / "run", epochs=5).total_steps == 25  # new epochs, no new cap: the old one goes


def test_pause_waits_until_resumed_from_another_thread(tmp_path, folder):
    trainer = start(tmp_path / "run", folder, log_every=1)
    seen = []
    for event in trainer.events():
        seen.append(type(event).__name__)
        if isinstance(event, prc.TrainStep) and event.step == 1:
            trainer.pause()
        if isinstance(event, prc.Paused):
            assert event.step == 1 and trainer.paused
            threading.Timer(0.05, trainer.resume).start()
    assert seen.count("Paused") == 1 and seen[-1] == "Finished"
    assert event.reason == "completed" and event.step == 10


def test_preview_hook_gets_the_model_every_n_steps(tmp_path, folder):
    calls = []

    def preview(model, step):
        calls.append((step, model.training))
        return f"preview {step}"

    events = list(start(tmp_path / "run", folder, preview=preview, preview_every=4).events())
    assert calls == [(4, False), (8, False)]
    assert [e.result for e in events if isinstance(e, prc.Preview)] == ["preview 4", "preview 8"]


@pytest.mark.parametrize("arch", ["pixelcnn", "diagonal_bilstm"])
def test_resume_continues_exactly_where_it_stopped(tmp_path, folder, arch):
    start(tmp_path / "whole", folder, arch, optimizer="adam", schedule="cosine").run()
    interrupted = start(tmp_path / "split", folder, arch, optimizer="adam", schedule="cosine")
    for event in interrupted.events():
        if isinstance(event, prc.CheckpointSaved) and event.step == 6:
            interrupted.cancel()
    partial = tmp_path / "split" / ".last.safetensors.x1y2.tmp"
    partial.write_bytes(b"half a checkpoint, cut short by kill -9")
    resumed = prc.resume_run(tmp_path / "split")
    assert not partial.exists()
    assert resumed.step == 6
    assert resumed.run().step == 10
    whole, split = load_file(tmp_path / "whole" / "last.safetensors"), load_file(tmp_path / "split" / "last.safetensors")
    assert all(torch.equal(whole[name], split[name]) for name in whole)
    metrics = [(tmp_path / run / "metrics.jsonl").read_text().splitlines() for run in ("whole", "split")]
    strip = [[{k: v for k, v in json.loads(line).items() if k not in ("time", "images_per_second")} for line in m] for m in metrics]
    assert strip[0] == strip[1]


def test_a_trainer_runs_once(tmp_path, folder):
    trainer = start(tmp_path / "run", folder, max_steps=2)
    events = trainer.events()
    next(events)
    with pytest.raises(RuntimeError, match="runs once"):
        trainer.events()
    assert isinstance(list(events)[-1], prc.Finished)


def test_a_new_run_refuses_a_folder_that_holds_one(tmp_path, folder):
    start(tmp_path / "run", folder)
    with pytest.raises(FileExistsError, match="already holds a run"):
        start(tmp_path / "run", folder)


def test_model_and_data_must_agree(tmp_path, folder):
    spec = prc.DatasetSpec(str(folder), size=6, channels=1)
    with pytest.raises(ValueError, match="channel"):
        prc.new_run(tmp_path / "run", spec, prc.ModelConfig("pixelcnn", channels=3, **MODEL), prc.TrainSettings())


def test_data_loaded_from_another_spec_is_refused(tmp_path, folder):
    spec = prc.DatasetSpec(str(folder), size=6, levels=4)
    data = prc.load_training_data(spec.replace(val_fraction=0.5))
    with pytest.raises(ValueError, match="another dataset spec"):
        prc.new_run(tmp_path / "run", spec, prc.ModelConfig("pixelcnn", channels=3, levels=4, **MODEL), prc.TrainSettings(), data=data)
    assert not (tmp_path / "run" / "run.json").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="a machine without a CUDA GPU")
@pytest.mark.parametrize("device, message", [("cuda", "not available"), ("gpu", "unknown device 'gpu'"), ("mps", "not supported")])
def test_devices_this_machine_lacks_are_refused_in_our_words(tmp_path, folder, device, message):
    with pytest.raises(ValueError, match=message):
        start(tmp_path / "run", folder, device=device)
    assert not (tmp_path / "run" / "run.json").exists()
    model = prc.build_model("pixelcnn", **MODEL)
    prc.save_checkpoint(tmp_path / "m.safetensors", model)
    with pytest.raises(ValueError, match=message):
        prc.load_checkpoint(tmp_path / "m.safetensors", device=device)
    with pytest.raises(ValueError, match=message):
        prc.evaluate_checkpoint(tmp_path / "m.safetensors", folder, device=device)


def test_an_unknown_precision_is_named_as_such():
    with pytest.raises(ValueError, match="precision must be one of auto, fp32, bf16, fp16, got 'fp8'"):
        autocast_dtype("fp8", torch.device("cpu"))


def test_learning_rate_schedule_and_precision_choice():
    settings = prc.TrainSettings(lr=1.0, schedule="cosine", warmup_steps=4)
    assert [learning_rate(settings, s, 104) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert learning_rate(settings, 54, 104) == pytest.approx(0.5)
    assert learning_rate(settings, 104, 104) == pytest.approx(0.0)
    assert autocast_dtype("auto", torch.device("cpu")) is None
    assert autocast_dtype("bf16", torch.device("cpu")) == torch.bfloat16  # issue 12: bf16 autocast on CPUs
    with pytest.raises(ValueError, match="needs a CUDA device"):
        autocast_dtype("fp16", torch.device("cpu"))


@pytest.mark.parametrize("training", [True, False])
def test_auto_precision_is_fp32_on_cuda_where_bf16_was_measured_slower(training):
    """On an H200, bf16 autocast trained every model at <= fp32's images/s and moved the evaluation
    figure by 1.1e-3 bits/dim (docs/benchmarks.md, "GPU"); explicit choices still hold."""
    cuda = torch.device("cuda")
    assert autocast_dtype("auto", cuda, training=training) is None
    assert autocast_dtype("bf16", cuda, training=training) == torch.bfloat16
    assert autocast_dtype("fp16", cuda, training=training) == torch.float16


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(batch_size=2.5), "batch_size must be int, got 2.5"),
        (dict(epochs="3"), "epochs must be int"),
        (dict(lr="0.1"), "lr must be float"),
    ],
)
def test_settings_of_the_wrong_type_are_refused_when_made(settings, message):
    with pytest.raises(ValueError, match=message):
        prc.TrainSettings(**settings)
    with pytest.raises(prc.DataError, match="size must be"):
        prc.DatasetSpec("x", size=28.0)


@pytest.mark.parametrize(
    "images, spec, batch, message",
    [
        (torch.rand(4, 3, 6, 6), prc.DatasetSpec("x", levels=4), 2, "uint8"),
        (np.zeros((4, 6, 6, 3), np.uint8), prc.DatasetSpec("x", levels=4), 2, "torch.from_numpy"),
        (torch.zeros(4, 6, 6, 3, dtype=torch.uint8), prc.DatasetSpec("x", levels=4), 2, "3 channel"),
        (torch.zeros(4, 3, 6, 6, dtype=torch.uint8), prc.DatasetSpec("x", levels=16), 2, "4 levels but the data is quantized to 16"),
        (torch.zeros(4, 3, 6, 6, dtype=torch.uint8), prc.DatasetSpec("x", levels=4), 0, "batch_size must be at least 1"),
        (torch.randint(0, 4, (4, 3, 6, 6), dtype=torch.uint8), prc.DatasetSpec("x", levels=4), 2, "already quantized"),
    ],
)
def test_evaluation_refuses_images_the_model_cannot_score(images, spec, batch, message):
    model = prc.build_model("row_lstm", channels=3, levels=4, **MODEL)
    with pytest.raises((TypeError, ValueError), match=message):
        prc.evaluate_images(model, images, spec, batch_size=batch)


def test_evaluation_progress_starts_when_scoring_starts():
    """`pixelrnn eval --limit 2` showed 4090 img/s: its bar opened at the first scored batch, so that
    batch's time was not counted and one batch gave a rate of nothing over nearly no time."""
    calls = []
    model = prc.build_model("row_lstm", channels=3, levels=4, **MODEL)
    images = torch.randint(0, 256, (5, 3, 6, 6), dtype=torch.uint8)
    prc.evaluate_images(model, images, prc.DatasetSpec("x", levels=4), batch_size=2, progress=calls.append)
    assert calls == [0, 2, 2, 1]


@pytest.mark.parametrize("arch", ["row_lstm", "multiscale"])
def test_evaluation_is_the_mean_cross_entropy_in_the_papers_units(arch):
    torch.manual_seed(0)
    model = prc.build_model(arch, channels=3, levels=4, **MODEL)
    images = torch.randint(0, 256, (5, 3, 6, 6), dtype=torch.uint8)
    result = prc.evaluate_images(model, images, prc.DatasetSpec("x", levels=4), batch_size=2)
    levels = images.long() * 4 // 256
    with torch.no_grad():
        nats = torch.nn.functional.cross_entropy(model(levels), levels, reduction="sum").item()
    assert result.images == 5
    assert result.nats_per_image == pytest.approx(nats / 5, rel=1e-5)
    assert result.bits_per_dim == pytest.approx(nats / (5 * 3 * 36 * math.log(2)), rel=1e-5)


@pytest.mark.parametrize(("eval_batch_size", "expected"), [(None, 32), (5, 5)])
def test_validation_scores_in_the_devices_batches_unless_told(tmp_path, folder, monkeypatch, eval_batch_size, expected):
    from pixelrnn_core.training import trainer as trainer_module

    sizes, score = [], trainer_module.scored_images
    monkeypatch.setattr(trainer_module, "scored_images", lambda model, images, spec, size, *rest: sizes.append(size) or score(
        model, images, spec, size, *rest))
    start(tmp_path / "run", folder, epochs=1, eval_batch_size=eval_batch_size).run()
    assert sizes == [expected]  # 32 on a CPU, as `pixelrnn eval`: 64 was 1.29x slower for a PixelCNN (docs/benchmarks.md)
