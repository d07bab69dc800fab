"""The installed `pixelrnn` command: the core's headless commands plus `gui`, which opens the app."""
from __future__ import annotations

import argparse
import sys

from pixelrnn_core import cli


def run_gui(args: argparse.Namespace) -> int:
    """Open the desktop app; Qt is imported only when the window is wanted."""
    from .app import run_app

    return run_app(args.image, args.mask)


def add_gui_parser(commands: argparse._SubParsersAction) -> None:
    gui = commands.add_parser("gui", help="open the desktop app to mask, complete and inspect images")
    gui.add_argument("image", nargs="?", help="an image to open")
    gui.add_argument("--mask", help="a mask for it (white = fill)")
    gui.set_defaults(run=run_gui)


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, add_gui_parser)


if __name__ == "__main__":
    sys.exit(main())
