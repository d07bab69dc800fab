"""A PixelCNN's scores computed with fewer passes over memory, for evaluation on a CPU.

The same function as :class:`.pixelcnn.PixelCNN` (to float rounding), rewritten four ways:

* **Skips folded into the blocks.** The skips (Table 1's learnable 1x1 connections) read the residual
  stream, which is linear in each block's last 1x1 convolution: with ``x_0`` the first layer's maps,
  ``r_j`` the maps block ``j`` expands (h maps), ``E_j`` its expand weights and ``W_i`` skip ``i``'s,

      x_i = x_0 + sum_{j <= i} E_j r_j          (§3.5's residual connections; biases alike)
      sum_i W_i x_i = (sum_i W_i) x_0 + sum_j (sum_{i >= j} W_i) E_j r_j

  so each block expands ``r_j`` once into 4h maps — its residual update and its share of the skip sum —
  instead of expanding into 2h maps and then running a 2h -> 2h skip on the result. The first layer
  writes ``x_0`` and its skip share at once, from ``[A; (sum_i W_i) A]``. Nothing but the last skip reads
  the last block's residual update, so that block expands into its skip share alone (2h maps). A product
  of masks respects the colour groups of both (§3.4), so the folded weights are causal as the originals are.
* **Each convolution fused with what follows it** (its ReLU, or its sum into the running maps),
  through oneDNN's post-operations, its weights reordered once into oneDNN's layout, as PyTorch's
  compiler does for frozen models; here without compiling.
* **No copies to cut rows.** A k x k convolution over the symmetrically padded input yields ``k // 2``
  extra rows at the bottom (:meth:`.masks.MaskedConv2d.forward` cuts them off). Here the running maps
  keep them: the first layer's image is padded by as many rows below, each block's expand adds its extra
  rows onto the maps' own, and the ReLUs before the reduces and the head, which write new maps anyway,
  read the image's rows only. Every convolution reads rows at or above the one it writes, so the
  extra rows never reach the image's.
* **The log-softmax in place.** A softmax head's scores are taken over the levels in the logits' own
  memory, which nothing else reads, instead of written out as a second map of as many scores.

Used by :func:`pixelrnn_core.training.evaluation.evaluate_images` (``pixelrnn eval``, the trainer's
validation) where :func:`scoring_form` says it applies; docs/benchmarks.md has the measured gain.
"""
from __future__ import annotations

import functools

import torch
from torch import nn
from torch.nn import functional as F

from ..pixels.levels import scale_levels
from .masks import MaskedConv2d
from .pixel_model import check_input
from .pixelcnn import PixelCNN

NO_SCALARS: list[float] = []


@functools.cache
def fusion_available() -> bool:
    """Whether this PyTorch runs CPU convolutions through oneDNN with fused post-operations: tried once on
    a tiny input, since a build may list the operator and still have no kernel for this CPU."""
    if not torch.backends.mkldnn.is_available():
        return False
    ones = torch.ones(1, 2, 2, 2)
    try:
        out = FusedConv(torch.ones(2, 2, 1, 1), torch.zeros(2), (0, 0))(ones, "relu")
    except (AttributeError, NotImplementedError, RuntimeError):
        return False
    return torch.equal(out, 2 * ones)


def folds(model: nn.Module, autocast: torch.dtype | None) -> bool:
    """Whether :class:`FoldedPixelCNN` scores ``model`` as it is: a PixelCNN with residual connections and
    skips, without conditioning maps, in float32 on a CPU, evaluated without autocast."""
    if not isinstance(model, PixelCNN) or autocast is not None or not fusion_available():
        return False
    cfg = model.config
    weight = model.stem.weight
    return cfg.residual and cfg.skip and not cfg.cond_features and weight.device.type == "cpu" and weight.dtype == torch.float32


def scoring_form(model: nn.Module, autocast: torch.dtype | None) -> nn.Module:
    """What evaluation should call ``log_likelihood`` on: the folded form of ``model`` where
    :func:`folds` says so, else ``model`` itself."""
    return FoldedPixelCNN(model) if folds(model, autocast) else model


