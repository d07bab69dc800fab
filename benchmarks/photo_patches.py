"""Make the colour model's data: 32x32 RGB patches of the photos shipped in scikit-image's data folder.

Training patches come from seven photos, test patches from two others (the cat `chelsea` and the
`coffee` cup), each cropped at random positions from the photo at full, half and quarter resolution,
so that patches show both fine texture and larger shapes. Written as downsampled-ImageNet style .npz
files (``data``: uint8 (N, 3 * 32 * 32), R, G, B planes), which `pixelrnn train`/`eval` read.

    pip install scikit-image
    python benchmarks/photo_patches.py --out /tmp/photo-patches
"""
from __future__ import annotations

import argparse
import pathlib

import numpy as np
from PIL import Image

TRAIN_PHOTOS = ("astronaut.png", "hubble_deep_field.jpg", "ihc.png", "motorcycle_left.png",
                "motorcycle_right.png", "retina.jpg", "rocket.jpg")
TEST_PHOTOS = ("chelsea.png", "coffee.png")
SCALES = (1.0, 0.5, 0.25)


def skimage_data_folder() -> pathlib.Path:
    import skimage

    return pathlib.Path(skimage.__file__).parent / "data"


def photo_pyramid(path: pathlib.Path) -> list[np.ndarray]:
    """The photo as RGB arrays at each scale in SCALES."""
    photo = Image.open(path).convert("RGB")
    return [
        np.asarray(photo.resize((round(photo.width * s), round(photo.height * s)), Image.LANCZOS))
        for s in SCALES
    ]


def random_patches(photos: list[list[np.ndarray]], count: int, size: int, seed: int) -> np.ndarray:
    """``count`` patches, photos and scales drawn uniformly, positions uniformly within each."""
    rng = np.random.default_rng(seed)
    patches = np.empty((count, size, size, 3), np.uint8)
    for n in range(count):
        pyramid = photos[rng.integers(len(photos))]
        image = pyramid[rng.integers(len(pyramid))]
        top = rng.integers(image.shape[0] - size + 1)
        left = rng.integers(image.shape[1] - size + 1)
        patches[n] = image[top : top + size, left : left + size]
    return patches


def save_planes(path: pathlib.Path, patches: np.ndarray) -> None:
    np.savez_compressed(path, data=patches.transpose(0, 3, 1, 2).reshape(len(patches), -1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--train", type=int, default=20000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--size", type=int, default=32)
    args = parser.parse_args()
    folder = skimage_data_folder()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, photos, count, seed in (("train", TRAIN_PHOTOS, args.train, 0), ("test", TEST_PHOTOS, args.test, 1)):
        patches = random_patches([photo_pyramid(folder / p) for p in photos], count, args.size, seed)
        save_planes(args.out / f"{name}.npz", patches)
        print(f"{args.out / f'{name}.npz'}: {count} patches of {args.size}x{args.size} from {', '.join(photos)}")


if __name__ == "__main__":
    main()
