"""What a run trains, as one value: the data spec, the model config and the training settings (what
a run folder's run.json holds), and the one function the CLI and the app build it with."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..data.spec import DatasetSpec
from ..models.config import ModelConfig
from ..models.registry import model_config
from .settings import TrainSettings


@dataclass(frozen=True)
class RunConfig:
    """The data a run reads, the model it trains and how it trains it."""

    data: DatasetSpec
    model: ModelConfig
    training: TrainSettings

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data.to_dict(), "model": self.model.to_dict(), "training": self.training.to_dict()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunConfig":
        return cls(
            DatasetSpec.from_dict(values["data"]),
            ModelConfig.from_dict(values["model"]),
            TrainSettings.from_dict(values["training"]),
        )


def run_config(
    model: str, data: DatasetSpec, training: TrainSettings, channels: int | None = None, **sizes: Any
) -> RunConfig:
    """A run of the architecture or preset named ``model`` on ``data``: ``sizes`` (hidden, layers,
    out_hidden, ...; None keeps the preset's or the default) override the preset, and the model reads
    the data's levels and channels (``channels`` when the spec leaves them to the source; the preset's
    or the default when neither says)."""
    chosen = {name: value for name, value in {**sizes, "channels": channels or data.channels}.items() if value is not None}
    config = model_config(model, levels=data.levels, **chosen)
    return RunConfig(data, config, training)
