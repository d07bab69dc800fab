"""Completion quality of a model on held-out images with fixed masks, and a gallery of its fills.

Masks (on an H x W image): the centre square (half the side), the bottom half, the right third, and a
free-form blob (three overlapping discs at fixed places, about a fifth of the image).

1. **Masked bits/dim, teacher-forced.** For each mask, one forward pass of the model over the whole
   image in the orientation the fill runs in, summing the NLL of the masked sub-pixels only, given
   everything before them in that order (known pixels and the true values of the hole's earlier
   sub-pixels; paper eq. 2). Orientations: ``identity`` (the raster order, `complete`'s default) and
   ``auto`` (the flip/transpose with the most known pixels before the hole, as
   ``prc.complete(..., orientation="auto")`` chooses it; meant for models trained with ``--augment``).
   Fills (2 and 3) run in the orientation `pixelrnn complete` uses by default for the model: ``auto``
   for a model trained with ``--augment``, else ``identity``.
2. **Sampled fills** (``--sweep``): for each temperature, K candidates per image and mask
   (``prc.CompletionJob``, cached engine); the best-ranked of the first k (k in ``--candidates``; the
   first k of a K-candidate job are exactly a k-candidate job, by the seeded randomness) is compared
   with the original: mean absolute error in the hole (8-bit units) and the seam ratio, the mean
   absolute step across the hole's border (4-neighbour pairs, one side filled) divided by the
   original's (1 = the border is as smooth as the photo's; above 1 = a visible seam).
3. **Gallery** (``--gallery FILE.png``): rows of original | masked | best-ranked fill | three other
   candidates, one image and mask per row, pixels enlarged.

``--spread`` takes the sweep's images evenly across the held-out set (of a folder of patches sorted by
photo, the first ones are all of one photo); ``--upscale N`` enlarges the sweep's and gallery's images
N times (bicubic) before masking them, the smooth pixels of a large photo next to what the model was
trained on.

    python benchmarks/completion_quality.py photo-patches /work/data/photo-corpus/test --limit 400
    python benchmarks/completion_quality.py fashion-mnist /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \\
        --limit 500 --sweep --gallery docs/gallery-fashion-mnist.png
"""
from __future__ import annotations

import argparse
import json
import math

import numpy as np
import torch
from PIL import Image

import pixelrnn_core as prc
from pixelrnn_core.completion.orientation import best_orientation, orient
from pixelrnn_core.data import load_evaluation_data, model_input
from pixelrnn_core.io.checkpoint_info import checkpoint_info
from pixelrnn_core.training.evaluation import evaluation_spec

MASKS = ("centre square", "bottom half", "right third", "blob")
HOLE_COLOUR = (255, 0, 255)


def mask_of(kind: str, height: int, width: int) -> np.ndarray:
    """The fixed bool (H, W) mask ``kind`` (True = fill)."""
    rows, cols = np.indices((height, width))
    if kind == "centre square":
        return (abs(rows - (height - 1) / 2) < height / 4) & (abs(cols - (width - 1) / 2) < width / 4)
    if kind == "bottom half":
        return rows >= height // 2
    if kind == "right third":
        return cols >= width - width // 3
    if kind == "blob":
        discs = ((0.45, 0.40, 0.17), (0.60, 0.55, 0.15), (0.35, 0.62, 0.12))  # (row, col, radius) / side
        return np.any([(rows - r * height) ** 2 + (cols - c * width) ** 2 < (s * min(height, width)) ** 2
                       for r, c, s in discs], axis=0)
    raise ValueError(f"unknown mask {kind!r}")


def held_out_levels(checkpoint: str, data: str, limit: int | None) -> np.ndarray:
    """The images `pixelrnn eval CHECKPOINT DATA --limit N` scores, as the model's levels (N, H, W, C)
    (a dynamically binarized set draws its one fixed sample, seed 0, as eval does)."""
    spec = evaluation_spec(checkpoint_info(prc.find_checkpoint(checkpoint)), data).replace(limit=limit)
    images, _ = load_evaluation_data(spec)
    levels = model_input(images, spec, torch.Generator().manual_seed(0))
    return levels.permute(0, 2, 3, 1).numpy().astype(np.uint8)


