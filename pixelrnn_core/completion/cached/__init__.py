"""Incremental ("cached") evaluation of every PixelRNN architecture, one sub-pixel at a time.

Each model block hands over the weights its cached form needs as one bundle (``cached_weights()``).
One module per architecture (pixelcnn, row_lstm, diagonal_bilstm) holds its cached residual block, a
:class:`~.block.CachedBlock`; ``stack`` runs a single-scale model from them, ``multiscale`` composes
two. A block runs the maths its model block runs (the functions beside the model's blocks in
``pixelrnn_core.models``) on row segments and on one colour group of one pixel. The per-pixel steps run
on numpy views of the engine's tensors on the CPU -- as compiled calls, one per layer, for up to a few
candidates, through the shared maths for more -- and on the tensors elsewhere (``array_ops``). Each
compiled step is written beside the block it computes, from the pieces in ``kernels``. The logits equal those of the model's full forward pass at every step
(tests/core/test_incremental.py).
"""
from .multiscale import CachedMultiScale
from .stack import CachedPixelModel

__all__ = ["CachedMultiScale", "CachedPixelModel"]
