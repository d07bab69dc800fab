"""`pixelrnn sample`, `pixelrnn complete`, bundled-model names and training previews."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import pixelrnn_core as prc
from pixelrnn_core.cli import main
from pixelrnn_core.completion import compiled_steps

from .datafiles import gradient_images, write_npz


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = prc.build_model("row_lstm", channels=3, levels=256, hidden=6, layers=1, out_hidden=6)
    path = tmp_path / "tiny.safetensors"
    prc.save_checkpoint(path, model, image_size=[6, 5])
    return path


def test_sample_writes_a_grid_at_the_training_size(checkpoint, tmp_path, capsys):
    out = tmp_path / "samples.png"
    assert main(["sample", str(checkpoint), "--out", str(out), "--samples", "4", "--seed", "3"]) == 0
    assert "wrote 4 sample(s), 5x6 pixels (width x height) each" in capsys.readouterr().out
    drawn = prc.complete(prc.load_checkpoint(checkpoint), np.zeros((6, 5, 3), np.uint8), np.ones((6, 5), bool), samples=4, seed=3)
    assert np.array_equal(np.asarray(Image.open(out))[:6, :5], drawn[0])  # samples of the model itself: temperature 1
    assert Image.open(out).size == (2 * 5 + 1, 2 * 6 + 1)  # 2 x 2 grid with a 1-pixel gap
    again = tmp_path / "again.png"
    assert main(["sample", str(checkpoint), "--out", str(again), "--samples", "4", "--seed", "3", "--size", "3", "4"]) == 0
    assert Image.open(again).size == (2 * 4 + 1, 2 * 3 + 1)


def test_complete_fills_only_the_mask_like_the_library(checkpoint, tmp_path, capsys):
    image = gradient_images(1, 8, 3)[0]
    Image.fromarray(image).save(tmp_path / "image.png")
    mask = np.zeros((8, 8), dtype=bool)
    mask[4:, 2:6] = True
    Image.fromarray((mask * 255).astype(np.uint8)).save(tmp_path / "mask.png")
    out = tmp_path / "filled.png"
    code = main(["complete", str(checkpoint), str(tmp_path / "image.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(out), "--seed", "7"])
    assert code == 0
    filled = np.asarray(Image.open(out))
    assert np.array_equal(filled[~mask], image[~mask])
    model = prc.load_checkpoint(checkpoint)
    expected = prc.complete(model, image, mask, seed=7, temperature=prc.FILL_TEMPERATURE)[0]  # fills default to 0.8
    assert prc.FILL_TEMPERATURE == 0.8 and np.array_equal(filled, expected)
    assert not np.array_equal(filled, prc.complete(model, image, mask, seed=7)[0])


def test_first_completion_compiles_only_its_architecture_and_says_so(checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(compiled_steps, "marker_folder", lambda: tmp_path)
    out = tmp_path / "samples.png"
    assert main(["sample", str(checkpoint), "--out", str(out), "--samples", "1", "--engine", "naive"]) == 0
    assert "compil" not in capsys.readouterr().err  # the naive engine runs no compiled steps
    assert main(["sample", str(checkpoint), "--out", str(out), "--samples", "1"]) == 0
    err = capsys.readouterr().err
    assert "compiling the fast completion steps of row_lstm models" in err and "compiled the completion steps in" in err
    assert compiled_steps.completion_steps_cached("row_lstm") and not compiled_steps.completion_steps_cached("pixelcnn")
    assert main(["sample", str(checkpoint), "--out", str(out), "--samples", "1"]) == 0
    assert "compil" not in capsys.readouterr().err


def complete_with_candidates(checkpoint, tmp_path, capsys, samples: int) -> list[tuple[str, float]]:
    """Run ``pixelrnn complete`` with K candidates; the (name, score) pairs it prints, in its order."""
    image = gradient_images(1, 6, 3)[0]
    Image.fromarray(image).save(tmp_path / "image.png")
    mask = np.zeros((6, 6), dtype=np.uint8)
    mask[1:3, 1:4] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    code = main(["complete", str(checkpoint), str(tmp_path / "image.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(tmp_path / "grid.png"), "--samples", str(samples)])
    assert code == 0
    ranked = capsys.readouterr().out.split("nats): ")[1].splitlines()[0].split(", ")
    return [(item.split(": ")[0], float(item.split(": ")[1])) for item in ranked]


def test_complete_with_candidates_ranks_them(checkpoint, tmp_path, capsys):
    scores = [score for _, score in complete_with_candidates(checkpoint, tmp_path, capsys, 3)]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)


def test_complete_numbers_candidates_from_one_best_first(checkpoint, tmp_path, capsys):
    """The app's candidate strip calls the best candidate #1; the CLI names them the same way."""
    names = [name for name, _ in complete_with_candidates(checkpoint, tmp_path, capsys, 4)]
    assert names == ["#1", "#2", "#3", "#4"]


