"""Lossless codecs beside a model: bits/dim of PNG, WebP lossless and JPEG XL lossless on exactly the
images the model is evaluated on, and the model's own bits/dim on them.

The images are read as `pixelrnn eval` reads them for that checkpoint (same size, channels and
crop), so both columns describe the same sub-pixels. Each image is encoded alone, headers included,
as a user would store it: bits/dim = 8 * file bytes / (H * W * C), averaged over the images.

* PNG: Pillow, ``optimize=True, compress_level=9``;
* WebP lossless: Pillow, ``lossless=True, method=6, quality=100`` (in lossless mode quality is the
  encoder's effort);
* JPEG XL lossless: ``cjxl -d 0 -e 9`` (Debian ``libjxl-tools``).

Every PNG and WebP file is decoded again and compared with the image; JPEG XL's are checked with
``djxl`` on the first ``--check-jxl`` images. Only 256-level models are compared (the codecs store
8-bit images).

    python benchmarks/codecs.py fashion-mnist /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --limit 1000
    python benchmarks/codecs.py photo-patches /work/data/photo-corpus/test
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

import pixelrnn_core as prc
from pixelrnn_core.data import load_evaluation_data
from pixelrnn_core.io.checkpoint_info import checkpoint_info
from pixelrnn_core.training.evaluation import evaluation_spec


def as_pil(image: np.ndarray) -> Image.Image:
    """uint8 (C, H, W) with C = 1 or 3 as a grayscale or RGB Pillow image."""
    return Image.fromarray(image[0]) if image.shape[0] == 1 else Image.fromarray(image.transpose(1, 2, 0))


def check_lossless(decoded: Image.Image, image: np.ndarray, codec: str) -> None:
    pixels = np.asarray(decoded.convert(as_pil(image).mode)).reshape(image.shape[1], image.shape[2], -1)
    if not np.array_equal(pixels, image.transpose(1, 2, 0)):
        raise RuntimeError(f"{codec} did not round-trip losslessly")


def pillow_bytes(image: np.ndarray, **options) -> bytes:
    """The file Pillow writes for ``image``, checked to decode to the same pixels."""
    buffer = io.BytesIO()
    as_pil(image).save(buffer, **options)
    data = buffer.getvalue()
    check_lossless(Image.open(io.BytesIO(data)), image, options["format"])
    return data


def png_bytes(image: np.ndarray) -> bytes:
    return pillow_bytes(image, format="PNG", optimize=True, compress_level=9)


def webp_bytes(image: np.ndarray) -> bytes:
    return pillow_bytes(image, format="WEBP", lossless=True, method=6, quality=100)


def jxl_bytes(image: np.ndarray, check: bool = False) -> bytes:
    """The file ``cjxl -d 0 -e 9`` writes for ``image`` (given as a PNG); with ``check``, decoded by djxl."""
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.png", Path(folder) / "out.jxl"
        as_pil(image).save(source)
        subprocess.run(["cjxl", "-d", "0", "-e", "9", "--quiet", str(source), str(target)], check=True, capture_output=True)
        if check:
            decoded_path = Path(folder) / "back.png"
            subprocess.run(["djxl", str(target), str(decoded_path)], check=True, capture_output=True)
            check_lossless(Image.open(decoded_path), image, "JPEG XL")
        return target.read_bytes()


def codec_bits_per_dim(images: np.ndarray, encode: Callable[[int, np.ndarray], bytes], jobs: int) -> float:
    """Mean over ``images`` (N, C, H, W) of 8 * encoded bytes / sub-pixels, each image encoded alone."""
    with ThreadPoolExecutor(jobs) as pool:
        sizes = list(pool.map(lambda item: len(encode(*item)), enumerate(images)))
    return 8 * float(np.mean(sizes)) / images[0].size


def model_images(checkpoint: str, data: str, limit: int | None) -> tuple[torch.Tensor, prc.DatasetSpec, prc.ImageSet]:
    """The images `pixelrnn eval CHECKPOINT DATA --limit N` scores, read the same way."""
    spec = evaluation_spec(checkpoint_info(prc.find_checkpoint(checkpoint)), data).replace(limit=limit)
    if spec.levels != 256 or spec.binarize != "none":
        raise SystemExit(f"{checkpoint} models {spec.levels} levels; the codecs compare only with 256-level models")
    images, image_set = load_evaluation_data(spec)
    return images, spec, image_set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="a checkpoint file or a bundled model's name")
    parser.add_argument("data", help="a dataset file or a folder of images")
    parser.add_argument("--limit", type=int, help="only the first N images")
    parser.add_argument("--jobs", type=int, default=2, help="images encoded at once")
    parser.add_argument("--check-jxl", type=int, default=5, help="decode this many JPEG XL files to check them")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the table")
    args = parser.parse_args()
    images, spec, image_set = model_images(args.checkpoint, args.data, args.limit)
    model = prc.load_checkpoint(prc.find_checkpoint(args.checkpoint))
    with torch.no_grad():
        result = prc.evaluate_images(model, images, spec)
    pixels = images.numpy()
    figures = {
        "model": result.bits_per_dim,
        "png": codec_bits_per_dim(pixels, lambda i, x: png_bytes(x), args.jobs),
        "webp_lossless": codec_bits_per_dim(pixels, lambda i, x: webp_bytes(x), args.jobs),
        "jpeg_xl_lossless": codec_bits_per_dim(pixels, lambda i, x: jxl_bytes(x, check=i < args.check_jxl), args.jobs),
    }
    if args.json:
        print(json.dumps({"checkpoint": args.checkpoint, "data": args.data, "images": len(pixels), "bits_per_dim": figures}))
        return
    n, c, h, w = pixels.shape
    print(f"{args.checkpoint} on {args.data}: {n} images of {h}x{w}x{c}, each encoded alone"
          + (f" ({len(image_set.skipped)} files skipped)" if image_set.skipped else ""))
    labels = {"model": f"model ({args.checkpoint})", "png": "PNG (optimize, level 9)",
              "webp_lossless": "WebP lossless (method 6)", "jpeg_xl_lossless": "JPEG XL lossless (cjxl -d 0 -e 9)"}
    for key, value in figures.items():
        print(f"  {labels[key]:36} {value:7.4f} bits/dim")


if __name__ == "__main__":
    main()