def orientation_for(model: torch.nn.Module, mask: np.ndarray, policy: str) -> str:
    return best_orientation(mask, model) if policy == "auto" else policy


def masked_bits_per_dim(model: torch.nn.Module, images: np.ndarray, mask: np.ndarray, orientation: str,
                        batch_size: int = 64) -> float:
    """Teacher-forced NLL of the masked sub-pixels of every image, in bits per masked sub-pixel, with the
    model reading the images in ``orientation``."""
    oriented = torch.from_numpy(orient(images.transpose(1, 2, 0, 3), orientation)).permute(2, 3, 0, 1).long()
    hole = torch.from_numpy(orient(mask, orientation))
    nats = 0.0
    with torch.no_grad():
        for start in range(0, len(oriented), batch_size):
            x = oriented[start : start + batch_size]
            nll = -model.log_likelihood(x)  # (B, C, H, W); for a mixture without the scores of every level
            nats += float(nll[:, :, hole].sum())
    return nats / (len(images) * int(mask.sum()) * images.shape[3] * math.log(2))


def seam(image: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute step (8-bit units) between 4-neighbours on either side of the mask's border."""
    pixels = image.astype(np.float64)
    steps = []
    for axis in (0, 1):
        a, b = np.swapaxes(pixels, 0, axis), np.swapaxes(mask, 0, axis)
        across = b[1:] != b[:-1]
        steps.append(np.abs(a[1:] - a[:-1])[across])
    return float(np.concatenate(steps).mean())


def fill(model, image, mask, samples, temperature, orientation) -> tuple[np.ndarray, np.ndarray]:
    """K candidates (K, H, W, C) and their scores (zeros when no known pixel follows the hole)."""
    job = prc.CompletionJob(model, image, mask, samples=samples, seed=0, temperature=temperature, orientation=orientation)
    for _ in job.run():
        pass
    return job.images, job.scores


def upscaled(images: np.ndarray, factor: int, levels: int) -> np.ndarray:
    """Each image enlarged ``factor`` times (bicubic, at 8 bits), back at the model's levels."""
    if factor == 1:
        return images
    enlarged = []
    for image in images:
        picture = Image.fromarray(np.squeeze(prc.to_8bit(image, levels), axis=2) if image.shape[2] == 1 else prc.to_8bit(image, levels))
        big = np.asarray(picture.resize((picture.width * factor, picture.height * factor), Image.BICUBIC))
        enlarged.append(prc.quantize(big.reshape(*big.shape[:2], image.shape[2]), levels))
    return np.stack(enlarged)


def sweep(model, images, levels: int, temperatures, candidates, policy) -> list[dict]:
    """Distance to the original and seam ratio of the best-ranked fill, per temperature and k."""
    rows = []
    most = max(candidates)
    for temperature in temperatures:
        errors = {k: [] for k in candidates}
        seams = {k: [] for k in candidates}
        for image in images:
            for kind in MASKS:
                mask = mask_of(kind, *image.shape[:2])
                fills, scores = fill(model, image, mask, most, temperature, orientation_for(model, mask, policy))
                original8 = prc.to_8bit(image, levels)
                for k in candidates:
                    best = prc.to_8bit(fills[int(np.argmax(scores[:k]))], levels)
                    errors[k].append(np.abs(best.astype(np.int16) - original8)[mask].mean())
                    seams[k].append(seam(best, mask) / max(seam(original8, mask), 1e-9))
        for k in candidates:
            rows.append({"temperature": temperature, "candidates": k, "mae": float(np.mean(errors[k])),
                         "seam_ratio": float(np.median(seams[k]))})
    return rows


def gallery(model, images, levels: int, temperature: float, policy: str, scale: int) -> np.ndarray:
    """Rows of original | masked | best-ranked fill | three other candidates, masks in turn."""
    rows = []
    for index, image in enumerate(images):
        mask = mask_of(MASKS[index % len(MASKS)], *image.shape[:2])
        fills, scores = fill(model, image, mask, 4, temperature, orientation_for(model, mask, policy))
        ranked = fills[np.argsort(-scores, kind="stable")]
        masked = np.repeat(prc.to_8bit(image, levels), 3 // image.shape[2], axis=2)
        masked[mask] = HOLE_COLOUR
        tiles = [prc.to_8bit(image, levels), masked] + [prc.to_8bit(candidate, levels) for candidate in ranked]
        tiles = [np.repeat(tile, 3 // tile.shape[2], axis=2) for tile in tiles]
        rows.append(tiles)
    height, width = images.shape[1:3]
    sheet = np.full((len(rows) * (height + 1) - 1, len(rows[0]) * (width + 1) + 1, 3), 255, np.uint8)
    for r, tiles in enumerate(rows):
        for c, tile in enumerate(tiles):
            left = c * (width + 1) + (1 if c >= 2 else 0)  # a wider gap before the fills
            sheet[r * (height + 1) : r * (height + 1) + height, left : left + width] = tile
    return np.kron(sheet, np.ones((scale, scale, 1), np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="a checkpoint file or a bundled model's name")
    parser.add_argument("data", help="held-out images: a dataset file or a folder")
    parser.add_argument("--limit", type=int, default=500, help="images for the teacher-forced figures")
    parser.add_argument("--sweep", action="store_true", help="also draw fills per temperature and k")
    parser.add_argument("--sweep-images", type=int, default=6)
    parser.add_argument("--temperatures", type=float, nargs="+", default=[1.0, 0.8, 0.6])
    parser.add_argument("--candidates", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--gallery", help="write the gallery to this PNG")
    parser.add_argument("--gallery-images", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5, 6, 7],
                        help="indices (among the first --limit images) of the gallery's rows")
    parser.add_argument("--temperature", type=float, default=1.0, help="the gallery's temperature")
    parser.add_argument("--orientation", choices=("identity", "auto"),
                        help="orientation of the sweep's and gallery's fills (default: as `pixelrnn complete` chooses)")
    parser.add_argument("--scale", type=int, default=4, help="the gallery's pixel size")
    parser.add_argument("--spread", action="store_true", help="sweep images evenly spread over the held-out set, not the first ones")
    parser.add_argument("--upscale", type=int, default=1, help="enlarge the sweep's and gallery's images N times first")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    checkpoint = prc.find_checkpoint(args.checkpoint)
    model = prc.load_checkpoint(checkpoint).eval()
    args.orientation = args.orientation or prc.checkpoint_info(checkpoint).completion_orientation
    levels = model.config.levels
    images = held_out_levels(args.checkpoint, args.data, args.limit)
    print(f"{args.checkpoint} on {len(images)} images of {args.data} ({images.shape[1]}x{images.shape[2]}x{images.shape[3]})")
    print("masked bits/dim (teacher-forced):")
    print(f"  {'mask':14} {'identity':>9} {'auto':>9}  auto orientation")
    for kind in MASKS:
        mask = mask_of(kind, *images.shape[1:3])
        auto = best_orientation(mask, model)
        figures = [masked_bits_per_dim(model, images, mask, name) for name in ("identity", auto)]
        print(f"  {kind:14} {figures[0]:9.4f} {figures[1]:9.4f}  {auto}  ({mask.mean():.0%} of the image)")
    if args.sweep:
        chosen = np.linspace(0, len(images) - 1, args.sweep_images).astype(int) if args.spread else np.arange(args.sweep_images)
        swept = upscaled(images[chosen], args.upscale, levels)
        print(f"sampled fills, orientation {args.orientation}, {len(swept)} images ({swept.shape[1]}x{swept.shape[2]}) x {len(MASKS)} masks:")
        for row in sweep(model, swept, levels, args.temperatures, args.candidates, args.orientation):
            print("  " + json.dumps(row))
    if args.gallery:
        sheet = gallery(model, upscaled(images[args.gallery_images], args.upscale, levels), levels, args.temperature, args.orientation, args.scale)
        Image.fromarray(sheet).save(args.gallery, optimize=True)
        print(f"wrote {args.gallery}: rows {args.gallery_images}, masks {', '.join(MASKS)} in turn")


if __name__ == "__main__":
    main()
