"""The fused recurrent scans compute exactly the paper's recurrences: same logits, same gradients."""
from __future__ import annotations

import copy

import numba
import numpy as np
import pytest
import torch

import pixelrnn_core as prc
from pixelrnn_core.models import scan_kernels
from pixelrnn_core.models.fused_scan import runs_compiled_steps
from pixelrnn_core.models.scans import select_scan


@numba.njit
def tanh_of(values: np.ndarray) -> np.ndarray:
    return np.array([scan_kernels.tanh(value) for value in values], dtype=np.float32)


def random_model(arch: str, channels: int, **settings) -> torch.nn.Module:
    """A tiny float64 model with weights large enough that every gate matters."""
    torch.manual_seed(0)
    model = prc.build_model(arch, channels=channels, levels=8, hidden=6, layers=2, out_hidden=12, **settings).double()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.3)
    return model


def logits_and_gradients(model: torch.nn.Module, x: torch.Tensor, scan: str) -> tuple[torch.Tensor, list[torch.Tensor]]:
    select_scan(model, scan)
    model.zero_grad()
    logits = model(x)
    weights = torch.linspace(-1.0, 1.0, logits.numel(), dtype=logits.dtype).view_as(logits)
    (logits * weights).sum().backward()
    return logits.detach(), [parameter.grad.clone() for parameter in model.parameters()]


def assert_scans_agree(model: torch.nn.Module, x: torch.Tensor) -> None:
    reference_logits, reference_grads = logits_and_gradients(model, x, "reference")
    fast_logits, fast_grads = logits_and_gradients(model, x, "fast")
    torch.testing.assert_close(fast_logits, reference_logits, rtol=1e-10, atol=1e-10)
    for (name, _), fast, reference in zip(model.named_parameters(), fast_grads, reference_grads):
        torch.testing.assert_close(fast, reference, rtol=1e-9, atol=1e-10, msg=f"gradient of {name}")


@pytest.mark.parametrize("arch", ["row_lstm", "diagonal_bilstm"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(5, 7), (7, 4), (1, 3), (4, 1)])
def test_fused_scan_matches_reference(arch, channels, size):
    model = random_model(arch, channels)
    x = torch.randint(0, 8, (3, channels, *size), generator=torch.Generator().manual_seed(1))
    assert_scans_agree(model, x)


@pytest.mark.parametrize("base_arch", ["row_lstm", "diagonal_bilstm"])
def test_fused_scan_matches_reference_with_conditioning(base_arch):
    """Multi-scale (§3.6): the conditional model adds conditioning maps to the input gates."""
    model = random_model("multiscale", 3, base_arch=base_arch, upsample_features=4)
    x = torch.randint(0, 8, (2, 3, 6, 5), generator=torch.Generator().manual_seed(2))
    assert_scans_agree(model, x)


def test_row_lstm_wide_kernel_matches_reference():
    model = random_model("row_lstm", 1, kernel=5)
    x = torch.randint(0, 8, (2, 1, 4, 6), generator=torch.Generator().manual_seed(3))
    assert_scans_agree(model, x)


@pytest.mark.parametrize("arch", ["row_lstm", "diagonal_bilstm"])
def test_fused_scan_is_the_default(arch):
    model = prc.build_model(arch, channels=1, levels=2, hidden=4, layers=1)
    assert all(module.scan == "fast" for module in model.modules() if hasattr(module, "scan"))


def test_unknown_scan_is_refused():
    with pytest.raises(ValueError, match="fast, reference"):
        select_scan(prc.build_model("row_lstm", channels=1, levels=2, hidden=4, layers=1), "compiled")


@pytest.mark.parametrize("arch", ["row_lstm", "diagonal_bilstm"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_training_after_scoring_under_inference_mode(arch, dtype):
    """Validation scores under inference_mode; the next training step at the same size must still work."""
    model = random_model(arch, 1).to(dtype)
    x = torch.randint(0, 8, (3, 1, 5, 6), generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        model(x)
    model(x).sum().backward()
    assert all(parameter.grad is not None for parameter in model.parameters())


def float32_logits_and_gradients(model: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The fast scan of a float32 copy of ``model`` (the compiled steps), as float64."""
    logits, grads = logits_and_gradients(copy.deepcopy(model).float(), x, "fast")
    return logits.double(), [grad.double() for grad in grads]


@pytest.mark.parametrize("arch", ["row_lstm", "diagonal_bilstm"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(5, 7), (7, 4), (1, 3), (4, 1)])
def test_compiled_float32_steps_match_the_reference(arch, channels, size):
    """float32 on a CPU runs the element-wise steps compiled; same logits and gradients to float32 rounding."""
    model = random_model(arch, channels)
    x = torch.randint(0, 8, (3, channels, *size), generator=torch.Generator().manual_seed(5))
    assert runs_compiled_steps(torch.zeros(1)) and not runs_compiled_steps(torch.zeros(1, dtype=torch.float64))
    reference_logits, reference_grads = logits_and_gradients(model, x, "reference")
    logits, grads = float32_logits_and_gradients(model, x)
    torch.testing.assert_close(logits, reference_logits, rtol=1e-5, atol=1e-5)
    for (name, _), grad, reference in zip(model.named_parameters(), grads, reference_grads):
        torch.testing.assert_close(grad, reference, rtol=1e-4, atol=1e-5 * reference.abs().max().item(), msg=name)


@pytest.mark.parametrize("settings", [
    {"arch": "row_lstm", "kernel": 5},
    {"arch": "multiscale", "base_arch": "row_lstm", "upsample_features": 4},
    {"arch": "multiscale", "base_arch": "diagonal_bilstm", "upsample_features": 4},
])
def test_compiled_float32_steps_match_the_reference_with_wide_kernels_and_conditioning(settings):
    settings = dict(settings)
    channels = 3 if settings["arch"] == "multiscale" else 1
    model = random_model(settings.pop("arch"), channels, **settings)
    x = torch.randint(0, 8, (2, channels, 6, 4), generator=torch.Generator().manual_seed(6))
    reference_logits, _ = logits_and_gradients(model, x, "reference")
    logits, _ = float32_logits_and_gradients(model, x)
    torch.testing.assert_close(logits, reference_logits, rtol=1e-5, atol=1e-5)


def test_compiled_tanh_is_float32_accurate_and_keeps_nan():
    """The compiled steps' tanh (built on a vectorisable exponential) against torch's, tiny to huge."""
    x = torch.cat([torch.linspace(-30, 30, 100_001), torch.logspace(-30, 1, 1000), -torch.logspace(-30, 1, 1000),
                   torch.tensor([0.0, float("inf"), -float("inf"), 3e38, -3e38])])
    values = torch.from_numpy(tanh_of(x.numpy()))
    exact = torch.tanh(x.double())
    assert ((values.double() - exact).abs() <= 2.5e-7 * exact.abs().clamp(min=1e-30) + 1e-45).all()
    assert torch.isnan(torch.from_numpy(tanh_of(torch.tensor([float("nan")]).numpy()))).all()
