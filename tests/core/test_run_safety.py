"""A run folder belongs to one process, and training never loses time or files silently: the lock,
diverged weights, resume without a training state, --max-steps on resume, refused runs, OSErrors."""
from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys
import time

import pytest
import torch

import pixelrnn_core as prc
from pixelrnn_core.cli import main
from pixelrnn_core.io.checkpoints import read_header
from pixelrnn_core.training import trainer as trainer_module
from pixelrnn_core.training.run_lock import RunLock

from .datafiles import write_image_folder
from .test_cli_train import TINY, cli_env, metrics

MODEL = dict(hidden=4, layers=1, out_hidden=4)


@pytest.fixture
def folder(tmp_path):
    write_image_folder(tmp_path / "images", 12, 4)
    return tmp_path / "images"


def refusal(err: str) -> str:
    """The one refusal line of a command's stderr (a progress bar may precede it), and no traceback."""
    lines = [line for line in err.splitlines() if line.startswith("pixelrnn ")]
    assert len(lines) == 1 and "Traceback" not in err and err.endswith(lines[0] + "\n"), err
    return lines[0]


def start(run_dir, folder, **settings):
    spec = prc.DatasetSpec(str(folder), size=4, levels=4, val_fraction=0.25)
    config = prc.ModelConfig("pixelcnn", channels=3, levels=4, **MODEL)
    defaults = dict(batch_size=3, epochs=2, log_every=1, checkpoint_every=2, seed=1)
    return prc.new_run(run_dir, spec, config, prc.TrainSettings(**{**defaults, **settings}))


def train_args(folder, run, *more):
    return ["train", str(folder), "--arch", "pixelcnn", *TINY, "--size", "4", "--levels", "4", "--batch-size", "3",
            "--out", str(run), *more]


def test_a_second_trainer_on_the_same_folder_is_refused_until_the_first_ends(tmp_path, folder):
    first = start(tmp_path / "run", folder)
    with pytest.raises(prc.RunFolderBusy, match="this process"):
        prc.resume_run(tmp_path / "run")
    with pytest.raises(prc.RunFolderBusy):
        RunLock(tmp_path / "run")
    list(first.events())
    assert not (tmp_path / "run" / ".lock").exists()
    assert prc.resume_run(tmp_path / "run").step == first.step


def test_concurrent_cli_train_is_refused_while_the_first_goes_on_and_resume_works_after_kill_9(tmp_path, folder, capsys):
    run = tmp_path / "run"
    command = [sys.executable, "-m", "pixelrnn_core.cli", *train_args(folder, run, "--max-steps", "400", "--epochs",
               "200", "--checkpoint-every", "3", "--log-every", "1", "--preview-every", "0")]
    process = subprocess.Popen(command, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not ((run / "training-state.safetensors").exists() and len(metrics(run)) >= 6):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        assert main(train_args(folder, tmp_path / "run", "--max-steps", "5")) == 2
        assert "already holds a run" in capsys.readouterr().err
        assert main(["train", "--resume", str(run)]) == 2
        err = capsys.readouterr().err
        assert f"process {process.pid} is training into this run folder" in err and err.count("\n") == 1
        before = len(metrics(run))
        time.sleep(1.0)
        assert process.poll() is None and len(metrics(run)) > before
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=30)
    killed_at = json.loads(read_header(run / "training-state.safetensors")["progress"])["step"]
    assert main(["train", "--resume", str(run), "--max-steps", str(killed_at - 1)]) == 2
    assert "before the step the run has reached" in refusal(capsys.readouterr().err)
    assert main(["train", "--resume", str(run), "--max-steps", str(killed_at + 4)]) == 0
    assert f"completed at step {killed_at + 4}" in capsys.readouterr().out
    assert [r["step"] for r in metrics(run) if r["kind"] == "train"] == list(range(1, killed_at + 5))


def test_diverging_weights_stop_the_run_and_keep_the_last_finite_checkpoint(tmp_path, folder, capsys):
    run = tmp_path / "run"
    assert main(train_args(folder, run, "--epochs", "1", "--checkpoint-every", "1", "--preview-every", "0")) == 0
    capsys.readouterr()
    finite = (run / "last.safetensors").read_bytes()
    assert main(["train", "--resume", str(run), "--epochs", "3"]) == 0
    capsys.readouterr()
    trainer = prc.resume_run(run, epochs=5)
    with torch.no_grad():
        next(trainer.model.parameters()).fill_(float("inf"))
    saved_before = (run / "last.safetensors").read_bytes()
    finished = trainer.run()
    assert finished.reason == "diverged" and finished.step == trainer.saved_step
    assert (run / "last.safetensors").read_bytes() == saved_before != finite
    prc.load_checkpoint(run / "last.safetensors")  # still finite


