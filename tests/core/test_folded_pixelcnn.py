"""The PixelCNN's folded evaluation form: the model's scores, causal, used where it applies."""
from __future__ import annotations

import pytest
import torch

import pixelrnn_core as prc
from pixelrnn_core.data import DatasetSpec
from pixelrnn_core.models import folded_pixelcnn
from pixelrnn_core.models.folded_pixelcnn import FoldedPixelCNN, folds, fusion_available, scoring_form
from pixelrnn_core.training.layout import to_fast_layout

from .probes import perturbed, subpixel_rank

pytestmark = pytest.mark.skipif(not fusion_available(), reason="this PyTorch has no oneDNN fused convolutions")


def tiny_pixelcnn(channels: int = 3, levels: int = 16, **settings) -> torch.nn.Module:
    torch.manual_seed(0)
    settings = {"hidden": 12, "layers": 3, "out_hidden": 24, **settings}
    return prc.build_model("pixelcnn", channels=channels, levels=levels, **settings).eval()


CASES = {
    "grey, 256 levels": {"channels": 1, "levels": 256},
    "RGB": {"channels": 3, "levels": 16},
    "RGB, 5x5 kernels": {"channels": 3, "levels": 16, "kernel": 5, "first_kernel": 5},
    "RGB, logistic mixture": {"channels": 3, "levels": 256, "output": "logistic_mixture", "mixtures": 3},
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("fast_layout", [False, True])
def test_the_folded_form_scores_as_the_model_does(case, fast_layout):
    model = tiny_pixelcnn(**CASES[case])
    if fast_layout:
        to_fast_layout(model)
    folded = FoldedPixelCNN(model)
    levels = model.config.levels
    for shape in [(3, model.config.channels, 7, 5), (1, model.config.channels, 4, 9)]:
        x = torch.randint(0, levels, shape, generator=torch.Generator().manual_seed(1))
        with torch.inference_mode():
            torch.testing.assert_close(folded.log_likelihood(x), model.log_likelihood(x), atol=2e-5, rtol=1e-5)
            torch.testing.assert_close(folded(x), model(x), atol=2e-5, rtol=1e-5)


@pytest.mark.parametrize("channels", [1, 3])
def test_the_folded_form_is_causal(channels):
    """A sub-pixel leaves every score at or before it bit-for-bit the same, and changes later ones."""
    model = tiny_pixelcnn(channels=channels)
    folded = FoldedPixelCNN(model)
    x = torch.randint(0, 16, (1, channels, 5, 6), generator=torch.Generator().manual_seed(3))
    rank = subpixel_rank(model, 5, 6, channels)
    with torch.inference_mode():
        before = folded(x)
        for i, j, c in [(0, 0, 0), (1, 3, channels - 1), (2, 5, 0), (4, 2, 0)]:
            change = (folded(perturbed(x, 16, i, j, c)) - before).abs().amax(dim=(0, 1)).permute(1, 2, 0)
            assert change[rank <= rank[i, j, c]].max() == 0, f"{(i, j, c)} leaks backwards"
            assert change[rank > rank[i, j, c]].max() > 1e-6, f"{(i, j, c)} changes nothing after it"


def test_the_folded_form_is_a_snapshot_of_the_weights():
    model = tiny_pixelcnn()
    folded = FoldedPixelCNN(model)
    x = torch.randint(0, 16, (2, 3, 4, 4), generator=torch.Generator().manual_seed(5))
    with torch.inference_mode():
        before = folded.log_likelihood(x)
        for parameter in model.parameters():
            parameter.add_(0.1)
        torch.testing.assert_close(folded.log_likelihood(x), before, atol=0, rtol=0)
        torch.testing.assert_close(FoldedPixelCNN(model).log_likelihood(x), model.log_likelihood(x), atol=2e-5, rtol=1e-5)


def test_only_float32_pixelcnns_with_residuals_and_skips_evaluated_without_autocast_fold():
    model = tiny_pixelcnn()
    assert folds(model, None)
    assert isinstance(scoring_form(model, None), FoldedPixelCNN)
    assert not folds(model, torch.bfloat16)
    assert scoring_form(model, torch.bfloat16) is model
    assert not folds(tiny_pixelcnn().double(), None)
    assert not folds(tiny_pixelcnn(residual=False), None)
    assert not folds(tiny_pixelcnn(skip=False), None)
    torch.manual_seed(0)
    assert not folds(prc.build_model("row_lstm", channels=3, levels=16, hidden=12, layers=2), None)
    assert not folds(prc.build_model("multiscale", channels=3, levels=16, hidden=12, layers=2, base_arch="pixelcnn"), None)


def test_evaluation_scores_a_pixelcnn_through_its_folded_form_with_the_models_own_figure(monkeypatch):
    model = tiny_pixelcnn(channels=1, levels=256)
    images = torch.randint(0, 256, (10, 1, 6, 6), dtype=torch.uint8, generator=torch.Generator().manual_seed(6))
    spec = DatasetSpec(path="test images", levels=256)
    batches = []
    folded_outputs = FoldedPixelCNN.head_outputs
    monkeypatch.setattr(FoldedPixelCNN, "head_outputs", lambda self, x: batches.append(len(x)) or folded_outputs(self, x))
    folded = prc.evaluate_images(model, images, spec, batch_size=4)
    assert batches == [4, 4, 2]
    with torch.inference_mode():
        nats = -model.log_likelihood(images.long()).double().sum().item()
    assert folded.nats_per_image == pytest.approx(nats / 10, rel=1e-6)
    unfolded = prc.evaluate_images(model.double(), images, spec, batch_size=4)
    assert folded.bits_per_dim == pytest.approx(unfolded.bits_per_dim, rel=1e-6)


def test_a_build_without_a_kernel_for_the_fused_convolutions_evaluates_the_model_itself(monkeypatch):
    def no_kernel(*args):
        raise NotImplementedError("Could not run 'mkldnn::_convolution_pointwise' with arguments from the 'CPU' backend")

    monkeypatch.setattr(torch.ops.mkldnn, "_convolution_pointwise", no_kernel)
    fusion_available.cache_clear()
    try:
        model = tiny_pixelcnn()
        assert not fusion_available()
        assert scoring_form(model, None) is model
    finally:
        monkeypatch.undo()
        fusion_available.cache_clear()
    assert folded_pixelcnn.fusion_available()
