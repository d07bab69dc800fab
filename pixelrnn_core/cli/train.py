"""`pixelrnn train` and `pixelrnn eval`: the command-line faces of the trainer and the evaluator."""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

import torch
from tqdm import tqdm

from ..data import DatasetSpec, ImageSet, detect_format, load_training_data, survey_folder
from ..data.spec import BINARIZATIONS, FITS, SMALL_IMAGE_POLICIES
from ..io.checkpoint_info import CheckpointInfo, checkpoint_info
from ..models.config import ARCHITECTURES
from ..models.registry import PRESETS
from ..training.distributed import init_from_environment, is_main_process, local_device, shutdown, world_size
from ..training.evaluation import evaluate_checkpoint
from ..training.events import CheckpointSaved, Finished, Preview, StepDone, TrainStep, Validation
from ..training.model_names import find_checkpoint
from ..training.preview import preview_hook
from ..training.run_config import RunConfig, run_config
from ..training.settings import FINE_TUNING, OPTIMIZERS, PRECISIONS, SCHEDULES, TrainSettings
from ..training.trainer import Trainer, new_run, resume_run
from .errors import EXIT_INTERRUPTED, USER_ERRORS, fail
from .help_format import CHECKPOINT_HELP, DefaultsShown

SKIPS_LISTED = 10
# --output choices -> ModelConfig.output
OUTPUT_CHOICES = {"softmax": "softmax", "logistic-mixture": "logistic_mixture"}
# The recipe defaults live in TrainSettings, shared with the app's Train panel.
DEFAULTS = TrainSettings()
PREVIEW_EVERY = 500  # a new run's previews from the command line (the library's default is none)


