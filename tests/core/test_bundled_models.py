"""Every bundled model loads by name, `pixelrnn models` lists them, and its card's quick figure is reproduced by `pixelrnn eval`."""
from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import numpy as np
import pytest

import pixelrnn_core as prc
from pixelrnn_core.cli import main

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted(prc.bundled_models())


def test_an_unknown_models_card_names_the_bundled_ones():
    with pytest.raises(FileNotFoundError, match="'nope' is not a bundled model.*fashion-mnist"):
        prc.model_card("nope")


def test_a_name_finds_a_run_folders_model_else_the_bundled_one_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fashion-mnist").mkdir()  # e.g. the dataset's own folder
    assert prc.find_checkpoint("fashion-mnist") == prc.bundled_models()["fashion-mnist"]
    run = prc.RunFolder(tmp_path / "photo-patches")
    run.path.mkdir()
    run.config_path.write_text("{}")
    with pytest.raises(FileNotFoundError, match="photo-patches: the run has saved no checkpoint yet"):
        prc.find_checkpoint("photo-patches")
    prc.save_checkpoint(run.checkpoint_path("last"), prc.build_model("pixelcnn", channels=1, levels=4, hidden=4, layers=1))
    assert prc.find_checkpoint("photo-patches").resolve() == run.checkpoint_path("last")
    (tmp_path / "pictures").mkdir()
    with pytest.raises(FileNotFoundError, match="pictures: a folder, but neither a run folder nor a bundled model"):
        prc.find_checkpoint("pictures")


@pytest.mark.parametrize("model", [None, "fashion-mnist"])
def test_completing_with_something_else_than_a_model_says_so(model):
    with pytest.raises(TypeError, match="a pixelrnn model"):
        prc.complete(model, np.zeros((4, 4, 1), np.uint8), np.ones((4, 4), bool))


def test_the_three_kinds_of_bundled_model_ship():
    configs = {name: prc.load_checkpoint(prc.find_checkpoint(name)).config for name in BUNDLED}
    kinds = {(cfg.channels, cfg.levels) for cfg in configs.values()}
    assert {(1, 256), (3, 256), (1, 2)} <= kinds, f"bundled: {configs}"
    for name in BUNDLED:
        assert prc.find_checkpoint(name).stat().st_size < 8 * 2**20, f"{name} is more than a few MB"


@pytest.mark.parametrize("name", BUNDLED)
def test_card_figure_is_reproduced_by_eval(name, capsys):
    metadata = prc.checkpoint_metadata(prc.find_checkpoint(name))
    quick = metadata["quick_eval"]
    data = Path(quick["data"]) if Path(quick["data"]).is_absolute() else ROOT / quick["data"]
    if not data.exists():
        pytest.skip(f"{data} is not installed here (CI installs it)")
    args = ["eval", name, str(data), "--json"] + (["--limit", str(quick["limit"])] if quick["limit"] else [])
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == quick["images"]
    assert result["bits_per_dim"] == pytest.approx(quick["bits_per_dim"], abs=1e-4)
    card = prc.model_card(name)
    assert f"{metadata['test']['bits_per_dim']:.4f} bits/dim" in card
    assert f"pixelrnn eval {name} " in card


def test_sample_and_complete_take_a_bundled_name(tmp_path, capsys):
    assert main(["sample", "fashion-mnist-binary", "--samples", "2", "--out", str(tmp_path / "s.png")]) == 0
    assert "28x28 pixels (width x height) each" in capsys.readouterr().out
    image, mask = prc.sample_images()["fashion-ankle-boot"]
    assert main(["complete", "fashion-mnist", str(image), "--mask", str(mask), "--out", str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.png").is_file()


def test_the_models_command_lists_every_bundled_model_with_what_it_was_trained_on(capsys):
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["name", "architecture"]
    for (name, path), line in zip(prc.bundled_models().items(), lines[1:], strict=True):
        info = prc.checkpoint_info(path)
        assert line.split()[:2] == [name, info.config.arch]
        assert f"{info.bits_per_dim:.3f}" in line and info.title.split(",")[0] in line


def test_version_is_the_installed_packages(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"pixelrnn {importlib.metadata.version('pixelrnn')}"
    assert prc.__version__ == importlib.metadata.version("pixelrnn")


def test_the_command_runs_from_a_source_checkout_that_is_not_installed(monkeypatch, capsys):
    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"pixelrnn {prc.__version__}"
