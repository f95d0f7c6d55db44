"""Command-line entry point. Each sub-command lives in its own module exposing ``register(subparsers)``.

Sub-command modules are imported lazily so ``decide`` never pays for loading the embedding model.
Errors a user can cause (bad file, bad filter value, missing index) are reported as one clear line
and exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

from assistant.settings import SettingsError

SUBCOMMANDS = {
    "search": ("assistant.cli.search", "ranked passages for an ad-hoc literature lookup"),
    "decide": ("assistant.cli.decide", "patient free text -> guideline branch, options, exclusions"),
    "ask": ("assistant.cli.ask", "a cited, extractive answer to a clinical question"),
}


class UserError(Exception):
    """An error caused by the user's input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``error: ...`` line (pointing at --help), like every other."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see: {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    from assistant.cli.text_input import check_arguments

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _Parser(prog="python -m assistant", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(SUBCOMMANDS) + "}")
    chosen = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    for name, (module, help_text) in SUBCOMMANDS.items():
        if chosen in (None, name):
            importlib.import_module(module).register(sub, name, help_text)
        else:
            sub.add_parser(name, help=help_text)
    try:
        check_arguments(argv)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except (UserError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
