"""The first use of the compiled completion steps says what it does and how long it took, once, and
compiles only what the model at hand needs."""
from __future__ import annotations

import subprocess
import sys

import pytest

import pixelrnn_core as prc
from pixelrnn_core.completion import compiled_steps
from pixelrnn_core.completion.compiled_steps import completion_variant


def test_compile_is_announced_once(tmp_path, monkeypatch):
    monkeypatch.setattr(compiled_steps, "marker_folder", lambda: tmp_path)
    lines: list[str] = []
    assert not compiled_steps.completion_steps_cached()
    compiled_steps.ready_completion_steps(lines.append)
    assert len(lines) == 2 and "compiling" in lines[0] and lines[1].startswith("compiled the completion steps in ")
    assert compiled_steps.completion_steps_cached()
    assert compiled_steps.completion_steps_cached("diagonal_bilstm")  # readying all readies each
    compiled_steps.ready_completion_steps(lines.append)
    assert len(lines) == 2


def test_one_architecture_is_readied_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(compiled_steps, "marker_folder", lambda: tmp_path)
    lines: list[str] = []
    compiled_steps.ready_completion_steps(lines.append, "pixelcnn")
    assert "compiling" in lines[0] and "pixelcnn" in lines[0]
    assert compiled_steps.completion_steps_cached("pixelcnn")
    assert not compiled_steps.completion_steps_cached("row_lstm")
    assert not compiled_steps.completion_steps_cached()
    compiled_steps.ready_completion_steps(lines.append, "pixelcnn")
    assert len(lines) == 2


def test_each_variant_is_prepared_by_its_name():
    assert list(prc.prepare_completion(["row_lstm"])) == ["row_lstm"]
    model = prc.build_model("multiscale", base_arch="diagonal_bilstm", channels=1, levels=4, hidden=2, layers=1,
                            out_hidden=4, upsample_features=2)
    name = completion_variant(model.config)
    assert name == "multiscale (diagonal_bilstm)"
    assert list(prc.prepare_completion([name])) == [name]
    assert completion_variant(prc.build_model("pixelcnn", channels=1, levels=4, hidden=2, layers=1).config) == "pixelcnn"


def test_preparing_ahead_makes_the_steps_count_as_cached(tmp_path, monkeypatch):
    monkeypatch.setattr(compiled_steps, "marker_folder", lambda: tmp_path)
    assert list(prc.prepare_completion(["pixelcnn"])) == ["pixelcnn"]
    assert prc.completion_steps_cached("pixelcnn") and not prc.completion_steps_cached("row_lstm")
    lines: list[str] = []
    compiled_steps.ready_completion_steps(lines.append, "pixelcnn")
    assert lines == []  # no "compiling ..." for steps already readied


@pytest.mark.parametrize("call", [lambda: prc.completion_steps_cached("bogus"), lambda: prc.prepare_completion(["bogus"])])  # at the call
def test_an_unknown_variant_is_refused_with_the_known_ones(call):
    with pytest.raises(ValueError, match=r"'bogus'.*multiscale \(row_lstm\)"):
        call()


def test_readying_compiles_the_mixture_models_step_too():
    """A logistic-mixture model (the bundled photo model) turns each sub-pixel's mixture into its
    distribution in a compiled call; readying the steps readies it, so the first fill compiles nothing
    more (a fresh process: another test may already have compiled it in this one)."""
    script = ("from pixelrnn_core.completion import compiled_steps\nfrom pixelrnn_core.completion.cached import kernels\n"
              "list(compiled_steps.prepare_completion(['pixelcnn']))\nprint(kernels.mixture_log_probs_into.signatures)")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "Array(float32, 2, 'C'" in shown
