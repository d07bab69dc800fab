"""Masks A and B with the R -> G -> B grouping (paper §3.4, Figure 2)."""
from __future__ import annotations

import pytest
import torch

from pixelrnn_core.models.masks import MaskedConv2d, causal_mask, channel_groups, gate_groups


def test_groups_split_features_contiguously_into_colours():
    assert channel_groups(6, 3).tolist() == [0, 0, 1, 1, 2, 2]
    assert channel_groups(4, 3).tolist() == [0, 0, 1, 2]
    assert gate_groups(3, 3, gates=2).tolist() == [0, 1, 2, 0, 1, 2]
    with pytest.raises(ValueError, match="colour groups"):
        channel_groups(2, 3)


def test_centre_connections_follow_r_g_b():
    rgb = torch.arange(3)
    a = causal_mask((3, 3), rgb, rgb, "A")[:, :, 1, 1]
    b = causal_mask((3, 3), rgb, rgb, "B")[:, :, 1, 1]
    # rows: output R, G, B; columns: input R, G, B
    assert a.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
    assert b.tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]


@pytest.mark.parametrize("mask_type", ["A", "B"])
def test_spatial_mask_hides_the_future(mask_type):
    spatial = causal_mask((5, 5), torch.zeros(1).long(), torch.zeros(1).long(), mask_type)[0, 0]
    assert spatial[:2].all() and spatial[2, :2].all()
    assert not spatial[2, 3:].any() and not spatial[3:].any()
    assert spatial[2, 2] == (mask_type == "B")


def test_masked_weights_get_no_gradient_and_no_effect():
    conv = MaskedConv2d(3, 6, 3, "A", channels=3)
    conv(torch.randn(1, 3, 4, 4)).sum().backward()
    assert (conv.weight.grad[conv.mask == 0] == 0).all()


@pytest.mark.parametrize("kernel", [1, 3, (1, 3), (1, 5), (7, 7), (5, 3)])
@pytest.mark.parametrize("mask_type", ["A", "B"])
@pytest.mark.parametrize("channels_last", [False, True])
def test_convolving_only_the_unmasked_rows_and_columns_equals_the_whole_masked_kernel(kernel, mask_type, channels_last):
    torch.manual_seed(0)
    conv = MaskedConv2d(6, 9, kernel, mask_type, channels=3).double()
    x = torch.randn(2, 6, 5, 7, dtype=torch.float64)
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    x.requires_grad_()
    whole = torch.nn.functional.conv2d(x, conv.masked_weight(), conv.bias, padding=conv.padding)
    cropped = conv(x)
    torch.testing.assert_close(cropped, whole, rtol=1e-12, atol=1e-12)
    grad = torch.randn_like(whole)
    expected = torch.autograd.grad(whole, (x, conv.weight, conv.bias), grad)
    for got, want in zip(torch.autograd.grad(cropped, (x, conv.weight, conv.bias), grad), expected):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_bad_masks_are_refused():
    with pytest.raises(ValueError, match="odd"):
        MaskedConv2d(3, 3, 2, "B", channels=3)
    with pytest.raises(ValueError, match="mask_type"):
        MaskedConv2d(3, 3, 3, "C", channels=3)
