"""The fused recurrent scans compute exactly the paper's recurrences: same logits, same gradients."""
from __future__ import annotations

import pytest
import torch

import pixelrnn_core as prc
from pixelrnn_core.models.scans import select_scan


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
def test_training_after_scoring_under_inference_mode(arch):
    """Validation scores under inference_mode; the next training step at the same size must still work."""
    model = random_model(arch, 1)
    x = torch.randint(0, 8, (3, 1, 5, 6), generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        model(x)
    model(x).sum().backward()
    assert all(parameter.grad is not None for parameter in model.parameters())
