"""What ships in the repository's `resources/`: the bundled models (`models/`), usable by name everywhere
a checkpoint path is accepted (CLI, app, `find_checkpoint`), each with a model card `NAME.md` beside it;
and sample images (`samples/`) with masks for them (`samples/masks/NAME.png`, white = fill)."""
from __future__ import annotations

import os
from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
MODELS_FOLDER = RESOURCES / "models"
SAMPLES_FOLDER = RESOURCES / "samples"


def bundled_models() -> dict[str, Path]:
    """Name -> checkpoint path of every bundled model, sorted by name."""
    if not MODELS_FOLDER.is_dir():
        return {}
    return {path.stem: path for path in sorted(MODELS_FOLDER.glob("*.safetensors"))}


def model_card(name: str) -> str:
    """The markdown model card of a bundled model."""
    if name not in bundled_models():
        raise FileNotFoundError(f"{name!r} is not a bundled model ({', '.join(bundled_models()) or 'none installed'})")
    return (MODELS_FOLDER / f"{name}.md").read_text(encoding="utf-8")


def find_checkpoint(name_or_path: str | os.PathLike) -> Path:
    """A checkpoint file: an existing path as given, else the bundled model of that name."""
    if not os.fspath(name_or_path):  # Path("") is the working folder
        raise ValueError("the model's name or path is empty")
    path = Path(name_or_path)
    if path.exists():
        return path
    models = bundled_models()
    if str(name_or_path) in models:
        return models[str(name_or_path)]
    names = ", ".join(models) or "none installed"
    raise FileNotFoundError(f"{os.fspath(name_or_path)!r} is neither a file nor a bundled model ({names})")


def sample_images() -> dict[str, tuple[Path, Path | None]]:
    """Name -> (image, its mask or None) of every sample image, sorted by name."""
    if not SAMPLES_FOLDER.is_dir():
        return {}
    images = sorted(SAMPLES_FOLDER.rglob("*.png"))
    masks = SAMPLES_FOLDER / "masks"
    return {
        path.stem: (path, masks / path.name if (masks / path.name).is_file() else None)
        for path in images
        if path.parent != masks
    }