def add_train_parser(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser(
        "train", formatter_class=DefaultsShown,
        help="train a PixelRNN on a folder of images or a dataset file",
        description="Train a PixelRNN. DATA is a folder of images (searched recursively), one image file, or a dataset file: "
        "IDX (MNIST, Fashion-MNIST; gzipped or not), a CIFAR-10 python batch or its folder, or a "
        "downsampled-ImageNet .npz. Run under `torchrun --nproc_per_node=N` to train with N processes.",
    )
    train.add_argument("data", nargs="?", metavar="DATA", help="training data (with --resume: only if it moved)")
    model = train.add_argument_group("model")
    which = model.add_mutually_exclusive_group()
    which.add_argument("--arch", choices=ARCHITECTURES, help="the model family (paper §3)")
    which.add_argument("--preset", choices=sorted(PRESETS), help="one of the paper's model sizes (see `pixelrnn presets`)")
    which.add_argument(
        "--init", metavar="CHECKPOINT",
        help="fine-tune: start from the model and weights of CHECKPOINT (a file, a run folder or a bundled model's name); "
        "its channels, levels and training size are the defaults",
    )
    model.add_argument("--hidden", type=int, help="h: features per layer (blocks carry 2h; default 16, or the preset's)")
    model.add_argument("--layers", type=int, help="number of residual blocks (default 2, or the preset's)")
    model.add_argument("--out-hidden", type=int, help="width of the two output layers (default 32, or the preset's)")
    model.add_argument("--base-arch", help="multiscale: architecture of both of its models")
    model.add_argument(
        "--output", choices=OUTPUT_CHOICES, default="softmax",
        help="each sub-pixel's distribution: the paper's 256-way softmax or PixelCNN++'s discretized logistic mixture",
    )
    model.add_argument("--mixtures", type=int, help="logistic-mixture: components per sub-pixel (default 10)")
    model.add_argument("--dropout", type=float, help="probability of dropping each feature of a residual block's output while training (default 0: none)")
    data = train.add_argument_group("data")
    data.add_argument("--size", type=int, help="side of the square training images (folders: default their smallest side, not counting "
                      "images under half the side of nine in ten of them, up to 64, else 32; dataset files: their own)")
    data.add_argument("--channels", type=int, choices=(1, 3), help="1 = grayscale, 3 = RGB (default: the data's)")
    data.add_argument("--levels", type=int, help="values per sub-pixel (default 256, or 2 when binarizing)")
    data.add_argument("--binarize", choices=BINARIZATIONS, default="none", help="binary images: fixed threshold or dynamic (stochastic) binarization")
    data.add_argument("--threshold", type=float, default=0.5, help="--binarize threshold: fraction of full intensity")
    data.add_argument("--fit", choices=FITS, default="crop", help="larger images: one random crop each (the same for the "
                      "whole run: an image gives one patch), resize + centre crop, or tiles (every tile of a grid over "
                      "each image: photos give many patches)")
    data.add_argument("--small", choices=SMALL_IMAGE_POLICIES, default="skip", help="smaller images: skip or upscale")
    data.add_argument("--augment", action="store_true", help="random flips/transposes (the 8 symmetries of the square)")
    data.add_argument("--val-fraction", type=float, default=0.1, help="fraction held out for validation")
    data.add_argument("--limit", type=int, help="use only the first N images")
    data.add_argument("--seed", type=int, default=0, help="seed of the split, the crops, the shuffles and the model")
    opt = train.add_argument_group("optimization")
    opt.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size, help="images per step and process (paper: 16)")
    opt.add_argument("--epochs", type=int, help=f"passes over the training images (default {DEFAULTS.epochs}; with --resume: extend to)")
    opt.add_argument("--max-steps", type=int, help="stop after this many steps")
    opt.add_argument("--lr", type=float, help=f"learning rate (default {DEFAULTS.lr}; with --init {FINE_TUNING.lr})")
    opt.add_argument("--optimizer", choices=OPTIMIZERS,
                     help=f"RMSProp (paper) or Adam (default {DEFAULTS.optimizer}; with --init {FINE_TUNING.optimizer})")
    opt.add_argument("--schedule", choices=SCHEDULES, default=DEFAULTS.schedule, help="learning-rate schedule")
    opt.add_argument("--warmup", type=int,
                     help=f"linear warm-up steps (default {DEFAULTS.warmup_steps}; with --init {FINE_TUNING.warmup_steps})")
    opt.add_argument("--grad-clip", type=float, default=DEFAULTS.grad_clip, help="largest gradient norm (0: no clipping)")
    opt.add_argument("--ema", type=float, default=DEFAULTS.ema, help="decay of the moving average of the weights that is validated and saved (e.g. 0.999; 0: off)")
    opt.add_argument("--precision", choices=PRECISIONS, default=DEFAULTS.precision, help="auto: bf16 autocast on a CPU with AMX (validation in fp32), fp32 elsewhere (on CUDA bf16 measured slower)")
    opt.add_argument("--device", default="auto", help="cpu, cuda or cuda:N (default: cuda if available)")
    run = train.add_argument_group("run folder")
    run.add_argument("--out", metavar="RUN_DIR", help="new run folder for config, metrics and checkpoints")
    run.add_argument("--resume", metavar="RUN_DIR", help="continue the stopped or killed run in RUN_DIR")
    run.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    run.add_argument("--log-every", type=int, default=10, help="steps between metrics records")
    run.add_argument(
        "--preview-every", type=int,
        help=f"steps between completion previews written to RUN_DIR/samples (0: none; default {PREVIEW_EVERY}, with --resume the run's)",
    )
    train.set_defaults(run=run_train)
    train.set_defaults(parser_defaults={name: train.get_default(name) for name in FIXED_ON_RESUME})


def add_eval_parser(commands: argparse._SubParsersAction) -> None:
    evaluate = commands.add_parser(
        "eval", formatter_class=DefaultsShown,
        help="negative log-likelihood of a checkpoint on data (bits/dim, nats/image)",
        description="Evaluate a checkpoint on every image of DATA, preprocessed as the model was trained.",
    )
    evaluate.add_argument("checkpoint", metavar="CHECKPOINT", help=CHECKPOINT_HELP)
    evaluate.add_argument("data", metavar="DATA", help="a folder of images, one image file or a dataset file, as for train")
    evaluate.add_argument("--json", action="store_true", help='print one JSON line {"bits_per_dim", "nats_per_image", "images"}')
    evaluate.add_argument("--size", type=int, help="side of the square images (default: as trained)")
    evaluate.add_argument("--fit", choices=FITS, help="larger images: as for train (default: as trained; tiles scores every part of them)")
    evaluate.add_argument("--limit", type=int, help="use only the first N images")
    evaluate.add_argument("--batch-size", type=int, help="images per forward pass (default: 32 on a CPU, 256 on a GPU)")
    evaluate.add_argument("--device", default="auto", help="cpu, cuda or cuda:N (default: cuda if available)")
    evaluate.add_argument("--precision", choices=PRECISIONS, default="auto", help="as for train (auto: fp32, since bf16 moves the figure)")
    evaluate.set_defaults(run=run_eval)


