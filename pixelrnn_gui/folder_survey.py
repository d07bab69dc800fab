"""How long a run on a folder takes and how often it previews, for the Train panel (what the folder's
images suggest is the core's ``prc.survey_folder``)."""
from __future__ import annotations


def planned_steps(images: int, val_fraction: float, batch_size: int, epochs: int) -> int:
    """The optimizer steps a run on ``images`` will take (the split holds out round(n * fraction),
    at least one image when it holds out any and there are two or more)."""
    held_out = int(round(images * val_fraction))
    if val_fraction > 0 and images >= 2:
        held_out = min(max(held_out, 1), images - 1)
    train = max(images - held_out, 1)
    return epochs * -(-train // batch_size)


def preview_interval(steps: int, previews: int = 4) -> int:
    """Every how many steps to preview so that a run of ``steps`` shows about ``previews`` of them."""
    return max(1, steps // previews)
