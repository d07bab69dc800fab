"""The `pixelrnn` command line (DESIGN.md). Every command has --help."""
from __future__ import annotations

import argparse
import sys

from .cli_generate import add_generate_parsers
from .cli_train import add_eval_parser, add_train_parser
from .registry import PRESETS, build_model


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


def run_gui(args: argparse.Namespace) -> int:
    """Open the desktop app; Qt is imported only here, so the library never needs it."""
    from pixelrnn_gui.app import run_app

    return run_app(args.image, args.mask)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pixelrnn", description="PixelRNN models: train, evaluate, sample, complete.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    presets = commands.add_parser("presets", help="list the paper's model sizes by name")
    presets.set_defaults(run=run_presets)
    add_train_parser(commands)
    add_eval_parser(commands)
    add_generate_parsers(commands)
    gui = commands.add_parser("gui", help="open the desktop app to mask, complete and inspect images")
    gui.add_argument("image", nargs="?", help="an image to open")
    gui.add_argument("--mask", help="a mask for it (white = fill)")
    gui.set_defaults(run=run_gui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
