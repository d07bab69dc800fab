"""The discretized logistic mixture output (PixelCNN++ §2.1): a distribution over the levels, the
likelihood it should be, finite gradients, and a model that learns with it."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import pixelrnn_core as prc
from pixelrnn_core.completion.cached.kernels import mixture_log_probs_into
from pixelrnn_core.models.logistic_mixture import MIN_LOG_SCALE, log_sum_exp, mixture_log_probs
from pixelrnn_core.training.layout import to_fast_layout


def random_params(count: int, mixtures: int, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(count, mixtures, generator=generator) * 2
    means = torch.rand(count, mixtures, generator=generator) * 3 - 1.5
    log_scales = torch.rand(count, mixtures, generator=generator) * 9 - 8
    return torch.cat([logits, means, log_scales], dim=1).to(dtype)


def extreme_params(mixtures: int = 3) -> torch.Tensor:
    """Components far outside [-1, 1], on the edges, tiny and huge scales, dominant weights."""
    rows = []
    for mean in (-40.0, -1.0, 0.0, 1.0, 40.0):
        for log_scale in (-30.0, -7.0, 0.0, 12.0):
            for weight in (-60.0, 0.0, 60.0):
                rows.append([weight] + [0.0] * (mixtures - 1) + [mean] * mixtures + [log_scale] * mixtures)
    return torch.tensor(rows, dtype=torch.float32)


def reference_log_prob(value: int, params: list[float], levels: int) -> float:
    """log P(value) written out plainly: a mixture of logistic CDF differences over the bin of width
    2 / (L - 1) around the level's place in [-1, 1], the edge bins reaching to -inf and +inf."""
    mixtures = len(params) // 3
    logits, means, log_scales = params[:mixtures], params[mixtures : 2 * mixtures], params[2 * mixtures :]
    weights = [math.exp(v) / sum(math.exp(w) for w in logits) for v in logits]
    centre = value * 2 / (levels - 1) - 1
    half_bin = 1 / (levels - 1)
    total = 0.0
    for weight, mean, log_scale in zip(weights, means, log_scales):
        scale = math.exp(max(log_scale, -7.0))

        def cdf(x: float) -> float:
            return 1 / (1 + math.exp(-(x - mean) / scale))

        upper = 1.0 if value == levels - 1 else cdf(centre + half_bin)
        lower = 0.0 if value == 0 else cdf(centre - half_bin)
        total += weight * (upper - lower)
    return math.log(total)


@pytest.mark.parametrize("levels", [2, 16, 256])
def test_probabilities_of_all_levels_sum_to_one(levels):
    log_probs = mixture_log_probs(random_params(200, 5), levels)
    assert log_probs.shape == (200, levels) and log_probs.dtype == torch.float64
    assert torch.logsumexp(log_probs, dim=1).abs().max() < 1e-9
    extreme = mixture_log_probs(extreme_params(), levels)
    assert torch.isfinite(extreme).all() and extreme.dtype == torch.float32
    assert torch.logsumexp(extreme, dim=1).abs().max() < 1e-5


def test_log_probabilities_equal_the_plain_discretized_logistic_likelihood():
    params = random_params(30, 4, seed=1)
    params[:, 8:] = params[:, 8:].clamp(min=-5)  # scales where the plain formula is still exact
    for levels in (2, 7, 256):
        log_probs = mixture_log_probs(params, levels)
        for row in range(len(params)):
            for value in {0, 1, levels // 2, levels - 2, levels - 1}:
                expected = math.exp(reference_log_prob(value, params[row].tolist(), levels))
                # probabilities: the plain CDF difference loses digits on tiny ones, the module does not
                assert math.exp(log_probs[row, value]) == pytest.approx(expected, rel=1e-9, abs=1e-14)


def test_model_nll_is_the_mixture_likelihood_of_its_head_outputs():
    """The cross-entropy training takes of the model's scores is -log P(x) under each sub-pixel's
    mixture, read from the head's C * 3K maps (channel-major: logits, means, log-scales)."""
    torch.manual_seed(0)
    model = prc.build_model("pixelcnn", channels=3, levels=16, hidden=6, layers=1, out_hidden=6,
                            output="logistic_mixture", mixtures=2).double()
    outputs = []
    model.head.register_forward_hook(lambda module, inputs, output: outputs.append(output))
    x = torch.randint(0, 16, (2, 3, 3, 4), generator=torch.Generator().manual_seed(1))
    nll = F.cross_entropy(model(x), x, reduction="sum")
    params = outputs[0].view(2, 3, 6, 3, 4)
    expected = -sum(
        reference_log_prob(int(x[b, c, i, j]), params[b, c, :, i, j].tolist(), 16)
        for b in range(2) for c in range(3) for i in range(3) for j in range(4)
    )
    assert nll.item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("levels", [2, 256])
def test_log_probabilities_of_given_values_are_those_of_all_levels_at_them(levels):
    params = torch.cat([random_params(100, 4, seed=2), extreme_params(4).double()])
    values = torch.randint(0, levels, (len(params),), generator=torch.Generator().manual_seed(3))
    values[:2] = torch.tensor([0, levels - 1])
    expected = mixture_log_probs(params, levels).gather(1, values[:, None])[:, 0]
    torch.testing.assert_close(mixture_log_probs(params, levels, values), expected, rtol=1e-14, atol=1e-12)  # a few ulps of -44000


@pytest.mark.parametrize("arch", ["pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale"])
@pytest.mark.parametrize("output", ["softmax", "logistic_mixture"])
@pytest.mark.parametrize("fast_layout", [False, True])
def test_model_log_likelihood_is_its_scores_at_the_values(arch, output, fast_layout):
    """What training and evaluation take (``log_likelihood``) equals the log-softmax of ``forward``'s
    scores at the values, for both outputs (with a mixture, without computing every level) and both
    layouts of the maps, and so does its gradient."""
    torch.manual_seed(0)
    model = prc.build_model(arch, channels=3, levels=256, hidden=6, layers=1, out_hidden=6,
                            upsample_features=4, output=output, mixtures=3).double()
    if fast_layout:
        to_fast_layout(model)
    x = torch.randint(0, 256, (2, 3, 4, 5), generator=torch.Generator().manual_seed(1))
    weights = torch.rand(x.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    expected = -F.cross_entropy(model(x), x, reduction="none")
    expected_grad = torch.autograd.grad((expected * weights).sum(), list(model.parameters()), allow_unused=True)
    got = model.log_likelihood(x)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-10)
    got_grad = torch.autograd.grad((got * weights).sum(), list(model.parameters()), allow_unused=True)
    for ours, reference in zip(got_grad, expected_grad):
        torch.testing.assert_close(ours, reference, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_mixtures_log_sum_exp_is_torchs_to_the_bit_and_its_gradient(dtype):
    """Terms far below the largest (a sharp component's tail bins) are the slow ones to exponentiate."""
    generator = torch.Generator().manual_seed(0)
    terms = torch.randn(64, 5, 256, generator=generator, dtype=dtype) * 300  # spreads far beyond e^-87
    terms[0, :, 0] = -math.inf  # every term -inf: -inf
    terms[1, :2, 1] = -math.inf
    terms.requires_grad_(True)
    ours, reference = log_sum_exp(terms, dim=-2), torch.logsumexp(terms, dim=-2)
    assert torch.equal(ours, reference) and ours[0, 0] == -math.inf
    weights = torch.randn(64, 256, generator=generator, dtype=dtype)
    ours_grad, = torch.autograd.grad((ours.nan_to_num(neginf=0.0) * weights).sum(), terms)
    reference_grad, = torch.autograd.grad((reference.nan_to_num(neginf=0.0) * weights).sum(), terms)
    # the same softmax weights, rounded differently: exp(t - largest) / sum against exp(t - result), |t| ~ 500
    torch.testing.assert_close(ours_grad[1:], reference_grad[1:], rtol=1e-4 if dtype == torch.float32 else 1e-12, atol=1e-30)


def test_gradients_are_finite_at_the_edges_and_at_extreme_parameters():
    levels = 256
    params = extreme_params().requires_grad_()
    log_probs = mixture_log_probs(params, levels)
    values = torch.tensor([0, levels - 1, 1, levels // 2]).repeat(len(params) // 4 + 1)[: len(params)]
    (-log_probs.gather(1, values[:, None]).sum() - log_probs.sum()).backward()
    assert torch.isfinite(params.grad).all()
    params.grad = None
    mixture_log_probs(params, levels, values).sum().backward()
    assert torch.isfinite(params.grad).all()


def test_model_scores_and_gradients_are_float32_under_bf16_autocast():
    torch.manual_seed(0)
    model = prc.build_model("pixelcnn", channels=1, levels=256, hidden=4, layers=1, out_hidden=4,
                            output="logistic_mixture", mixtures=3)
    x = torch.tensor([[[[0, 255, 128], [255, 0, 3]]]])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        scores = model(x)
        log_likelihood = model.log_likelihood(x)
    assert scores.dtype == log_likelihood.dtype == torch.float32
    assert torch.logsumexp(scores, dim=1).abs().max() < 1e-5
    (F.cross_entropy(scores, x) - log_likelihood.mean()).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_training_a_tiny_mixture_model_lowers_its_loss():
    torch.manual_seed(0)
    model = prc.build_model("row_lstm", channels=3, levels=256, hidden=6, layers=1, out_hidden=12,
                            output="logistic_mixture", mixtures=3)
    ramp = torch.arange(8) * 30
    x = (ramp[None, :] + ramp[:, None]).clamp(max=255).expand(2, 3, 8, 8).contiguous()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss = -model.log_likelihood(x).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item() / math.log(2))
    assert losses[-1] < losses[0] - 1


def test_a_checkpoint_keeps_the_output_and_its_scores(tmp_path):
    torch.manual_seed(0)
    model = prc.build_model("diagonal_bilstm", channels=3, levels=256, hidden=6, layers=1, out_hidden=6,
                            output="logistic_mixture", mixtures=4)
    prc.save_checkpoint(tmp_path / "model.safetensors", model)
    loaded = prc.load_checkpoint(tmp_path / "model.safetensors")
    assert (loaded.config.output, loaded.config.mixtures) == ("logistic_mixture", 4)
    x = torch.randint(0, 256, (1, 3, 4, 4))
    torch.testing.assert_close(loaded(x), model(x))


def test_configs_written_before_the_output_option_read_as_softmax():
    old = {key: value for key, value in prc.ModelConfig("pixelcnn").to_dict().items() if key not in ("output", "mixtures")}
    config = prc.ModelConfig.from_dict(old)
    assert config.output == "softmax" and config.output_maps == config.levels


@pytest.mark.parametrize(
    "settings, message",
    [(dict(output="mixture"), "unknown output 'mixture'"), (dict(mixtures=0), "mixtures must be at least 1, got 0")],
)
def test_bad_output_settings_get_a_clear_message(settings, message):
    with pytest.raises(ValueError, match=message):
        prc.ModelConfig("pixelcnn", **settings)


def test_the_inspector_shows_the_mixtures_probabilities_of_all_levels():
    torch.manual_seed(0)
    model = prc.build_model("row_lstm", channels=3, levels=256, hidden=6, layers=1, out_hidden=6,
                            output="logistic_mixture", mixtures=4)
    image = torch.randint(0, 256, (5, 4, 3), generator=torch.Generator().manual_seed(2)).numpy().astype("uint8")
    inspection = prc.inspect(model, image)
    assert inspection.probs.shape == (5, 4, 3, 256)
    assert abs(inspection.probs.sum(axis=3) - 1).max() < 1e-5
    x = torch.from_numpy(image).long().permute(2, 0, 1)[None]
    with torch.no_grad():
        expected_bits = -model.log_likelihood(x).mean().item() / math.log(2)
    assert inspection.bits_per_dim == pytest.approx(expected_bits, rel=1e-5)


@pytest.mark.parametrize("levels", [2, 16, 256])
def test_the_cached_engines_compiled_distributions_are_the_mixtures(levels):
    """The cached engine turns a sub-pixel's mixture into its L log-probabilities in one compiled call
    (kernels.mixture_log_probs_into): the same maths as mixture_log_probs, random and extreme
    parameters (far tails, edge bins, clamped scales, dominant weights)."""
    cases = [(random_params(64, 5), 1e-12), (extreme_params().double(), 1e-12), (random_params(64, 5, dtype=torch.float32), 2e-4)]
    for params, tolerance in cases:
        out = np.empty((len(params), levels))
        mixture_log_probs_into(params.numpy(), levels, MIN_LOG_SCALE, out)
        expected = mixture_log_probs(params, levels).double().numpy()
        np.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)
