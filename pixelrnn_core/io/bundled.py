"""What ships in the repository's `resources/`: the bundled models (`models/`), usable by name everywhere
a checkpoint path is accepted (CLI, app, `prc.find_checkpoint`), each with a model card `NAME.md` beside it;
and sample images (`samples/`) with masks for them (`samples/masks/NAME.png`, white = fill)."""
from __future__ import annotations

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
