"""The headless `pixelrnn` command line: presets, train, eval, sample, complete. Every command has --help.

`python -m pixelrnn_core.cli` runs it without the app (e.g. under `torchrun`); the installed `pixelrnn`
command is :func:`pixelrnn_gui.command.main`, which adds `gui` to this parser."""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from ..allocator import keep_freed_memory
from ..models.registry import PRESETS, build_model
from .errors import EXIT_INTERRUPTED
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


def make_parser(more_commands: Callable[[argparse._SubParsersAction], None] | None = None) -> argparse.ArgumentParser:
    """The headless commands' parser; ``more_commands`` adds others (the app adds `gui`)."""
    parser = argparse.ArgumentParser(prog="pixelrnn", description="PixelRNN models: train, evaluate, sample, complete.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    presets = commands.add_parser("presets", formatter_class=DefaultsShown, help="list the paper's model sizes by name")
    presets.set_defaults(run=run_presets)
    add_train_parser(commands)
    add_eval_parser(commands)
    add_generate_parsers(commands)
    if more_commands is not None:
        more_commands(commands)
    return parser


def main(
    argv: list[str] | None = None, more_commands: Callable[[argparse._SubParsersAction], None] | None = None
) -> int:
    """Run one command (``more_commands`` as for :func:`make_parser`), keeping freed memory for reuse;
    Ctrl-C stops it with one line (`train` stops itself cleanly at the next step)."""
    args = make_parser(more_commands).parse_args(argv)
    keep_freed_memory()
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print(f"pixelrnn {args.command}: cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED

