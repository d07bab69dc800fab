"""A model's configuration as plain data: what `build_model` takes and what a checkpoint stores."""
from __future__ import annotations

from dataclasses import dataclass

from ..pixels.levels import check_levels
from ..plain_data import PlainData

ARCHITECTURES = ("pixelcnn", "row_lstm", "diagonal_bilstm", "multiscale")
BASE_ARCHITECTURES = ("pixelcnn", "row_lstm", "diagonal_bilstm")
OUTPUTS = ("softmax", "logistic_mixture")


@dataclass(frozen=True)
class ModelConfig(PlainData):
    """Sizes and switches of one PixelRNN (paper Table 1 and §3).

    ``hidden`` is h: residual blocks carry 2h feature maps and their recurrent/convolutional core h.
    ``layers`` counts residual blocks (the paper's "layers"), not the first 7x7 or the output layers.
    ``out_hidden`` is the width of the two ReLU + 1x1 mask-B output layers (1024 on CIFAR-10, 32 on
    MNIST). ``kernel`` is the 3x3 of PixelCNN blocks and the k of the Row LSTM's k x 1 convolutions.
    ``output`` is the distribution of each sub-pixel: the paper's L-way ``"softmax"`` or PixelCNN++'s
    ``"logistic_mixture"`` of ``mixtures`` discretized logistics (:mod:`.logistic_mixture`).
    ``dropout`` is the probability of zeroing each feature of a residual block's output while training
    (regularization for small data sets; evaluation and completion run in eval mode, without it).
    For ``arch="multiscale"``, ``base_arch`` is the architecture of both the small unconditional model
    and the large conditional one, ``scale`` the subsampling factor (§3.6).
    """

    arch: str
    channels: int = 3
    levels: int = 256
    hidden: int = 16
    layers: int = 2
    out_hidden: int = 32
    residual: bool = True
    skip: bool = True
    first_kernel: int = 7
    kernel: int = 3
    cond_features: int = 0
    base_arch: str = "row_lstm"
    scale: int = 2
    upsample_features: int = 16
    output: str = "softmax"
    mixtures: int = 10
    dropout: float = 0.0

    KIND = "model settings"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grey) or 3 (RGB), the images a model reads and writes; got {self.channels}")
        check_levels(self.levels)
        if self.hidden < self.channels:
            raise ValueError(f"hidden={self.hidden} is too small to hold {self.channels} colour groups")
        if self.out_hidden < self.channels:
            raise ValueError(f"out_hidden={self.out_hidden} is too small to hold {self.channels} colour groups")
        if self.layers < 1:
            raise ValueError(f"layers must be at least 1, got {self.layers}")
        for name in ("first_kernel", "kernel"):
            if getattr(self, name) < 1 or getattr(self, name) % 2 == 0:
                raise ValueError(f"{name} must be a positive odd number, got {getattr(self, name)}")
        if self.output not in OUTPUTS:
            raise ValueError(f"unknown output {self.output!r}; choose one of {', '.join(OUTPUTS)}")
        if self.mixtures < 1:
            raise ValueError(f"mixtures must be at least 1, got {self.mixtures}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be at least 0 and below 1, got {self.dropout}")
        if self.arch == "multiscale":
            if self.base_arch not in BASE_ARCHITECTURES:
                raise ValueError(
                    f"multiscale base_arch must be one of {', '.join(BASE_ARCHITECTURES)}, got {self.base_arch!r}"
                )
            if self.scale < 2:
                raise ValueError(f"multiscale scale must be at least 2, got {self.scale}")

    @property
    def output_maps(self) -> int:
        """Maps the output head gives per colour channel: L logits, or 3K mixture parameters."""
        return self.levels if self.output == "softmax" else 3 * self.mixtures
