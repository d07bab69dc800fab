"""How the commands' --help reads: every option's default where its text does not already say it, and
the text of the model argument they share."""
from __future__ import annotations

import argparse

CHECKPOINT_HELP = "a checkpoint file, a run folder (its best checkpoint) or a bundled model's name"


class DefaultsShown(argparse.HelpFormatter):
    """--help that gives each option's default where its own text does not already say it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default is not None and action.default is not False and action.default is not argparse.SUPPRESS
        if not action.option_strings or "default" in text or not shown:  # 0 is shown; None and False are not
            return text
        return f"{text} (default: %(default)s)"
