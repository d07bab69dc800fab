"""`pixelrnn sample` and `pixelrnn complete`: draw images from a checkpoint, or fill a masked image."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections import Counter

import numpy as np

from ..completion.compiled_steps import completion_steps_cached, completion_variant, ready_completion_steps
from ..completion.engines import ENGINES
from ..completion.job import FILL_TEMPERATURE, CompletionJob
from ..completion.orientation import ORIENTATIONS
from ..io.checkpoint_info import checkpoint_info
from ..io.checkpoints import load_checkpoint
from ..io.images import (
    image_destination_format,
    is_translucent,
    load_picture,
    read_image,
    read_mask,
    sample_grid,
    save_image,
    to_mode,
)
from ..memory import check_completion_memory
from ..pixels.levels import is_grey, shows_only_levels
from ..training.model_names import find_checkpoint
from .errors import USER_ERRORS, fail
from .help_format import CHECKPOINT_HELP, DefaultsShown


def add_sampling_options(parser: argparse.ArgumentParser, temperature: float, why: str) -> None:
    """The options `sample` and `complete` share; ``temperature`` is the command's default (``why``)."""
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help=CHECKPOINT_HELP)
    parser.add_argument("--out", required=True, metavar="FILE.png", help="where to write the image (a grid if K > 1)")
    parser.add_argument("--samples", type=int, default=1, metavar="K", help="candidates drawn as one batch")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same images")
    parser.add_argument("--temperature", type=float,
                        help=f"divides the model's scores before each draw (< 1: safer, smoother choices; default {temperature:g}: {why})")
    parser.set_defaults(default_temperature=temperature)
    parser.add_argument("--greedy", action="store_true", help="take the most likely value instead of sampling (one candidate)")
    parser.add_argument("--engine", choices=ENGINES, default="cached", help="cached (fast) or naive (reference)")
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cpu, where fills run fastest)")


def add_generate_parsers(commands: argparse._SubParsersAction) -> None:
    sample = commands.add_parser("sample", formatter_class=DefaultsShown, help="draw new images from a model")
    add_sampling_options(sample, 1.0, "samples of the model itself")
    sample.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), help="image size (default: the training size)")
    sample.set_defaults(run=run_sample)
    fill = commands.add_parser("complete", formatter_class=DefaultsShown, help="fill the masked region of an image")
    add_sampling_options(fill, FILL_TEMPERATURE, "fills then meet their surroundings as smoothly as the photo runs")
    fill.add_argument("image", metavar="IMAGE", help="the image to complete")
    fill.add_argument("--mask", required=True, metavar="MASK.png", help="white pixels are filled (in a mask with see-through pixels: the opaque ones)")
    fill.add_argument("--orientation", choices=("auto", *ORIENTATIONS),
                      help="complete in a flipped/transposed frame (default: auto for models trained with --augment, else identity)")
    fill.set_defaults(run=run_complete)


def sample_size(args: argparse.Namespace, checkpoint) -> tuple[int, int]:
    """The size to sample at: --size, else the training size; refused if not positive."""
    height, width = args.size or checkpoint_info(checkpoint).training_size
    if height < 1 or width < 1:
        raise ValueError(f"--size must be at least 1 1, got {height} {width}")
    return height, width


def check_greedy(args: argparse.Namespace) -> None:
    """Refuse the options --greedy would ignore."""
    if args.greedy and args.samples != 1:
        raise ValueError("--greedy draws one candidate: leave out --samples")
    if args.greedy and args.temperature is not None:
        raise ValueError("--greedy takes the most likely value: leave out --temperature")


def conversion_warnings(path: str, channels: int, levels: int) -> list[str]:
    """What reading the image at ``path`` for a model of ``channels`` and ``levels`` changes in all of
    it, not only in the hole: its see-through pixels made opaque, its colours dropped, its values quantized."""
    picture = load_picture(path)  # read once, looked at three ways
    warnings = []
    if is_translucent(picture):
        warnings.append("the image has transparent pixels: they are read, and written, as shown on white")
    if channels == 1 and not is_grey(np.asarray(to_mode(picture, 3))):
        warnings.append("the image has colour but the model is grey: all of it is written grey")
    if not shows_only_levels(np.asarray(to_mode(picture, channels)), levels):  # 8-bit, in the model's channels
        warnings.append(f"the model has {levels} levels per sub-pixel: all of the image is quantized to them")
    return warnings


def mask_to_fill(path: str, shape: tuple[int, int]) -> np.ndarray:
    """The mask at ``path``, refused if it marks no pixel (the user most likely inverted it)."""
    mask = read_mask(path, shape=shape)
    if not mask.any():
        raise ValueError(f"the mask {path!r} marks no pixel to fill (white pixels are filled; in a mask with see-through pixels, the opaque ones)")
    return mask


