"""Build the natural-photo corpus: 32x32 RGB patches of the photographs that ship with scikit-image,
OpenCV's samples, matplotlib and Debian's wallpaper packages, whole photos held out for the test set.

Only photographs are used (no drawings, renders, logos, star fields or microscope slides); each is
listed below with its package, file and licence (from the package's copyright file or, for
scikit-image, the docstring of its loader). The wallpaper packages `ukui-wallpapers`,
`gnome-backgrounds`, `sway-backgrounds` and `lomiri-wallpapers` (without a suffix) were looked through
and hold no photographs (abstract renders and drawings), so nothing is taken from them.

Each photo is downscaled as a whole (Lanczos) so that its short side is 512, 256, 128 and 64 pixels
(never upscaled): a 32x32 patch then covers 1/16 to 1/2 of the short side, from texture to whole
shapes. Every scale is cut into a grid of 32x32 patches (the grid's offset drawn with the seed). The
test photos are chosen whole: the three fixed ones (the app's two sample photos, and the circuit
board of the issue that asked for this corpus), plus a seeded draw of the others; at most
``--test-per-photo`` patches of each test photo are kept so that no photo dominates the test set.

    apt install opencv-doc plasma-workspace-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04
    pip install scikit-image matplotlib
    python benchmarks/photo_corpus.py --out /work/data/photo-corpus
"""
from __future__ import annotations

import argparse
import json
import pathlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

PATCH = 32
SHORT_SIDES = (512, 256, 128, 64)

SKIMAGE = "scikit-image skimage/data"
OPENCV = "Debian opencv-doc, /usr/share/doc/opencv-doc/examples/data"
MATPLOTLIB = "matplotlib mpl-data/sample_data"
PLASMA = "Debian plasma-workspace-wallpapers, /usr/share/wallpapers"
LOMIRI = "Debian lomiri-wallpapers-16.04 / -20.04, /usr/share/backgrounds"

OPENCV_LICENCE = "Apache-2.0 AND BSD-3-Clause (the package's Files: * stanza; no separate entry for samples/data)"
PLASMA_LICENCE = "GPL-2+, KDE Visual Design Group"


@dataclass(frozen=True)
class Photo:
    name: str  # short unique id, used in the patch file names
    source: str  # package and folder
    file: str  # path inside the source folder
    licence: str


