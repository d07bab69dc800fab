"""How large a model a checkpoint may describe. A checkpoint's config is read before its weights, and
a crafted one (a million layers, hidden = 10**4) would otherwise make the loader build a model of
tens of gigabytes. Every size is checked against these limits first; a user who really has a larger
model raises them explicitly: ``prc.load_checkpoint(path, limits=prc.ModelLimits(max_layers=512))``."""
from __future__ import annotations

from dataclasses import dataclass

from ..models.config import ModelConfig


@dataclass(frozen=True)
class ModelLimits:
    """The largest sizes a loaded model config may have (``max_features``: the multi-scale model's
    conditioning and upsampling maps; ``max_mixtures``: the components of a logistic-mixture output).
    The defaults hold every preset of the paper (ImageNet 64x64: h = 512; CIFAR-10: 15 layers, 1024
    output maps) with room to spare."""

    max_hidden: int = 4096
    max_out_hidden: int = 16384
    max_features: int = 4096
    max_layers: int = 256
    max_kernel: int = 63
    max_scale: int = 16
    max_mixtures: int = 1024
    max_parameters: int = 2_000_000_000

    def size_limits(self) -> dict[str, int]:
        """Config field -> its largest allowed value."""
        return {
            "hidden": self.max_hidden,
            "out_hidden": self.max_out_hidden,
            "layers": self.max_layers,
            "first_kernel": self.max_kernel,
            "kernel": self.max_kernel,
            "cond_features": self.max_features,
            "upsample_features": self.max_features,
            "scale": self.max_scale,
            "mixtures": self.max_mixtures,
        }

    def check_config(self, config: ModelConfig) -> None:
        """A ValueError naming the first size beyond its limit and how to raise the limit."""
        for name, limit in self.size_limits().items():
            value = getattr(config, name)
            if value > limit:
                option = "max_kernel" if name.endswith("kernel") else "max_features" if name.endswith("features") else f"max_{name}"
                raise ValueError(f"{name}={value} is beyond the limit of {limit} (raise it with ModelLimits({option}=...))")

    def check_parameters(self, count: int) -> None:
        if count > self.max_parameters:
            raise ValueError(
                f"the model would have {count:,} parameters ({count * 4 / 2**30:.1f} GiB), beyond the limit of "
                f"{self.max_parameters:,} (raise it with ModelLimits(max_parameters=...))"
            )


DEFAULT_LIMITS = ModelLimits()