def report_data(image_set: ImageSet, train_images: int, validation_images: int, source: str) -> None:
    """One line on what was read (how many images, their size and colour), then what was skipped and why."""
    _, height, width, channels = image_set.images.shape
    read_as = f"{width}x{height} {'grey' if channels == 1 else 'RGB'}"
    print(f"data: {source} ({image_set.source_format}): {train_images} training, {validation_images} validation images, "
          f"{read_as}{image_set.tiles_line()}")
    report_skipped(image_set, " (all listed in the run's run.json)", sys.stdout)


def report_skipped(image_set: ImageSet, all_listed_in: str, stream: TextIO) -> None:
    """What was skipped, by reason, and the first files with theirs."""
    if image_set.skipped:
        print(f"skipped {image_set.skip_line()}", file=stream)
        for item in image_set.skipped[:SKIPS_LISTED]:
            print(f"  {item.path}: {item.reason}", file=stream)
        if len(image_set.skipped) > SKIPS_LISTED:
            print(f"  ... and {len(image_set.skipped) - SKIPS_LISTED} more{all_listed_in}", file=stream)


MODEL_SIZES = ("hidden", "layers", "out_hidden", "base_arch", "mixtures", "dropout")


def init_checkpoint(args: argparse.Namespace) -> CheckpointInfo:
    """The checkpoint --init names, refused with the options that would change its model."""
    given = [name for name in MODEL_SIZES if getattr(args, name) is not None] + (["output"] if args.output != "softmax" else [])
    if given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(f"--init takes its model from {args.init}: leave out {options}")
    return checkpoint_info(find_checkpoint(args.init))


def folder_side(data: str) -> int | None:
    """For a folder of images or one image file, the side its images suggest (:func:`survey_folder`: the
    smallest side, not counting a few far smaller ones, up to 64, else 32); None for a dataset file, read
    at its own size."""
    path = Path(data).expanduser()
    if not path.exists() or detect_format(path) != "images":
        return None
    proposal = survey_folder(path)
    return proposal.size if proposal is not None else None


def data_spec(args: argparse.Namespace, start: CheckpointInfo | None) -> DatasetSpec:
    """The data of a new run: the options, with the preset's channels and levels, or those of the
    checkpoint being fine-tuned (and its training size and binarization), as defaults."""
    defaults = PRESETS.get(args.preset, {}) if start is None else {"channels": start.config.channels, "levels": start.config.levels}
    trained = start.data if start is not None else None
    binarize = trained.binarize if trained and args.binarize == "none" else args.binarize
    return DatasetSpec(
        # the data's path as an absolute one, so that `--resume` finds it from any working folder
        str(Path(args.data).expanduser().absolute()),
        size=args.size if args.size is not None else (start.square_side if start else None) or folder_side(args.data),
        channels=args.channels or defaults.get("channels"),
        levels=args.levels if args.levels is not None else defaults.get("levels") or (2 if binarize != "none" else 256),
        binarize=binarize, threshold=args.threshold, fit=args.fit, small=args.small,
        val_fraction=args.val_fraction, seed=args.seed, augment=args.augment, limit=args.limit,
    )


def train_settings(args: argparse.Namespace, start: CheckpointInfo | None) -> TrainSettings:
    """The run's settings: the options, with fine-tuning's gentle steps as the defaults of a run that
    starts from a checkpoint (:data:`FINE_TUNING`)."""
    steps = FINE_TUNING if start is not None else DEFAULTS
    return TrainSettings(
        optimizer=args.optimizer or steps.optimizer, lr=steps.lr if args.lr is None else args.lr, batch_size=args.batch_size,
        epochs=DEFAULTS.epochs if args.epochs is None else args.epochs, max_steps=args.max_steps, schedule=args.schedule,
        warmup_steps=steps.warmup_steps if args.warmup is None else args.warmup, grad_clip=args.grad_clip,
        precision=args.precision, ema=args.ema, checkpoint_every=args.checkpoint_every, log_every=args.log_every, seed=args.seed,
        preview_every=PREVIEW_EVERY if args.preview_every is None else args.preview_every, init=None if start is None else str(start.path),
    )