PHOTOS = (
    Photo("astronaut", SKIMAGE, "astronaut.png", "public domain (NASA)"),
    Photo("chelsea", SKIMAGE, "chelsea.png", "CC0, Stefan van der Walt"),
    Photo("coffee", SKIMAGE, "coffee.png", "CC0, Rachel Michetti"),
    Photo("motorcycle", SKIMAGE, "motorcycle_left.png", "Middlebury 2014 stereo dataset (Scharstein et al.), as shipped by scikit-image"),
    Photo("rocket", SKIMAGE, "rocket.jpg", "public domain (SpaceX)"),
    Photo("grace-hopper", MATPLOTLIB, "grace_hopper.jpg", "public domain (U.S. Navy photograph)"),
    Photo("aero1", OPENCV, "aero1.jpg", OPENCV_LICENCE),
    Photo("aero3", OPENCV, "aero3.jpg", OPENCV_LICENCE),
    Photo("aloe", OPENCV, "aloeL.jpg", OPENCV_LICENCE),
    Photo("apple", OPENCV, "apple.jpg", OPENCV_LICENCE),
    Photo("baboon", OPENCV, "baboon.jpg", OPENCV_LICENCE),
    Photo("board", OPENCV, "board.jpg", OPENCV_LICENCE),
    Photo("building", OPENCV, "building.jpg", OPENCV_LICENCE),
    Photo("butterfly", OPENCV, "butterfly.jpg", OPENCV_LICENCE),
    Photo("dog", OPENCV, "chicky_512.png", OPENCV_LICENCE),
    Photo("notebook", OPENCV, "ela_original.jpg", OPENCV_LICENCE),
    Photo("fruits", OPENCV, "fruits.jpg", OPENCV_LICENCE),
    Photo("graffiti", OPENCV, "graf1.png", OPENCV_LICENCE),
    Photo("home", OPENCV, "home.jpg", OPENCV_LICENCE),
    Photo("books", OPENCV, "left.jpg", OPENCV_LICENCE),
    Photo("leuven", OPENCV, "leuvenA.jpg", OPENCV_LICENCE),
    Photo("football", OPENCV, "messi5.jpg", OPENCV_LICENCE),
    Photo("orange", OPENCV, "orange.jpg", OPENCV_LICENCE),
    Photo("rubber-whale", OPENCV, "rubberwhale1.png", OPENCV_LICENCE),
    Photo("squirrel", OPENCV, "squirrel_cls.jpg", OPENCV_LICENCE),
    Photo("desk", OPENCV, "stuff.jpg", OPENCV_LICENCE),
    Photo("by-the-water", PLASMA, "BytheWater/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("cold-ripple", PLASMA, "ColdRipple/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("colorful-cups", PLASMA, "ColorfulCups/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("darkest-hour", PLASMA, "DarkestHour/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("evening-glow", PLASMA, "EveningGlow/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("fallen-leaf", PLASMA, "FallenLeaf/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("grey", PLASMA, "Grey/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("kite", PLASMA, "Kite/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("one-stands-out", PLASMA, "OneStandsOut/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("path", PLASMA, "Path/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("summer-1am", PLASMA, "summer_1am/contents/images/2560x1600.jpg", PLASMA_LICENCE),
    Photo("bridge", LOMIRI, "Bridge_by_Sander_Klootwijk.jpg", "CC-BY-SA-4.0, Sander Klootwijk"),
    Photo("dragonfly", LOMIRI, "Dragonfly_by_Bolly.jpg", "CC-BY-SA-4.0, \"Bolly\""),
    Photo("fig", LOMIRI, "Picture_0B_by_freespace.jpg", "CC-BY-4.0, Trevor \"Freespace\""),
    Photo("brushes", LOMIRI, "Picture_1A_by_freespace.jpg", "CC-BY-4.0, Trevor \"Freespace\""),
    Photo("wine", LOMIRI, "Wine_by_Jakkub_Mede.jpg", "CC-BY-4.0, Jakub Mede"),
    Photo("aitzgorri", LOMIRI, "aitzgorri_by_Aitzol_Berasategi.jpg", "CC-BY-4.0, Aitzol Berasategi"),
    Photo("friends", LOMIRI, "friends_by_Aitzol_Berasategi.jpg", "CC-BY-4.0, Aitzol Berasategi"),
    Photo("life", LOMIRI, "life_by_Aitzol_Berasategi.jpg", "CC-BY-4.0, Aitzol Berasategi"),
    Photo("picos-de-europa", LOMIRI, "picosdeeuropa_by_Aitzol_Berasategi.jpg", "CC-BY-4.0, Aitzol Berasategi"),
    Photo("seeding", LOMIRI, "seeding_by_Clements_Engelhardt.jpg", "CC0-1.0, Clemens Engelhardt"),
    Photo("sunset", LOMIRI, "sunset_by_Aitzol_Berasategi.jpg", "CC-BY-4.0, Aitzol Berasategi"),
    Photo("nuthatch", LOMIRI, "Kleiber_by_Lukas_Baubkus.jpg", "CC-BY-SA-3.0, Lukas Baubkus"),
)
# The app's sample photos (resources/samples/photos) and the circuit board stay unseen.
ALWAYS_TEST = ("chelsea", "coffee", "board")


def source_folder(source: str) -> pathlib.Path:
    if source == SKIMAGE:
        import skimage

        return pathlib.Path(skimage.__file__).parent / "data"
    if source == MATPLOTLIB:
        import matplotlib

        return pathlib.Path(matplotlib.__file__).parent / "mpl-data" / "sample_data"
    return pathlib.Path(source.split(", ")[1])


def split_photos(test_share: float, seed: int) -> tuple[list[Photo], list[Photo]]:
    """(train, test): the fixed test photos plus a seeded draw of ``test_share`` of the others."""
    others = [p for p in PHOTOS if p.name not in ALWAYS_TEST]
    drawn = np.random.default_rng(seed).permutation(len(others))[: round(len(others) * test_share)]
    test_names = set(ALWAYS_TEST) | {others[i].name for i in drawn}
    return [p for p in PHOTOS if p.name not in test_names], [p for p in PHOTOS if p.name in test_names]


def scaled_copies(photo: Image.Image) -> dict[int, Image.Image]:
    """The photo downscaled so its short side is each of SHORT_SIDES (never upscaled)."""
    copies = {}
    for side in SHORT_SIDES:
        if side > min(photo.size):
            continue
        factor = side / min(photo.size)
        copies[side] = photo.resize((round(photo.width * factor), round(photo.height * factor)), Image.Resampling.LANCZOS)
    return copies


def grid_patches(image: Image.Image, rng: np.random.Generator) -> list[tuple[int, int, np.ndarray]]:
    """Non-overlapping PATCH x PATCH patches on a grid with a random offset: (top, left, pixels)."""
    pixels = np.asarray(image)
    height, width = pixels.shape[:2]
    top0, left0 = (int(rng.integers(0, extent % PATCH + 1)) for extent in (height, width))
    return [
        (top, left, pixels[top : top + PATCH, left : left + PATCH])
        for top in range(top0, height - PATCH + 1, PATCH)
        for left in range(left0, width - PATCH + 1, PATCH)
    ]


def write_patches(photo: Photo, folder: pathlib.Path, rng: np.random.Generator, keep: int | None) -> int:
    """Cut ``photo`` at every scale into ``folder`` (at most ``keep`` patches, drawn at random)."""
    with Image.open(source_folder(photo.source) / photo.file) as image:
        rgb = image.convert("RGB")
    patches = [(side, *patch) for side, copy in scaled_copies(rgb).items() for patch in grid_patches(copy, rng)]
    if keep is not None and len(patches) > keep:
        patches = [patches[i] for i in sorted(rng.choice(len(patches), keep, replace=False))]
    folder.mkdir(parents=True, exist_ok=True)
    for side, top, left, pixels in patches:
        Image.fromarray(pixels).save(folder / f"{photo.name}-s{side}-{top:03d}-{left:03d}.png")
    return len(patches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, required=True, help="writes OUT/train and OUT/test")
    parser.add_argument("--test-share", type=float, default=0.2, help="share of the other photos held out")
    parser.add_argument("--test-per-photo", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train, test = split_photos(args.test_share, args.seed)
    rng = np.random.default_rng(args.seed)
    counts = {}
    for split, photos, keep in (("train", train, None), ("test", test, args.test_per_photo)):
        if (args.out / split).exists():
            raise SystemExit(f"{args.out / split} exists; choose a new --out")
        for photo in photos:
            counts[photo.name] = write_patches(photo, args.out / split / photo.name, rng, keep)
            print(f"{split:5}  {photo.name:16} {counts[photo.name]:5} patches  {photo.source}: {photo.file}  [{photo.licence}]")
    summary = {split: {p.name: counts[p.name] for p in photos} for split, photos in (("train", train), ("test", test))}
    (args.out / "corpus.json").write_text(json.dumps({"seed": args.seed, "test_share": args.test_share, **summary}, indent=1))
    for split in ("train", "test"):
        print(f"{split}: {len(summary[split])} photos, {sum(summary[split].values())} patches in {args.out / split}")


if __name__ == "__main__":
    main()