class FusedConv:
    """A masked convolution's weights as applied (the rows and columns its mask leaves, see
    :meth:`.masks.MaskedConv2d.forward`), run through oneDNN with a post-operation. The weights are
    reordered into oneDNN's own layout once, for the first input's shape, as PyTorch's compiler does for
    frozen models (otherwise every call reorders them again)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, padding: tuple[int, int]) -> None:
        self.weight = weight.detach().clone(memory_format=torch.channels_last)
        self.bias = bias.detach().clone()
        self.padding = list(padding)
        self.packed: torch.Tensor | None = None

    @classmethod
    def of(cls, conv: MaskedConv2d) -> FusedConv:
        """A square masked convolution (all a PixelCNN has): its rows down to the centre, convolved over the
        symmetrically padded input."""
        return cls(conv.convolved_weight(), conv.bias, conv.padding)

    def packed_weight(self, x: torch.Tensor) -> torch.Tensor:
        """The weights in oneDNN's layout for inputs shaped like ``x`` (any other shape also works)."""
        if self.packed is None:
            self.packed = torch.ops.mkldnn._reorder_convolution_weight(self.weight, self.padding, [1, 1], [1, 1], 1, list(x.shape))
        return self.packed

    def __call__(self, x: torch.Tensor, then: str = "none") -> torch.Tensor:
        """The convolution of ``x``, followed by ``then`` ("relu" or "none"); a k x k convolution's output
        has ``k // 2`` extra rows at the bottom (from the symmetric padding), left for the caller to skip."""
        return torch.ops.mkldnn._convolution_pointwise(
            x, self.packed_weight(x), self.bias, self.padding, [1, 1], [1, 1], 1, then, NO_SCALARS, ""
        )

    def add_into(self, total: torch.Tensor, x: torch.Tensor) -> None:
        """``total += conv(x)`` in one pass (a 1x1 convolution: no extra rows). ``total`` may be a slice of
        the running maps' channels, at a cost (ad hoc, batch 32, 56 -> 112 maps: 1.62-1.66 ms into 112 of
        224 channels, 1.11-1.14 ms into a tensor of its own)."""
        torch.ops.mkldnn._convolution_pointwise_.binary(
            total, x, self.packed_weight(x), self.bias, self.padding, [1, 1], [1, 1], 1, "add", 1.0, None, NO_SCALARS, None
        )


def as_matrix(conv: MaskedConv2d) -> torch.Tensor:
    """A 1x1 masked convolution's weight as an (out, in) matrix."""
    return conv.masked_weight().detach()[:, :, 0, 0]


class FoldedPixelCNN(nn.Module):
    """:class:`.pixelcnn.PixelCNN`'s ``log_likelihood`` and ``forward`` with the skips folded into the blocks
    and the convolutions fused (module docstring). A snapshot: build it again after the weights change."""

    def __init__(self, model: PixelCNN) -> None:
        super().__init__()
        self.config = model.config
        self.head = model.head
        with torch.no_grad():
            skips = [as_matrix(skip) for skip in model.skips]
            later_skips = [sum(skips[j:]) for j in range(len(skips))]  # sum_{i >= j} W_i
            self.stem = self.folded_stem(model.stem, later_skips[0], sum(skip.bias for skip in model.skips))
            self.blocks = [
                self.folded_block(block, later, update_stream=block is not model.blocks[-1])
                for block, later in zip(model.blocks, later_skips)
            ]
            self.hidden, self.logits = FusedConv.of(model.head.hidden), FusedConv.of(model.head.logits)
        self.stem_padding = (model.stem.padding[0], self.config.kernel // 2)  # zero rows above and below the image

    @staticmethod
    def folded_stem(stem: MaskedConv2d, all_skips: torch.Tensor, skip_bias: torch.Tensor) -> FusedConv:
        """The first layer widened to [A; (sum_i W_i) A]: the residual stream and the skip sum's start,
        every skip's bias included; the caller pads the image's rows."""
        weight = stem.convolved_weight()
        widened = torch.cat([weight, torch.einsum("om,mikl->oikl", all_skips, weight)])
        return FusedConv(widened, torch.cat([stem.bias, all_skips @ stem.bias + skip_bias]), (0, stem.padding[1]))

    @staticmethod
    def folded_block(
        block: nn.Module, later_skips: torch.Tensor, update_stream: bool = True
    ) -> tuple[FusedConv, FusedConv, FusedConv]:
        """A block's reduce and k x k convolutions, and its expand widened to [E; (sum_{i >= j} W_i) E]
        (without ``update_stream``, only the skip share (sum_{i >= j} W_i) E)."""
        expand, bias = as_matrix(block.expand), block.expand.bias
        weights, biases = [later_skips @ expand], [later_skips @ bias]
        if update_stream:
            weights, biases = [expand, *weights], [bias, *biases]
        return FusedConv.of(block.reduce), FusedConv.of(block.conv), FusedConv(torch.cat(weights)[:, :, None, None], torch.cat(biases), (0, 0))

    def head_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """The output head's maps ``(B, C * maps, H, W)``, as :meth:`.pixel_model.PixelModel.head_outputs`."""
        check_input(x, self.config.channels, self.config.levels)
        rows = x.shape[-2]
        image = F.pad(scale_levels(x, self.config.levels, torch.float32), (0, 0, *self.stem_padding))
        maps = self.stem(image.contiguous(memory_format=torch.channels_last))  # the stream, then the skip sum: 2h maps each
        width = 2 * self.config.hidden
        updated = [maps] * (len(self.blocks) - 1) + [maps[:, width:]]  # the last block: the skip sum alone
        for (reduce, conv, expand), target in zip(self.blocks, updated):  # every map keeps the k x k convolutions' extra rows
            hidden = conv(reduce(torch.relu(maps[:, :width, :rows]), "relu"), "relu")
            expand.add_into(target, hidden)
        return self.logits(self.hidden(torch.relu(maps[:, width:, :rows]), "relu"))

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x_ijc | the sub-pixels before it) ``(B, C, H, W)``, nats (paper eq. 2)."""
        return self.head.log_likelihood(self.head_outputs(x), x, in_place=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, L, C, H, W)`` of every sub-pixel, as :meth:`.pixel_model.PixelModel.forward`."""
        return self.head.scores(self.head_outputs(x))