def test_cli_reports_divergence_in_one_line(tmp_path, folder, capsys):
    run = tmp_path / "run"
    code = main(train_args(folder, run, "--lr", "1e6", "--grad-clip", "0", "--epochs", "30", "--checkpoint-every", "1",
                           "--preview-every", "0"))
    assert code == 2 and "became NaN or infinite" in refusal(capsys.readouterr().err)
    for path in run.glob("*.safetensors"):
        if path.name != "training-state.safetensors":
            prc.load_checkpoint(path)


@pytest.mark.parametrize("lr", ["inf", "nan", "-1", "0", "1e300"])
def test_a_refused_run_leaves_no_run_json(tmp_path, folder, capsys, lr):
    run = tmp_path / "run"
    assert main(train_args(folder, run, "--lr", lr)) == 2
    assert "lr must be" in capsys.readouterr().err
    assert not (run / "run.json").exists()
    assert main(train_args(folder, run, "--epochs", "1", "--preview-every", "0")) == 0


def test_a_new_run_needs_a_folder_of_its_own(tmp_path, folder, monkeypatch):
    """An empty path (an unset shell variable) trained into the working folder; a run inside another
    run's folder left a second run.json in it; an existing file was 'File exists'."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="the run folder's path is empty"):
        start("", folder)
    start(tmp_path / "first", folder, epochs=1, preview_every=0).release()
    for inside in (tmp_path / "first" / "checkpoints", tmp_path / "first" / "sub" / "run"):
        with pytest.raises(ValueError, match=f"{inside} is inside the run folder {tmp_path / 'first'}: choose a folder outside it"):
            start(inside, folder)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="notes.txt is a file, not a folder: choose a folder for the run"):
        start(tmp_path / "notes.txt", folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "images", "notes.txt"]


def test_train_says_which_options_a_new_run_lacks(tmp_path, folder, capsys):
    assert main(["train", str(folder), "--out", str(tmp_path / "run")]) == 2
    assert refusal(capsys.readouterr().err) == (
        "pixelrnn train: error: a new run needs a model: --arch, --preset or --init (or use --resume RUN_DIR)")
    assert main(["train", "--arch", "pixelcnn"]) == 2
    assert refusal(capsys.readouterr().err) == (
        "pixelrnn train: error: a new run needs DATA and --out RUN_DIR (or use --resume RUN_DIR)")
    assert main(train_args(folder, "")) == 2
    assert refusal(capsys.readouterr().err) == "pixelrnn train: error: the run folder's path is empty"
    assert main(["train", "--resume", ""]) == 2
    assert refusal(capsys.readouterr().err) == "pixelrnn train: error: the run folder's path is empty"


def test_resume_refuses_other_data_and_remembers_where_the_runs_data_moved(tmp_path, folder, capsys):
    """Resumed on another folder, a run validated on other images and kept comparing its best against
    the old ones; after a move, every later resume had to name the data again."""
    start(tmp_path / "run", folder, epochs=1, preview_every=0).release()
    write_image_folder(tmp_path / "other", 20, 4)
    with pytest.raises(ValueError, match=(
        f"the data at {tmp_path / 'other'} is not what the run was trained on: 15 training and 5 validation images "
        r"\(images\), the run had 9 and 3 \(images\); resume with the run's data, or fine-tune")):
        prc.resume_run(tmp_path / "run", data_path=tmp_path / "other", epochs=2)
    moved = folder.rename(tmp_path / "moved")
    with pytest.raises(prc.DataError, match=f"{folder}: the run's data is no longer there; if it moved, give its new place"):
        prc.resume_run(tmp_path / "run", epochs=2)
    list(prc.resume_run(tmp_path / "run", data_path=moved, epochs=2).events())
    assert prc.RunFolder(tmp_path / "run").read_config().data.path == str(moved)
    list(prc.resume_run(tmp_path / "run", epochs=3).events())  # found where it moved to


def test_resume_without_training_state_continues_from_last_never_from_step_0(tmp_path, folder, capsys):
    run = tmp_path / "run"
    assert main(train_args(folder, run, "--epochs", "100", "--max-steps", "7", "--checkpoint-every", "2",
                           "--preview-every", "0")) == 0
    capsys.readouterr()
    (run / "training-state.safetensors").unlink()
    step_files = sorted(p.name for p in (run / "checkpoints").iterdir())
    stamps = {p: p.stat().st_mtime_ns for p in (run / "checkpoints").iterdir()}
    assert main(["train", "--resume", str(run), "--max-steps", "10"]) == 0
    out = capsys.readouterr().out
    assert "resuming" in out and "at step 7 of 10 from last.safetensors" in out and "completed at step 10" in out
    assert all(path.stat().st_mtime_ns == stamp for path, stamp in stamps.items())
    new_files = ["step-00000008.safetensors", "step-00000010.safetensors"]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == step_files + new_files


def test_resume_applies_max_steps_and_refuses_options_that_cannot_change(tmp_path, folder, capsys):
    run = tmp_path / "run"
    assert main(train_args(folder, run, "--epochs", "100000", "--max-steps", "3", "--preview-every", "0")) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--max-steps", "6"]) == 0
    assert "completed at step 6" in capsys.readouterr().out
    assert main(["train", "--resume", str(run), "--max-steps", "8", "--lr", "0.5", "--hidden", "8"]) == 2
    assert "--hidden, --lr cannot change when resuming" in refusal(capsys.readouterr().err)


def test_os_errors_are_one_line_refusals(tmp_path, folder, capsys, monkeypatch):
    (tmp_path / "a-file").write_text("")
    assert main(train_args(folder, tmp_path / "a-file" / "run")) == 2
    assert "Not a directory" in refusal(capsys.readouterr().err)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "run" / "last.safetensors"))

    monkeypatch.setattr(trainer_module, "save_checkpoint", disk_full)
    assert main(train_args(folder, tmp_path / "run", "--epochs", "1", "--preview-every", "0")) == 2
    line = refusal(capsys.readouterr().err)
    assert line == f"pixelrnn train: error: {tmp_path / 'run' / 'last.safetensors'}: No space left on device"
    assert not (tmp_path / "run" / ".lock").exists()


DAMAGED_RUN_FILES = [
    "{",
    "[]",
    "null",
    '"run"',
    "{}",
    '{"data": null, "model": {}, "training": {}}',
    '{"data": {}, "model": [], "training": {}}',
]


def damage(run, change):
    config = json.loads((run / "run.json").read_text())
    change(config)
    (run / "run.json").write_text(json.dumps(config))


RUN_JSON_EDITS = {
    "no model": lambda c: c.pop("model"),
    "string epochs": lambda c: c["training"].update(epochs="10"),
    "null data": lambda c: c.update(data=None),
    "huge hidden": lambda c: c["model"].update(hidden=10**6),
    "huge layers": lambda c: c["model"].update(layers=10**6),
    "unknown arch": lambda c: c["model"].update(arch="gpt"),
    "list training": lambda c: c.update(training=[1]),
    "bad data path type": lambda c: c["data"].update(path=5),
    "nan lr": lambda c: c["training"].update(lr=float("nan")),
    "negative batch": lambda c: c["training"].update(batch_size=-3),
    "unknown key": lambda c: c["training"].update(surprise=1),
}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("finished")
    write_image_folder(base / "images", 8, 4)
    assert main(train_args(base / "images", base / "run", "--epochs", "1", "--preview-every", "0")) == 0
    return base / "run"


@pytest.mark.parametrize("text", DAMAGED_RUN_FILES)
def test_damaged_run_json_text_is_refused_naming_the_file(finished_run, tmp_path, capsys, text):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(text)
    assert main(["train", "--resume", str(run)]) == 2
    assert str(run / "run.json") in refusal(capsys.readouterr().err)
    with pytest.raises(prc.RunFolderError, match="damaged run file"):  # what a library user catches
        prc.resume_run(run)


@pytest.mark.parametrize("edit", RUN_JSON_EDITS, ids=str)
def test_damaged_run_json_fields_are_refused(finished_run, tmp_path, capsys, edit, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_bytes((finished_run / "run.json").read_bytes())
    damage(run, RUN_JSON_EDITS[edit])
    monkeypatch.setattr(trainer_module, "model_from_config", lambda config: pytest.fail("a model was built"))
    assert main(["train", "--resume", str(run)]) == 2
    assert "run.json" in refusal(capsys.readouterr().err)
