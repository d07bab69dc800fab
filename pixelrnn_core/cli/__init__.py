"""The headless `pixelrnn` command line: presets, models, train, eval, sample, complete. Every command has --help.

`python -m pixelrnn_core.cli` runs it without the app (e.g. under `torchrun`); the installed `pixelrnn`
command is :func:`pixelrnn_gui.command.main`, which adds `gui` to this parser."""
from __future__ import annotations

import argparse
import difflib
import os
import sys
from typing import Callable

from .. import __version__
from ..allocator import keep_freed_memory
from ..io.bundled import bundled_models
from ..io.checkpoint_info import checkpoint_info
from ..models.registry import PRESETS, build_model
from .errors import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED
from .generate import add_generate_parsers
from .help_format import DefaultsShown
from .train import add_eval_parser, add_train_parser


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def run_presets(args: argparse.Namespace) -> int:
    """Print the paper's model sizes that `--preset`/`build_model(NAME)` accept."""
    print(f"{'preset':<26}{'arch':<17}{'C':>2}{'L':>5}{'h':>5}{'layers':>7}{'residual':>9}{'parameters':>12}")
    for name in PRESETS:
        model = build_model(name)
        cfg = model.config
        print(
            f"{name:<26}{cfg.arch:<17}{cfg.channels:>2}{cfg.levels:>5}{cfg.hidden:>5}{cfg.layers:>7}"
            f"{str(cfg.residual):>9}{parameter_count(model):>12,}"
        )
    return 0


def run_models(args: argparse.Namespace) -> int:
    """Print the bundled models, which every command and the app take by name."""
    print(f"{'name':<22}{'architecture':<14}{'images':<14}{'levels':>7}  {'output':<18}{'bits/dim':>9}  description")
    for name, path in bundled_models().items():
        info = checkpoint_info(path)
        cfg = info.config
        height, width = info.training_size
        images = f"{height}x{width} {'RGB' if cfg.channels == 3 else 'grey'}"
        figure = "" if info.bits_per_dim is None else f"{info.bits_per_dim:.3f}"
        print(f"{name:<22}{cfg.arch:<14}{images:<14}{cfg.levels:>7}  {cfg.output.replace('_', '-'):<18}{figure:>9}  {info.title or ''}")
    return 0


def make_parser(more_commands: Callable[[argparse._SubParsersAction], None] | None = None) -> argparse.ArgumentParser:
    """The headless commands' parser; ``more_commands`` adds others (the app adds `gui`)."""
    parser = argparse.ArgumentParser(prog="pixelrnn", description="PixelRNN models: train, evaluate, sample, complete.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    presets = commands.add_parser("presets", formatter_class=DefaultsShown, help="list the paper's model sizes by name")
    presets.set_defaults(run=run_presets)
    models = commands.add_parser("models", formatter_class=DefaultsShown,
                                 help="list the bundled models, which every command takes by name in place of a checkpoint")
    models.set_defaults(run=run_models)
    add_train_parser(commands)
    add_eval_parser(commands)
    add_generate_parsers(commands)
    if more_commands is not None:
        more_commands(commands)
    for command in commands.choices.values():
        command.set_defaults(command_parser=command)
    return parser


def refuse_unknown(command: argparse.ArgumentParser, extras: list[str]) -> None:
    """Exit as ``command`` (a subcommand's parser, or the top-level one for what came before the
    subcommand) refuses arguments it does not know, with its own usage, suggesting the option a
    mistyped one was probably meant to be."""
    known = [option for action in command._actions for option in action.option_strings]
    guesses = [guess for extra in extras if extra.startswith("--") for guess in difflib.get_close_matches(extra, known, n=1)]
    hint = f" (did you mean {'? '.join(guesses)}?)" if guesses else ""
    command.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def main(
    argv: list[str] | None = None, more_commands: Callable[[argparse._SubParsersAction], None] | None = None
) -> int:
    """Run one command (``more_commands`` as for :func:`make_parser`), keeping freed memory for reuse;
    Ctrl-C stops it with one line (`train` stops itself cleanly at the next step)."""
    parser = make_parser(more_commands)
    args, extras = parser.parse_known_args(argv)
    if extras:
        words = sys.argv[1:] if argv is None else list(argv)
        before_command = words[: words.index(args.command)]
        refuse_unknown(parser if any(extra in before_command for extra in extras) else args.command_parser, extras)
    keep_freed_memory()
    try:
        code = args.run(args)
        sys.stdout.flush()  # a reader gone by now breaks the pipe here, not at exit
        return code
    except KeyboardInterrupt:
        print(f"pixelrnn {args.command}: cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went (`pixelrnn presets | head -1`): stop quietly, as a shell tool does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is left in the buffer goes nowhere at exit
        return EXIT_BROKEN_PIPE