def run_job(args: argparse.Namespace, model, image: np.ndarray, mask: np.ndarray, orientation: str | None) -> CompletionJob:
    """Run the completion the command asks for, its progress on stderr."""
    temperature = args.default_temperature if args.temperature is None else args.temperature
    variant = completion_variant(model.config)
    if args.engine == "cached" and not completion_steps_cached(variant):
        ready_completion_steps(lambda line: print(line, file=sys.stderr, flush=True), variant)
    job = CompletionJob(
        model, image, mask, samples=args.samples, seed=args.seed, engine=args.engine,
        temperature=temperature, greedy=args.greedy, device=args.device, orientation=orientation,
    )
    shown = False
    try:
        for step in job.run():
            if step.index % 256 == 0 or step.index + 1 == step.total:
                print(f"\r{step.index + 1}/{step.total} sub-pixels", end="", file=sys.stderr, flush=True)
                shown = True
    finally:
        if shown:  # the progress line ends before whatever is said next (Ctrl-C's one line, an error)
            print(file=sys.stderr)
    return job


def check_not_an_input(out: str, inputs: dict[str, str]) -> None:
    """Refuse an output path that names one of the files a command reads (the photo would be lost)."""
    for what, path in inputs.items():
        with contextlib.suppress(OSError):
            if os.path.samefile(out, path):
                raise ValueError(f"--out would write over the {what} being read ({out!r}); choose another file")


def run_sample(args: argparse.Namespace) -> int:
    """Unconditional samples: every pixel is masked."""
    try:
        check_greedy(args)
        checkpoint = find_checkpoint(args.checkpoint)
        image_destination_format(args.out, checkpoint_info(checkpoint).config.channels)
        model = load_checkpoint(checkpoint)
        height, width = sample_size(args, checkpoint)
        cfg = model.config
        check_completion_memory(cfg, args.samples, [(height, width)])
        image = np.zeros((height, width, cfg.channels), dtype=np.uint8)
        job = run_job(args, model, image, np.ones((height, width), dtype=bool), None)
        save_image(args.out, sample_grid(job.images, fill=cfg.levels // 2), cfg.levels)
    except USER_ERRORS as error:
        return fail("sample", error)
    print(f"wrote {args.samples} sample(s), {width}x{height} pixels (width x height) each, to {args.out}")
    return 0


def run_complete(args: argparse.Namespace) -> int:
    """Fill the mask; with K > 1 the grid is ranked by the likelihood of the known pixels after the hole."""
    try:
        check_greedy(args)
        check_not_an_input(args.out, {"image": args.image, "mask": args.mask})
        checkpoint = find_checkpoint(args.checkpoint)
        info = checkpoint_info(checkpoint)
        image_destination_format(args.out, info.config.channels)
        model = load_checkpoint(checkpoint)
        cfg = model.config
        image = read_image(args.image, channels=cfg.channels, levels=cfg.levels)
        mask = mask_to_fill(args.mask, image.shape[:2])
        for warning in conversion_warnings(args.image, cfg.channels, cfg.levels):
            print(f"pixelrnn complete: warning: {warning}", file=sys.stderr)
        job = run_job(args, model, image, mask, args.orientation or info.completion_orientation)
        order = np.argsort(-job.scores, kind="stable")
        save_image(args.out, sample_grid(job.images[order], fill=cfg.levels // 2), cfg.levels)
    except USER_ERRORS as error:
        return fail("complete", error)
    if args.samples > 1 and job.ranks_candidates:
        ranked = ", ".join(f"#{rank}: {job.scores[k]:.1f}" for rank, k in enumerate(order, start=1))
        print(f"candidates best first, as in the grid (log-likelihood of the known pixels after the hole, nats): {ranked}")
    elif args.samples > 1:
        print("no known pixels follow the hole, so the candidates are in the order drawn")
    if job.orientation is None:
        turns = ", ".join(name if count == 1 else f"{name} x{count}" for name, count in Counter(job.orientations).most_common())
        print(f"completed each group of holes in its own orientation, the most known pixels before it: {turns}")
    elif job.orientation != "identity":
        why = "as asked" if args.orientation == job.orientation else "the most known pixels before the hole"
        print(f"completed in the {job.orientation} orientation, {why}")
    if set(job.orientations) - {"identity"} and not (info.data is not None and info.data.augment):
        trained = "was trained only upright (without --augment)" if info.data is not None else "may have been trained only upright"
        print(f"pixelrnn complete: warning: the model {trained}: it predicts worse turned", file=sys.stderr)
    print(f"wrote {args.out}")
    return 0
