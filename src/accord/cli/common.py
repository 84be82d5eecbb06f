"""What every command shares: the root app, the consoles, safe error output, Django set-up and
signing in with a token. Imports stay light here: a command pays only for what it uses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    import polars as pl

    from accord.accounts.models import User
    from accord.core.rules.engine import Usage

app = typer.Typer(help="Accord: screen, explain and account for moves of people in custody.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
# The exit code of a command that met a busy database and changed nothing (EX_TEMPFAIL): a
# script may wait and run the same command again.
BUSY_EXIT = 75

DateOption = Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Screening date, YYYY-MM-DD.")]
AgreementOption = Annotated[
    list[str] | None, typer.Option("--agreement", "-a", help="Agreement id (repeatable); default: every agreement.")
]
UsageOption = Annotated[
    Path | None, typer.Option("--usage", help="TOML file of places and quotas already used (default: none used).")
]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error (escaped: a bad cell or an anchor may read '[/]') and return the exit to raise."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def say(message: object, *, err: bool = False) -> None:
    """Print text that may hold user data, never read as Rich markup."""
    (errors if err else console).print(escape(str(message)), highlight=False, soft_wrap=True)


def usage_of(path: Path | None) -> Usage:
    from accord.core.rules.engine import Usage
    from accord.core.usage import load_usage

    return load_usage(path) if path else Usage()


def read_records(path: Path) -> pl.DataFrame:
    from accord.core.records import RecordError, read_people

    try:
        return read_people(path)
    except RecordError as err:
        raise fail(f"{path}: nothing was read.\n{err}") from None


def django_setup() -> None:
    """Set Django up for the commands that use the database."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.web.settings")
    django.setup()


TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="ACCORD_TOKEN",
        show_default=False,
        help="Your API token (better: the ACCORD_TOKEN environment variable, which no process list shows). "
        "The command acts as the token's user, checked against their role and named in the audit log. "
        "Issue one with `accord token issue USERNAME`.",
    ),
]


def signed_in(token: str | None, action: str | None = None) -> User:
    """The user whose token was given: a command acts as someone only with their token, never
    on a typed name. ``action`` (a ``Can``) is checked against the same role table as the web."""
    from django.core.exceptions import PermissionDenied

    from accord.accounts.permissions import Can, require
    from accord.accounts.services import user_for_token

    if not token:
        raise fail("sign in: give your API token with ACCORD_TOKEN or --token (`accord token issue USERNAME`)", 2)
    found = user_for_token(token.strip())
    if found is None:
        raise fail("the token is unknown or revoked, or its user is deactivated", 2)
    if action is not None:
        try:
            require(found, Can(action))
        except PermissionDenied as err:
            raise fail(f"{found.username}: {err}", 2) from None
    return found