def start_new_run(args: argparse.Namespace, device: torch.device) -> Trainer:
    missing = [name for name, absent in (
        ("DATA", args.data is None),
        ("a model: --arch, --preset or --init", args.arch is None and args.preset is None and args.init is None),
        ("--out RUN_DIR", args.out is None),
    ) if absent]
    if missing:
        raise ValueError(f"a new run needs {' and '.join(missing)} (or use --resume RUN_DIR)")
    if args.mixtures is not None and args.output != "logistic-mixture":
        raise ValueError("--mixtures applies to --output logistic-mixture only")
    start = init_checkpoint(args) if args.init else None
    spec, settings = data_spec(args, start), train_settings(args, start)
    data = load_training_data(spec)
    if start is None:
        plan = run_config(
            args.preset or args.arch, spec, settings, channels=data.channels,
            hidden=args.hidden, layers=args.layers, out_hidden=args.out_hidden, base_arch=args.base_arch,
            output=OUTPUT_CHOICES[args.output], mixtures=args.mixtures, dropout=args.dropout,
        )
    else:
        plan = RunConfig(spec, start.config, settings)
    trainer = new_run(args.out, plan.data, plan.model, plan.training, device, data=data)
    if is_main_process():
        report_data(data.image_set, len(data.train), len(data.validation), args.data)
        output = "" if plan.model.output == "softmax" else f", a mixture of {plan.model.mixtures} logistics per sub-pixel"
        origin = "" if start is None else f", starting from the weights of {args.init}"
        print(f"model: {plan.model.arch}{output}, {sum(p.numel() for p in trainer.model.parameters()):,} parameters{origin}; "
              f"run folder {args.out}")
    return trainer


def show_progress(trainer: Trainer) -> tuple[Finished, int | None]:
    """Run ``trainer`` with a progress bar; Ctrl-C (or SIGTERM) asks it to stop cleanly at the next
    step. Returns how it finished and the signal that stopped it, if one did."""
    received: list[int] = []

    def stop(number: int, _frame) -> None:
        received.append(number)
        trainer.cancel()

    # SIGTERM too (kill, timeout, a session that ends), but not under torchrun, which sends it to end
    # every process when one fails: the others would wait for it in their next step
    stop_signals = (signal.SIGINT,) if world_size() > 1 else (signal.SIGINT, signal.SIGTERM)
    handlers = {number: signal.signal(number, stop) for number in stop_signals}
    bar = tqdm(total=trainer.total_steps, initial=trainer.step, unit="step", disable=not is_main_process(), dynamic_ncols=True)
    finished = None
    try:
        for event in trainer.events():
            if isinstance(event, StepDone):
                bar.update(event.step - bar.n)
            elif isinstance(event, TrainStep):
                bar.set_postfix(epoch=event.epoch + 1, bpd=f"{event.bits_per_dim:.4f}", img_s=f"{event.images_per_second:.0f}")
            elif isinstance(event, Validation) and is_main_process():
                bar.write(f"step {event.step}: validation {event.bits_per_dim:.4f} bits/dim, {event.nats_per_image:.2f} nats/image{' (best)' if event.best else ''}")
            elif isinstance(event, Preview):
                bar.write(f"step {event.step}: preview written to {event.result.path}")
            elif isinstance(event, CheckpointSaved) and event.kind == "best":
                bar.write(f"step {event.step}: best model so far saved to {event.path}")
            elif isinstance(event, Finished):
                finished = event
    finally:
        bar.close()
        for number, handler in handlers.items():
            signal.signal(number, handler)
    return finished, received[0] if received else None


FIXED_ON_RESUME = (
    "arch", "preset", "hidden", "layers", "out_hidden", "base_arch", "output", "mixtures", "size", "channels", "levels", "binarize",
    "threshold", "fit", "small", "augment", "val_fraction", "limit", "seed", "batch_size", "lr", "optimizer",
    "schedule", "warmup", "grad_clip", "precision", "checkpoint_every", "log_every", "out", "dropout", "ema", "init",
)


