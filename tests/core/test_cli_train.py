"""`pixelrnn train` and `pixelrnn eval` as a user runs them, including kill -9 and torchrun."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import pixelrnn_core as prc
from pixelrnn_core import memory
from pixelrnn_core.cli import main
from pixelrnn_core.cli import train as train_cli
from pixelrnn_core.io.checkpoints import read_header

from .datafiles import gradient_images, write_broken_files, write_idx, write_image_folder

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--hidden", "4", "--layers", "1", "--out-hidden", "4"]


def cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_train_then_eval_json(tmp_path, capsys):
    write_image_folder(tmp_path / "images", 12, 6)
    write_broken_files(tmp_path / "images" / "bad", 6)
    run = tmp_path / "run"
    code = main(["train", str(tmp_path / "images"), "--arch", "row_lstm", *TINY, "--size", "6", "--levels", "8",
                 "--batch-size", "4", "--epochs", "2", "--out", str(run)])
    out = capsys.readouterr().out
    assert code == 0
    # the oversized file is under Pillow's decompression-bomb limit, so it is cropped and used
    assert "skipped 3 file(s)" in out and "empty file" in out and "completed at step 6" in out
    code = main(["eval", str(run / "best.safetensors"), str(tmp_path / "images"), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and set(result) == {"bits_per_dim", "nats_per_image", "images"}
    assert result["images"] == 13 and 0 < result["bits_per_dim"] < 3.5
    assert result["nats_per_image"] == pytest.approx(result["bits_per_dim"] * 3 * 36 * np.log(2))
    assert main(["eval", str(run / "best.safetensors"), str(tmp_path / "images"), "--json", "--limit", "5"]) == 0
    assert json.loads(capsys.readouterr().out)["images"] == 5


def test_the_progress_bar_moves_every_step_not_only_when_the_loss_is_logged(tmp_path, capsys, monkeypatch):
    write_image_folder(tmp_path / "images", 12, 6)
    shown = []

    class RecordingBar(train_cli.tqdm):
        def update(self, n=1):
            shown.append(self.n + n)
            return super().update(n)

    monkeypatch.setattr(train_cli, "tqdm", RecordingBar)
    code = main(["train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY, "--size", "6", "--batch-size", "4",
                 "--epochs", "2", "--log-every", "100", "--preview-every", "0", "--out", str(tmp_path / "run")])
    assert code == 0 and "completed at step 6" in capsys.readouterr().out
    assert [n for n in shown if n] == [1, 2, 3, 4, 5, 6]


def test_photos_train_and_evaluate_on_every_tile_of_them(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for name in "abcd":  # 4 photos of 3 x 2 tiles of 8 pixels
        Image.fromarray(rng.integers(0, 256, (17, 26, 3), dtype=np.uint8)).save(tmp_path / f"{name}.png")
    code = main(["train", str(tmp_path), "--fit", "tiles", "--size", "8", "--arch", "pixelcnn", *TINY, "--batch-size", "4",
                 "--epochs", "1", "--val-fraction", "0.25", "--preview-every", "0", "--out", str(tmp_path / "run")])
    assert code == 0 and "18 training, 6 validation images, 8x8 RGB, tiles of 4 image(s)" in capsys.readouterr().out
    model = str(tmp_path / "run" / "last.safetensors")
    assert main(["eval", model, str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["images"] == 24  # evaluated as trained: every tile
    assert main(["eval", model, str(tmp_path), "--json", "--fit", "crop"]) == 0
    assert json.loads(capsys.readouterr().out)["images"] == 4


def test_binarized_idx_training_with_a_preset(tmp_path, capsys):
    path = write_idx(tmp_path / "train-images-idx3-ubyte.gz", gradient_images(20, 5, 1)[..., 0], gzipped=True)
    code = main(["train", str(path), "--preset", "mnist", "--layers", "1", "--hidden", "4", "--binarize", "dynamic",
                 "--batch-size", "8", "--epochs", "1", "--out", str(tmp_path / "run")])
    assert code == 0
    meta = prc.checkpoint_metadata(tmp_path / "run" / "last.safetensors")
    assert meta["config"]["arch"] == "diagonal_bilstm" and meta["config"]["levels"] == 2
    assert meta["data"]["binarize"] == "dynamic"
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "run" / "last.safetensors"), str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["images"] == 20


def test_clear_errors(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["train", str(tmp_path / "empty"), "--arch", "pixelcnn", "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("pixelrnn train: error:") and "no usable image" in error and "\n" not in error
    fake = tmp_path / "model.safetensors"
    fake.write_bytes(b"\x80\x04K\x01.")
    assert main(["eval", str(fake), str(tmp_path / "empty"), "--json"]) == 2
    error = capsys.readouterr().err.strip()
    assert "pickle" in error and str(fake) in error and "\n" not in error
    assert main(["train", "--resume", str(tmp_path / "empty")]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_resume_after_kill_9_continues_steps_and_metrics(tmp_path, capsys):
    write_image_folder(tmp_path / "images", 16, 4)
    run = tmp_path / "run"
    command = [sys.executable, "-m", "pixelrnn_core.cli", "train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY,
               "--size", "4", "--levels", "4", "--batch-size", "2", "--max-steps", "300", "--epochs", "100",
               "--checkpoint-every", "5", "--log-every", "1", "--out", str(run)]
    process = subprocess.Popen(command, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if (run / "training-state.safetensors").exists() and len(metrics(run)) >= 12:
                break
            assert process.poll() is None, "training ended before it could be killed"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    killed_at = json.loads(read_header(run / "training-state.safetensors")["progress"])["step"]
    assert 0 < killed_at < 300
    assert main(["train", "--resume", str(run)]) == 0
    out = capsys.readouterr().out
    assert f"resuming {run} at step {killed_at} of 300" in out and "completed at step 300" in out
    train_steps = [r["step"] for r in metrics(run) if r["kind"] == "train"]
    assert train_steps == list(range(1, 301))
    assert prc.checkpoint_metadata(run / "last.safetensors")["step"] == 300


def test_sigterm_stops_training_as_ctrl_c_does_saving_where_it_stood(tmp_path):
    write_image_folder(tmp_path / "images", 16, 4)
    run = tmp_path / "run"
    command = [sys.executable, "-m", "pixelrnn_core.cli", "train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY,
               "--size", "4", "--levels", "4", "--batch-size", "2", "--max-steps", "3000", "--epochs", "1000",
               "--checkpoint-every", "100000", "--log-every", "1", "--preview-every", "0", "--out", str(run)]
    process = subprocess.Popen(command, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not ((run / "metrics.jsonl").exists() and len(metrics(run)) >= 5):
            assert process.poll() is None, "training ended before it could be stopped"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)  # as `kill`, `timeout` or a session that ends sends it
        out, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    saved = prc.checkpoint_metadata(run / "last.safetensors")["step"]
    assert process.returncode == 128 + signal.SIGTERM and f"cancelled at step {saved};" in out
    assert saved == max(r["step"] for r in metrics(run) if r["kind"] == "train") >= 5


def test_torchrun_two_processes_train_and_write_one_set_of_files(tmp_path):
    write_image_folder(tmp_path / "images", 20, 4)
    run = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "pixelrnn_core.cli", "train", str(tmp_path / "images"), "--arch", "row_lstm", *TINY,
               "--size", "4", "--levels", "4", "--batch-size", "3", "--epochs", "2", "--log-every", "1",
               "--device", "cpu", "--out", str(run)]
    result = subprocess.run(command, env=cli_env(), capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Grad strides do not match" not in result.stderr  # DDP's buckets take the weights' layout as they are
    assert result.stdout.count("completed at step 6") == 1  # 18 training images, 9 per process, 3 per step
    assert sorted(p.name for p in run.iterdir()) == [
        "best.safetensors", "last.safetensors", "metrics.jsonl", "run.json", "training-state.safetensors"]
    assert [r["step"] for r in metrics(run) if r["kind"] == "train"] == [1, 2, 3, 4, 5, 6]
    assert prc.checkpoint_metadata(run / "last.safetensors")["step"] == 6


def test_eval_shows_progress_on_stderr_and_bf16_on_request(tmp_path, capsys):
    """The JSON line stays alone on stdout; the progress bar counts the images on stderr (issue 12)."""
    write_image_folder(tmp_path / "images", 12, 6)
    checkpoint = tmp_path / "model.safetensors"
    prc.save_checkpoint(checkpoint, prc.build_model("row_lstm", channels=3, levels=8, hidden=4, layers=1, out_hidden=4))
    assert main(["eval", str(checkpoint), str(tmp_path / "images"), "--json", "--size", "6", "--batch-size", "5"]) == 0
    captured = capsys.readouterr()
    fp32 = json.loads(captured.out)
    assert len(captured.out.splitlines()) == 1 and "12/12" in captured.err
    assert main(["eval", str(checkpoint), str(tmp_path / "images"), "--json", "--size", "6", "--precision", "bf16"]) == 0
    bf16 = json.loads(capsys.readouterr().out)
    assert bf16["images"] == 12 and bf16["bits_per_dim"] == pytest.approx(fp32["bits_per_dim"], abs=0.05)


def test_logistic_mixture_model_trains_evaluates_and_completes(tmp_path, capsys):
    images = write_image_folder(tmp_path / "images", 12, 6)
    run = tmp_path / "run"
    code = main(["train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY, "--size", "6", "--batch-size", "4",
                 "--epochs", "2", "--output", "logistic-mixture", "--mixtures", "3", "--out", str(run)])
    assert code == 0 and "a mixture of 3 logistics per sub-pixel" in capsys.readouterr().out
    config = prc.checkpoint_metadata(run / "best.safetensors")["config"]
    assert (config["output"], config["mixtures"]) == ("logistic_mixture", 3)
    assert main(["eval", str(run / "best.safetensors"), str(tmp_path / "images"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == 12 and 0 < result["bits_per_dim"] < 9
    Image.fromarray(images[0]).save(tmp_path / "image.png")
    mask = np.zeros((6, 6), dtype=bool)
    mask[3:, 1:5] = True
    Image.fromarray((mask * 255).astype(np.uint8)).save(tmp_path / "mask.png")
    code = main(["complete", str(run / "best.safetensors"), str(tmp_path / "image.png"), "--mask",
                 str(tmp_path / "mask.png"), "--out", str(tmp_path / "filled.png"), "--seed", "2"])
    assert code == 0
    filled = np.asarray(Image.open(tmp_path / "filled.png"))
    np.testing.assert_array_equal(filled[~mask], images[0][~mask])
    model = prc.load_checkpoint(run / "best.safetensors")
    np.testing.assert_array_equal(filled, prc.complete(model, images[0], mask, seed=2, engine="naive", temperature=prc.FILL_TEMPERATURE)[0])


@pytest.mark.parametrize(
    "options, message",
    [
        (["--output", "logistic-mixture", "--mixtures", "0"], "mixtures must be at least 1, got 0"),
        (["--mixtures", "4"], "--mixtures applies to --output logistic-mixture only"),
    ],
)
def test_bad_mixture_options_get_a_clear_message(tmp_path, capsys, options, message):
    write_image_folder(tmp_path / "images", 4, 6)
    code = main(["train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY, "--size", "6", *options,
                 "--out", str(tmp_path / "run")])
    error = capsys.readouterr().err.strip()
    assert code == 2 and error.startswith("pixelrnn train: error:") and message in error


@pytest.mark.parametrize(
    "options, message",
    [(["--warmup", "-1"], "warmup_steps must not be negative, got -1"), (["--grad-clip", "-2"], "grad_clip must not be negative, got -2.0"),
     (["--preview-every", "-5"], "preview_every must not be negative, got -5")],
)
def test_a_negative_setting_is_named_with_its_value(tmp_path, capsys, options, message):
    write_image_folder(tmp_path / "images", 4, 6)
    code = main(["train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY, "--size", "6", *options, "--out", str(tmp_path / "run")])
    assert code == 2 and capsys.readouterr().err.strip() == f"pixelrnn train: error: {message}"


def test_a_model_trained_on_a_dataset_file_evaluates_image_files_at_its_training_size(tmp_path, capsys):
    images = gradient_images(6, 5, 1)[..., 0]
    path = write_idx(tmp_path / "train-images-idx3-ubyte", images)
    assert main(["train", str(path), "--arch", "pixelcnn", "--layers", "1", "--hidden", "4", "--batch-size", "3",
                 "--epochs", "1", "--out", str(tmp_path / "run")]) == 0
    (tmp_path / "pngs").mkdir()
    for index, image in enumerate(images):
        Image.fromarray(image).save(tmp_path / "pngs" / f"{index}.png")
    checkpoint = str(tmp_path / "run" / "last.safetensors")
    capsys.readouterr()
    figures = []
    for data in (path, tmp_path / "pngs", tmp_path / "pngs" / "0.png"):
        assert main(["eval", checkpoint, str(data), "--json"]) == 0, capsys.readouterr().err
        figures.append(json.loads(capsys.readouterr().out))
    assert figures[0] == figures[1] and figures[2]["images"] == 1


def test_fine_tuning_starts_from_the_model_and_weights_of_a_checkpoint(tmp_path, capsys):
    write_image_folder(tmp_path / "images", 12, 6)
    first = tmp_path / "first"
    assert main(["train", str(tmp_path / "images"), "--arch", "row_lstm", *TINY, "--size", "6", "--levels", "8",
                 "--batch-size", "4", "--epochs", "1", "--out", str(first)]) == 0
    start = first / "last.safetensors"
    tuned = tmp_path / "tuned"
    assert main(["train", str(tmp_path / "images"), "--init", str(start), "--batch-size", "4", "--epochs", "1",
                 "--lr", "1e-4", "--out", str(tuned)]) == 0
    assert f"starting from the weights of {start}" in capsys.readouterr().out
    meta = prc.checkpoint_metadata(tuned / "last.safetensors")
    assert meta["config"] == prc.checkpoint_metadata(start)["config"]  # its model, levels and channels
    assert meta["data"]["size"] == 6 and meta["data"]["levels"] == 8  # its training size and levels by default
    assert json.loads((tuned / "run.json").read_text())["training"]["init"] == str(start)
    trainer = prc.new_run(tmp_path / "again", prc.DatasetSpec(str(tmp_path / "images"), size=6, levels=8),
                          prc.load_checkpoint(start).config, prc.TrainSettings(init=str(start)))
    started = prc.load_checkpoint(start).state_dict()
    for name, value in trainer.model.state_dict().items():
        assert torch.equal(value, started[name]), name  # before any step, exactly the checkpoint's weights
    trainer.release()


@pytest.mark.parametrize("options, message", [
    (["--hidden", "8"], "--init takes its model from .*: leave out --hidden"),
    (["--channels", "1"], "the model has 3 channel"),
    (["--arch", "pixelcnn"], "not allowed with argument --init"),
])
def test_fine_tuning_refuses_options_that_change_its_model(tmp_path, capsys, options, message):
    write_image_folder(tmp_path / "images", 8, 6)
    start = tmp_path / "start.safetensors"
    prc.save_checkpoint(start, prc.build_model("pixelcnn", channels=3, levels=8, hidden=4, layers=1, out_hidden=4))
    try:
        code = main(["train", str(tmp_path / "images"), "--init", str(start), "--size", "6", *options, "--out", str(tmp_path / "run")])
    except SystemExit as exit_:  # argparse's own refusal
        code = exit_.code
    assert code != 0
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "run" / "run.json").exists()


def test_fine_tuning_a_model_trained_on_a_dataset_file_reads_a_folder_at_its_image_size(tmp_path, capsys):
    write_idx(tmp_path / "train.idx", gradient_images(12, 6, 1))
    first = tmp_path / "first"
    assert main(["train", str(tmp_path / "train.idx"), "--arch", "pixelcnn", *TINY, "--levels", "8",
                 "--batch-size", "4", "--epochs", "1", "--out", str(first)]) == 0
    (tmp_path / "pngs").mkdir()
    for index, image in enumerate(gradient_images(8, 6, 1, seed=1)):
        Image.fromarray(image[..., 0]).save(tmp_path / "pngs" / f"{index}.png")
    assert main(["train", str(tmp_path / "pngs"), "--init", str(first / "last.safetensors"), "--batch-size", "4",
                 "--epochs", "1", "--out", str(tmp_path / "tuned")]) == 0, capsys.readouterr().err
    assert prc.checkpoint_metadata(tmp_path / "tuned" / "last.safetensors")["data"]["size"] == 6


@pytest.mark.parametrize("option, message", [("--size", "size must be a positive"), ("--levels", "got 0")])
def test_zero_size_or_levels_is_refused_not_taken_for_the_default(tmp_path, capsys, option, message):
    write_image_folder(tmp_path / "images", 4, 4)
    code = main(["train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY, option, "0", "--out", str(tmp_path / "run")])
    assert code != 0
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run" / "run.json").exists()


def test_resume_works_from_another_working_folder_and_refuses_epochs_already_passed(tmp_path, capsys, monkeypatch):
    write_image_folder(tmp_path / "images", 8, 4)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "images", "--arch", "pixelcnn", *TINY, "--size", "4", "--levels", "4", "--batch-size", "2",
                 "--epochs", "2", "--out", "run"]) == 0
    monkeypatch.chdir("/")
    assert main(["train", "--resume", str(tmp_path / "run"), "--epochs", "3"]) == 0, capsys.readouterr().err
    assert "completed at step" in capsys.readouterr().out
    assert main(["train", "--resume", str(tmp_path / "run"), "--epochs", "1"]) != 0
    assert "epochs=1 ends the run at step" in capsys.readouterr().err


def test_eval_lists_the_files_it_skipped_and_why(tmp_path, capsys):
    write_image_folder(tmp_path / "images", 4, 4)
    (tmp_path / "images" / "broken.png").write_bytes(b"not a png")
    model = tmp_path / "tiny.safetensors"
    prc.save_checkpoint(model, prc.build_model("pixelcnn", channels=3, levels=256, hidden=4, layers=1, out_hidden=4))
    assert main(["eval", str(model), str(tmp_path / "images"), "--size", "4", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["images"] == 4
    assert "skipped 1 file(s): 1 not an image Pillow can read" in captured.err
    assert f"{tmp_path / 'images' / 'broken.png'}: not an image Pillow can read" in captured.err


def test_a_run_folder_inside_the_image_folder_is_refused(tmp_path, capsys):
    write_image_folder(tmp_path / "images", 4, 4)
    code = main(["train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY, "--size", "4", "--out", str(tmp_path / "images" / "run")])
    assert code == 2
    assert "is inside the image folder" in capsys.readouterr().err
    assert not (tmp_path / "images" / "run").exists()
    assert main(["train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY, "--size", "4", "--preview-every", "0",
                 "--max-steps", "1", "--out", str(tmp_path / "images" / "run")]) == 0  # no previews: nothing to read back


def test_help_gives_the_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for expected in ("learning rate (default 0.001; with --init 0.0002)", "(default: 1.0)", "fraction held out for validation (default: 0.1)",
                     "the shuffles and the model (default: 0)"):
        assert expected in text


def test_a_run_folder_names_its_model_for_sample_and_eval(tmp_path, capsys):
    write_image_folder(tmp_path / "images", 6, 4)
    run = tmp_path / "run"
    assert main(["train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY, "--size", "4", "--levels", "4",
                 "--batch-size", "2", "--epochs", "1", "--out", str(run)]) == 0
    assert main(["sample", str(run), "--out", str(tmp_path / "s.png")]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), str(tmp_path / "images"), "--json"]) == 0
    by_folder = json.loads(capsys.readouterr().out)
    assert main(["eval", str(run / "best.safetensors"), str(tmp_path / "images"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == by_folder
    (tmp_path / "empty-run").mkdir()
    (tmp_path / "empty-run" / "run.json").write_text((run / "run.json").read_text())
    assert main(["sample", str(tmp_path / "empty-run"), "--out", str(tmp_path / "t.png")]) == 2
    assert "the run has saved no checkpoint yet" in capsys.readouterr().err
    for inside in (run / "run.json", run / "checkpoints"):
        assert main(["train", "--resume", str(inside)]) == 2
        assert f"is inside the run folder {run}: resume that folder" in capsys.readouterr().err


def test_fine_tuning_takes_gentle_steps_unless_told_otherwise(tmp_path):
    write_image_folder(tmp_path / "images", 8, 4)
    start = tmp_path / "start.safetensors"
    prc.save_checkpoint(start, prc.build_model("pixelcnn", channels=3, levels=8, hidden=4, layers=1, out_hidden=4))
    common = ["train", str(tmp_path / "images"), "--init", str(start), "--size", "4", "--max-steps", "1"]
    assert main([*common, "--out", str(tmp_path / "tuned")]) == 0
    training = json.loads((tmp_path / "tuned" / "run.json").read_text())["training"]
    assert (training["optimizer"], training["lr"], training["warmup_steps"]) == (
        prc.FINE_TUNING.optimizer, prc.FINE_TUNING.lr, prc.FINE_TUNING.warmup_steps)
    assert main([*common, "--lr", "0.001", "--optimizer", "rmsprop", "--warmup", "0", "--out", str(tmp_path / "own")]) == 0
    training = json.loads((tmp_path / "own" / "run.json").read_text())["training"]
    assert (training["optimizer"], training["lr"], training["warmup_steps"]) == ("rmsprop", 0.001, 0)


def test_resume_takes_a_new_preview_interval(tmp_path):
    write_image_folder(tmp_path / "images", 8, 4)
    run = tmp_path / "run"
    assert main(["train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY, "--size", "4", "--batch-size", "2",
                 "--max-steps", "2", "--preview-every", "0", "--out", str(run)]) == 0
    assert not (run / "samples").exists()
    assert main(["train", "--resume", str(run), "--max-steps", "4", "--preview-every", "1"]) == 0
    assert len(list((run / "samples").glob("*.png"))) == 2  # steps 3 and 4


def test_a_folder_of_small_images_trains_at_their_own_size_without_size(tmp_path, capsys):
    (tmp_path / "pngs").mkdir()
    for index, image in enumerate(gradient_images(6, 6, 1)):
        Image.fromarray(image[..., 0]).save(tmp_path / "pngs" / f"{index}.png")
    assert main(["train", str(tmp_path / "pngs"), "--arch", "pixelcnn", *TINY, "--max-steps", "1", "--out", str(tmp_path / "run")]) == 0
    assert "validation images, 6x6 grey" in capsys.readouterr().out
    assert json.loads((tmp_path / "run" / "run.json").read_text())["data"]["size"] == 6


def test_one_image_file_trains_at_its_own_size_as_it_would_in_a_folder(tmp_path, capsys):
    """A 24x24 image named on its own was read at 32 and refused as too small."""
    Image.fromarray(gradient_images(1, 24, 3)[0]).save(tmp_path / "one.png")
    assert main(["train", str(tmp_path / "one.png"), "--arch", "pixelcnn", *TINY, "--epochs", "1", "--val-fraction", "0",
                 "--preview-every", "0", "--out", str(tmp_path / "run")]) == 0, capsys.readouterr().err
    assert "1 training, 0 validation images, 24x24 RGB" in capsys.readouterr().out


def test_eval_says_when_a_grey_model_reads_colour_images_grey(tmp_path, capsys):
    """`pixelrnn eval` of a grey model on a colour folder converted every image without a word
    (`complete` warns of the same)."""
    grey = tmp_path / "grey.safetensors"
    prc.save_checkpoint(grey, prc.build_model("pixelcnn", channels=1, levels=256, hidden=4, layers=1, out_hidden=4))
    write_image_folder(tmp_path / "colour", 3, 8)
    assert main(["eval", str(grey), str(tmp_path / "colour"), "--size", "8", "--json"]) == 0
    captured = capsys.readouterr()
    assert "pixelrnn eval: note: the images have colour but the model is grey: they are scored grey" in captured.err
    assert json.loads(captured.out)["images"] == 3
    (tmp_path / "grey").mkdir()
    Image.fromarray(gradient_images(1, 8, 1)[0][..., 0]).save(tmp_path / "grey" / "g.png")
    assert main(["eval", str(grey), str(tmp_path / "grey"), "--size", "8", "--json"]) == 0
    assert "note" not in capsys.readouterr().err


def test_images_already_binarized_are_refused_before_training(tmp_path, capsys):
    """PNGs holding 0 and 1 (label maps, masks) quantized to 2 levels are all 0: the run trained on blank images."""
    (tmp_path / "binary").mkdir()
    for index in range(6):
        Image.fromarray((np.random.default_rng(index).random((4, 4)) > 0.5).astype(np.uint8)).save(tmp_path / "binary" / f"{index}.png")
    code = main(["train", str(tmp_path / "binary"), "--arch", "pixelcnn", *TINY, "--size", "4", "--levels", "2",
                 "--max-steps", "1", "--out", str(tmp_path / "run")])
    assert code != 0
    assert "already quantized (values 0 to 1)" in capsys.readouterr().err
    assert not (tmp_path / "run" / "last.safetensors").exists()


def test_a_batch_size_beyond_the_data_is_sized_by_the_data(tmp_path, capsys, monkeypatch):
    """--batch-size 100000 on 60 images was refused as needing 322 GiB; no batch can hold more than the data."""
    write_image_folder(tmp_path / "images", 8, 4)
    monkeypatch.setattr(memory, "physical_memory", lambda: 2**24)  # 16 MiB: room for batches of 8 images, not 100000
    code = main(["train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY, "--size", "4", "--batch-size", "100000",
                 "--max-steps", "1", "--preview-every", "0", "--out", str(tmp_path / "run")])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "run" / "last.safetensors").exists()


@pytest.mark.parametrize("command, typos, hint", [
    (["eval", "fashion-mnist", "data"], ["--jsn"], " (did you mean --json?)"),
    (["train", "data", "--arch", "pixelcnn"], ["--augmnet"], " (did you mean --augment?)"),
    (["eval", "fashion-mnist", "data"], ["--zzz"], ""),
    (["eval", "fashion-mnist", "data"], ["--jsn", "--zzz", "--limt"], " (did you mean --json? --limit?)"),  # each, not the first alone
])
def test_a_mistyped_option_is_refused_by_its_own_command(capsys, command, typos, hint):
    with pytest.raises(SystemExit) as exit_:
        main([*command, *typos])
    error = capsys.readouterr().err
    assert exit_.value.code == 2 and error.startswith(f"usage: pixelrnn {command[0]} ")
    assert error.strip().endswith(f"pixelrnn {command[0]}: error: unrecognized arguments: {' '.join(typos)}{hint}")


@pytest.mark.parametrize("command", ["presets", "models"])
def test_a_listing_read_only_in_part_ends_without_a_traceback(command):
    """`pixelrnn presets | head -1` ended in a BrokenPipeError traceback once head had its line."""
    listing = subprocess.Popen([sys.executable, "-m", "pixelrnn_core.cli", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    listing.stdout.close()  # as head does once it has its lines (here before the first: the command imports torch first)
    errors = listing.stderr.read().decode()
    assert listing.wait(timeout=60) == 141 and errors == ""  # what a shell reports for a command SIGPIPE stopped (128 + 13)


def test_training_whose_reader_goes_away_stops_quietly(tmp_path):
    """`pixelrnn train ... | head -2` said "pixelrnn train: error: Broken pipe" and exit 2: the command's
    own refusal of OSErrors caught it (a helper's review)."""
    write_image_folder(tmp_path / "images", 8, 6)
    command = [sys.executable, "-m", "pixelrnn_core.cli", "train", str(tmp_path / "images"), "--arch", "pixelcnn", *TINY,
               "--size", "6", "--max-steps", "3", "--preview-every", "0", "--out", str(tmp_path / "run")]
    training = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    training.stdout.close()
    errors = training.stderr.read().decode()
    assert training.wait(timeout=120) == 141 and "Broken pipe" not in errors


def test_a_mistyped_option_before_the_command_is_the_command_lines_own(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--verison", "models"])
    error = capsys.readouterr().err
    assert exit_.value.code == 2 and error.startswith("usage: pixelrnn [-h]")
    assert error.strip().endswith("pixelrnn: error: unrecognized arguments: --verison (did you mean --version?)")
