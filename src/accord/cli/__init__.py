"""The ``accord`` command line: thin commands over the use cases, one module per part of the domain.

``app`` (``from accord.cli import app``) is the root app with every command registered, in the
order ``--help`` lists them. ``main`` is the installed ``accord`` command and ``python -m
accord.cli``: a command of the rules core (``screen``, ``explain``…) loads only its own module,
not the Django half, and leaves without tearing the interpreter down."""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

# The command modules, in the order their commands are listed.
COMMAND_MODULES = ("screening", "people", "cases", "holds", "ledger", "movements", "accounts", "audit", "demo")
# The commands of ``accord.cli.screening``: files in, files out, no database (a test holds the
# list to the module).
RULES_CORE_COMMANDS = frozenset({"screen", "explain", "agreements", "rules", "generate-population"})


def load_commands(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """The root app, with the commands of ``modules`` registered."""
    for module in modules:
        importlib.import_module(f"accord.cli.{module}")
    from accord.cli.common import app

    return app


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        return load_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Run the command ``sys.argv`` names. A rules-core command registers its module alone; any
    other word (or none: ``--help``) registers every command.

    A rules-core command that ran to its end (a clean exit or a refusal: every file it writes is
    closed and in place by then) leaves with ``os._exit`` after flushing its output: freeing a
    million people's frames and every module at interpreter exit takes a tenth of a second and
    changes nothing. The database commands exit the ordinary way, closing their connections."""
    command = sys.argv[1] if len(sys.argv) > 1 else None
    rules_core = command in RULES_CORE_COMMANDS
    app = load_commands(("screening",) if rules_core else COMMAND_MODULES)
    try:
        app()
    except SystemExit as done:
        if not rules_core or not (done.code is None or isinstance(done.code, int)):
            raise
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(done.code or 0)