def refuse_fixed_options(args: argparse.Namespace, parser_defaults: dict[str, Any]) -> None:
    """A resumed run keeps its model, data and optimization: only DATA (moved), --epochs, --max-steps,
    --device and --preview-every may be given with --resume."""
    given = [name for name in FIXED_ON_RESUME if getattr(args, name) != parser_defaults.get(name)]
    if given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(f"{options} cannot change when resuming (the run keeps its own); "
                         "only DATA, --epochs, --max-steps, --preview-every and --device can")


def start_run(args: argparse.Namespace, device: torch.device) -> Trainer:
    """The trainer of a new run, or of the run --resume names."""
    if args.resume is None:
        return start_new_run(args, device)
    refuse_fixed_options(args, args.parser_defaults)
    trainer = resume_run(args.resume, device, data_path=args.data, epochs=args.epochs, max_steps=args.max_steps,
                         preview_every=args.preview_every)
    if is_main_process():
        origin = f" from {trainer.resumed_from}" if trainer.resumed_from else ""
        print(f"resuming {args.resume} at step {trainer.step} of {trainer.total_steps}{origin}")
    return trainer


def diverged_message(trainer: Trainer, finished: Finished) -> str:
    kept = f"the checkpoints up to step {finished.step} are kept" if finished.step else "no checkpoint had been saved yet"
    return f"training stopped: the weights became NaN or infinite at step {trainer.step + 1} (try a lower --lr); {kept}"


def run_train(args: argparse.Namespace) -> int:
    """Train a new model, or continue a run with --resume."""
    try:
        device = local_device(args.device)
        init_from_environment(device)
        main_process = is_main_process()
        trainer = start_run(args, device)
        trainer.preview = preview_hook(trainer.data, size=max(trainer.data.image_size), run_dir=trainer.folder.path)
        finished, stopped_by = show_progress(trainer)
    except USER_ERRORS as error:
        return fail("train", error)
    finally:
        shutdown()
    if finished.reason == "diverged":
        return fail("train", ValueError(diverged_message(trainer, finished)))
    if main_process:
        best = "none" if finished.best_bits_per_dim is None else f"{finished.best_bits_per_dim:.4f} bits/dim"
        print(f"{finished.reason} at step {finished.step}; best validation {best}; model {trainer.folder.model_checkpoint()}")
    if finished.reason == "completed":
        return 0
    return EXIT_INTERRUPTED if stopped_by is None else 128 + stopped_by


def has_colour(data: Path) -> bool:
    """Whether the images of ``data`` have colour: a CIFAR-10 source, or a folder or image file whose
    first images are not all grey (IDX files are grey; an ImageNet .npz is not looked into)."""
    source = detect_format(data)
    if source == "images":
        proposal = survey_folder(data)
        return proposal is not None and proposal.channels == 3
    return source == "cifar10"


def run_eval(args: argparse.Namespace) -> int:
    """Print the NLL of a checkpoint on DATA."""
    try:
        device = local_device(args.device)
        bars: list[tqdm] = []  # opened when scoring starts, after the checks, so a refusal stays one line

        def advance(done: int, total: int) -> None:
            if not bars:
                bars.append(tqdm(total=total, unit="img", desc="eval", dynamic_ncols=True))
            bars[0].update(done - bars[0].n)

        checkpoint = find_checkpoint(args.checkpoint)
        try:
            result, image_set = evaluate_checkpoint(
                checkpoint, args.data, args.batch_size, device, args.size, args.limit, args.precision, advance, args.fit
            )
        finally:
            for bar in bars:
                bar.close()
    except USER_ERRORS as error:
        return fail("eval", error)
    report_skipped(image_set, "", sys.stderr)
    if checkpoint_info(checkpoint).config.channels == 1 and has_colour(Path(args.data).expanduser()):
        print("pixelrnn eval: note: the images have colour but the model is grey: they are scored grey", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(f"{result.bits_per_dim:.4f} bits/dim, {result.nats_per_image:.2f} nats/image over {result.images} images")
    return 0