def test_clear_errors(checkpoint, tmp_path, capsys):
    assert main(["sample", "no-such-model", "--out", str(tmp_path / "x.png")]) == 2
    assert "neither a file nor a bundled model" in capsys.readouterr().err
    (tmp_path / "image.png").write_bytes(b"not a png")
    code = main(["complete", str(checkpoint), str(tmp_path / "image.png"), "--mask", str(tmp_path / "image.png"),
                 "--out", str(tmp_path / "x.png")])
    assert code == 2 and "pixelrnn complete:" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def write_image_and_mask(tmp_path, mask: np.ndarray) -> tuple[str, str]:
    Image.fromarray(gradient_images(1, 8, 3)[0]).save(tmp_path / "image.png")
    Image.fromarray((mask * 255).astype(np.uint8)).save(tmp_path / "mask.png")
    return str(tmp_path / "image.png"), str(tmp_path / "mask.png")


def test_a_mask_that_marks_nothing_is_refused_with_what_a_mask_means(checkpoint, tmp_path, capsys):
    image, mask = write_image_and_mask(tmp_path, np.zeros((8, 8), dtype=bool))
    assert main(["complete", str(checkpoint), image, "--mask", mask, "--out", str(tmp_path / "x.png")]) == 2
    assert "marks no pixel to fill (white pixels are filled" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("command", ["sample", "complete"])
def test_an_output_that_cannot_be_written_is_refused_before_any_work(checkpoint, tmp_path, capsys, monkeypatch, command):
    image, mask = write_image_and_mask(tmp_path, np.ones((8, 8), dtype=bool))
    monkeypatch.setattr("pixelrnn_core.cli.generate.load_checkpoint", lambda path: pytest.fail("loaded the model"))
    inputs = [image, "--mask", mask] if command == "complete" else []
    missing = tmp_path / "no-such-folder" / "x.png"
    assert main([command, str(checkpoint), *inputs, "--out", str(missing)]) == 2
    assert f"cannot save {str(missing)!r}: the folder {str(missing.parent)!r} does not exist" in capsys.readouterr().err
    assert main([command, str(checkpoint), *inputs, "--out", str(tmp_path)]) == 2
    assert f"cannot save {str(tmp_path)!r}: it is a folder" in capsys.readouterr().err
    assert main([command, str(checkpoint), *inputs, "--out", str(tmp_path / "x.unknown")]) == 2
    assert "unknown image format '.unknown'" in capsys.readouterr().err


