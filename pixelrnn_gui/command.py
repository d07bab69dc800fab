"""The installed `pixelrnn` command: the core's headless commands plus `gui`, which opens the app.

This module imports nothing heavy at its top: the console script imports it before :func:`main` runs,
and Ctrl-C while torch loads would otherwise end in a traceback from that import."""
from __future__ import annotations

import argparse
import os
import sys

from .display import display_problem

EXIT_INTERRUPTED = 130  # as the core's commands exit when Ctrl-C stops them


def run_gui(args: argparse.Namespace) -> int:
    """Open the desktop app; Qt is imported only when the window is wanted, and on a Linux machine
    whose display is unset or does not answer the command says so in one line (Qt would abort with a
    core dump)."""
    from pixelrnn_core.cli.errors import fail

    problem = display_problem(os.environ)
    if problem is not None:
        return fail("gui", ValueError(
            f"{problem}; QT_QPA_PLATFORM=offscreen runs the app without a screen; the headless commands (train, eval, "
            "sample, complete) need none"
        ))
    from .app import run_app

    return run_app(args.image, args.mask)


def add_gui_parser(commands: argparse._SubParsersAction) -> None:
    from pixelrnn_core.cli.help_format import DefaultsShown

    gui = commands.add_parser("gui", formatter_class=DefaultsShown, help="open the desktop app to mask, complete and inspect images")
    gui.add_argument("image", nargs="?", help="an image to open")
    gui.add_argument("--mask", help="a mask for it (white = fill)")
    gui.set_defaults(run=run_gui)


def main(argv: list[str] | None = None) -> int:
    try:
        from pixelrnn_core import cli  # torch and numpy: a second or two
    except KeyboardInterrupt:
        words = [arg for arg in (sys.argv[1:] if argv is None else argv) if not arg.startswith("-")]
        print(f"pixelrnn {words[0]}: cancelled" if words else "pixelrnn: cancelled", file=sys.stderr)  # as a loaded command says
        return EXIT_INTERRUPTED
    return cli.main(argv, add_gui_parser)


if __name__ == "__main__":
    sys.exit(main())