def test_a_colour_model_refuses_a_grey_only_output_before_any_work(checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("pixelrnn_core.cli.generate.load_checkpoint", lambda path: pytest.fail("loaded the model"))
    assert main(["sample", str(checkpoint), "--out", str(tmp_path / "x.pgm")]) == 2
    assert "a .pgm file holds grey pixels only; write a colour image as .ppm or .png" in capsys.readouterr().err


@pytest.mark.parametrize("written", ["image", "mask"])
def test_complete_refuses_to_write_over_its_own_input(checkpoint, tmp_path, capsys, written):
    image, mask = write_image_and_mask(tmp_path, np.ones((8, 8), dtype=bool))
    target = {"image": image, "mask": mask}[written]
    before = Path(target).read_bytes()
    assert main(["complete", str(checkpoint), image, "--mask", mask, "--out", target]) == 2
    assert f"--out would write over the {written} being read ({target!r}); choose another file" in capsys.readouterr().err
    assert Path(target).read_bytes() == before


def test_training_writes_previews_to_the_run_folder(tmp_path, capsys):
    write_npz(tmp_path / "data.npz", gradient_images(12, 6, 3))
    code = main(["train", str(tmp_path / "data.npz"), "--arch", "pixelcnn", "--hidden", "6", "--layers", "1",
                 "--levels", "16", "--batch-size", "4", "--epochs", "1", "--preview-every", "1",
                 "--out", str(tmp_path / "run")])
    assert code == 0
    assert "preview written to" in capsys.readouterr().out
    grid = np.asarray(Image.open(tmp_path / "run" / "samples" / "step-1.png"))
    assert grid.shape == (6, 3 * 6 + 2, 3)  # image | completion | sample, full size
    # the completion keeps the image's top half
    assert np.array_equal(grid[:3, 7:13], grid[:3, :6])


def test_complete_says_which_way_each_group_of_holes_was_turned(tmp_path, capsys):
    torch.manual_seed(0)
    model = prc.build_model("pixelcnn", channels=3, levels=256, hidden=6, layers=1, out_hidden=6)
    augmented = tmp_path / "augmented.safetensors"
    prc.save_checkpoint(augmented, model, image_size=[8, 8], data=prc.DatasetSpec("photos", augment=True).to_dict())
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (100, 120, 3), dtype=np.uint8)).save(tmp_path / "image.png")
    mask = np.zeros((100, 120), dtype=np.uint8)
    mask[0:4, 5:10] = mask[80:85, 0:4] = 255  # along the top edge, and along the left edge far below
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert main(["complete", str(augmented), str(tmp_path / "image.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(tmp_path / "filled.png")]) == 0
    captured = capsys.readouterr()
    turns = prc.CompletionJob(model, np.asarray(Image.open(tmp_path / "image.png")), mask > 0, orientation="auto").orientations
    assert len(set(turns)) == 2
    assert f"completed each group of holes in its own orientation, the most known pixels before it: {', '.join(turns)}" in captured.out
    mask[40:42, 60:62] = mask[90:92, 110:112] = 255  # two more holes, filled upright
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert main(["complete", str(augmented), str(tmp_path / "image.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(tmp_path / "filled.png")]) == 0
    assert f"before it: identity x2, {turns[0]}, {turns[1]}" in capsys.readouterr().out  # the most common first
    assert "warning" not in captured.err


def test_complete_uses_the_auto_orientation_for_a_model_trained_under_symmetries(tmp_path, capsys):
    torch.manual_seed(0)
    model = prc.build_model("pixelcnn", channels=3, levels=256, hidden=6, layers=1, out_hidden=6)
    augmented = tmp_path / "augmented.safetensors"
    prc.save_checkpoint(augmented, model, image_size=[8, 8], data=prc.DatasetSpec("photos", augment=True).to_dict())
    image = gradient_images(1, 8, 3)[0]
    Image.fromarray(image).save(tmp_path / "image.png")
    mask = np.zeros((8, 8), dtype=bool)
    mask[:, 5:] = True  # the right side: more known pixels come first in a transposed frame
    Image.fromarray((mask * 255).astype(np.uint8)).save(tmp_path / "mask.png")
    out = tmp_path / "filled.png"
    assert main(["complete", str(augmented), str(tmp_path / "image.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(out), "--seed", "2"]) == 0
    chosen = prc.CompletionJob(model, image, mask, orientation="auto").orientation
    assert chosen != "identity"
    assert f"completed in the {chosen} orientation" in capsys.readouterr().out
    expected = prc.complete(model, image, mask, seed=2, orientation="auto", temperature=prc.FILL_TEMPERATURE)[0]
    assert np.array_equal(np.asarray(Image.open(out)), expected)
    plain = tmp_path / "plain.safetensors"
    prc.save_checkpoint(plain, model, image_size=[8, 8], data=prc.DatasetSpec("photos").to_dict())
    assert main(["complete", str(plain), str(tmp_path / "image.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(out), "--orientation", "flip_vertical"]) == 0
    captured = capsys.readouterr()
    assert "completed in the flip_vertical orientation, as asked" in captured.out
    assert "warning: the model was trained only upright (without --augment): it predicts worse turned" in captured.err
    assert main(["complete", str(plain), str(tmp_path / "image.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(out), "--orientation", "auto"]) == 0  # auto turns it too: the same warning
    assert "warning: the model was trained only upright" in capsys.readouterr().err


def test_ctrl_c_stops_a_command_with_one_line_and_no_traceback(checkpoint, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("pixelrnn_core.cli.generate.load_checkpoint", interrupted)
    assert main(["sample", str(checkpoint), "--out", str(tmp_path / "x.png")]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "pixelrnn sample: cancelled" and not (tmp_path / "x.png").exists()


def test_ctrl_c_during_a_fill_ends_the_progress_line_first(checkpoint, tmp_path, capsys, monkeypatch):
    """The one line comes on a line of its own (it ran on after "1025/12288 sub-pixels")."""
    run = prc.CompletionJob.run

    def interrupted_after_a_while(job):
        for step in run(job):
            yield step
            if step.index == 50:
                raise KeyboardInterrupt

    monkeypatch.setattr(prc.CompletionJob, "run", interrupted_after_a_while)
    assert main(["sample", str(checkpoint), "--out", str(tmp_path / "x.png")]) == 130
    progress, cancelled = capsys.readouterr().err.rstrip("\n").rsplit("\n", 1)
    assert progress.endswith("sub-pixels") and cancelled == "pixelrnn sample: cancelled"


def test_an_empty_model_name_is_refused_not_read_as_the_working_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="the model's name or path is empty"):
        prc.find_checkpoint("")
    assert main(["sample", "", "--out", "x.png"]) == 2
    assert capsys.readouterr().err == "pixelrnn sample: error: the model's name or path is empty\n"


def test_complete_warns_when_the_model_changes_the_whole_image(tmp_path, capsys):
    grey_model = tmp_path / "grey.safetensors"
    prc.save_checkpoint(grey_model, prc.build_model("pixelcnn", channels=1, levels=2, hidden=4, layers=1, out_hidden=4))
    image, mask = write_image_and_mask(tmp_path, np.eye(8, dtype=bool))
    assert main(["complete", str(grey_model), image, "--mask", mask, "--out", str(tmp_path / "x.png")]) == 0
    err = capsys.readouterr().err
    assert "warning: the image has colour but the model is grey: all of it is written grey" in err
    assert "warning: the model has 2 levels per sub-pixel: all of the image is quantized to them" in err
    Image.fromarray(np.where(np.eye(8, dtype=bool), 255, 0).astype(np.uint8)).save(tmp_path / "binary.png")
    assert main(["complete", str(grey_model), str(tmp_path / "binary.png"), "--mask", mask, "--out", str(tmp_path / "y.png")]) == 0
    assert "warning" not in capsys.readouterr().err


def test_complete_warns_that_see_through_pixels_are_read_on_white(checkpoint, tmp_path, capsys):
    """A semi-transparent image came back opaque, flattened onto white everywhere, without a word."""
    _, mask = write_image_and_mask(tmp_path, np.eye(8, dtype=bool))
    pixels = np.full((8, 8, 4), 255, np.uint8)
    pixels[..., :3] = 200
    Image.fromarray(pixels).save(tmp_path / "opaque.png")  # RGBA, yet every pixel opaque
    pixels[:2, :, 3] = 100
    Image.fromarray(pixels).save(tmp_path / "translucent.png")
    for name, warned in (("opaque.png", False), ("translucent.png", True)):
        assert main(["complete", str(checkpoint), str(tmp_path / name), "--mask", mask, "--out", str(tmp_path / "x.png")]) == 0
        warning = "warning: the image has transparent pixels: they are read, and written, as shown on white"
        assert (warning in capsys.readouterr().err) == warned


@pytest.mark.parametrize("options, message", [
    (["--samples", "4"], "--greedy draws one candidate: leave out --samples"),
    (["--temperature", "0.5"], "--greedy takes the most likely value: leave out --temperature"),
    (["--temperature", "1.0"], "--greedy takes the most likely value: leave out --temperature"),
])
def test_greedy_refuses_options_it_would_ignore(checkpoint, tmp_path, capsys, options, message):
    assert main(["sample", str(checkpoint), "--greedy", *options, "--out", str(tmp_path / "x.png")]) == 2
    assert message in capsys.readouterr().err


def test_an_unreadable_mask_is_called_a_mask(checkpoint, tmp_path, capsys):
    image, _ = write_image_and_mask(tmp_path, np.ones((8, 8), dtype=bool))
    assert main(["complete", str(checkpoint), image, "--mask", str(tmp_path / "nosuch.png"), "--out", str(tmp_path / "x.png")]) == 2
    assert f"cannot read mask {str(tmp_path / 'nosuch.png')!r}: no such file" in capsys.readouterr().err
